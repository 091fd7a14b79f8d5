package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/libcheck"
	"github.com/annexlab/annex/scenarios/runner"
)

// runValidate is `annex validate [--facility FILE] [--library FILE]…
// [--junit FILE] [--no-scenarios] PROFILE…` (the README's CLI reference): the static
// checks of library profiles, one line per problem as FILE:LINE:COL:
// severity: field: message, and their summary; then the built-in
// conformance scenarios of each profile without errors (all wait while the
// facility file has errors) against a mock of its library (package
// conformance), one line per scenario in a support person's terms and the
// summary "N scenarios: N passed, N failed".
// Exit 1 on any static error or failed scenario, 2 when a file cannot be
// read or the usage is wrong, else 0.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "validate [--facility FILE] [--library FILE]… [--junit FILE] [--no-scenarios] PROFILE…", stderr)
	facility := fs.String("facility", "", "a facility file: check its profiles too, and the profiles' stop codes against its stops")
	var libraries headerFlags
	fs.Var(&libraries, "library", "a mock ALMA or mock ALEPH configuration holding the library's real settings, for the scenarios to check the profile against (repeatable; without one, the mock is derived from the profile)")
	junit := fs.String("junit", "", "write the conformance scenarios as JUnit XML to FILE")
	noScenarios := fs.Bool("no-scenarios", false, "run the static checks only")
	files, code, ok := parseArgs(fs, args, func(n int) bool { return n > 0 || *facility != "" })
	if !ok {
		return code
	}
	var (
		fac      profile.Facility
		profiles []profile.Profile
		problems profile.Problems
		err      error
	)
	if *facility != "" {
		fac, profiles, problems, err = profile.ValidateWithFacility(*facility, files...)
	} else {
		profiles, problems, err = profile.Validate(files...)
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	code = exitOK
	if err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(stderr, "annex %s\n", line)
		}
		code = exitTrouble
	}
	errs, warnings := problems.Count()
	checked := plural(len(profiles), "profile")
	if *facility != "" {
		checked = "1 facility and " + checked
	}
	fmt.Fprintf(stdout, "%s checked: %s, %s\n", checked, plural(errs, "error"), plural(warnings, "warning"))
	if code == exitOK && errs > 0 {
		code = exitFailed
	}
	if *noScenarios {
		return code
	}
	// A profile with errors would make its scenarios fail for reasons the
	// lines above already give, so its scenarios wait; the other profiles'
	// run. Errors in the facility file (its stops) or an unreadable file
	// hold every profile back. Warnings alone stop nothing.
	runnable, held := splitByErrors(profiles, problems, *facility)
	if code == exitTrouble || len(runnable) == 0 {
		if code != exitOK {
			fmt.Fprintln(stdout, "conformance scenarios: not run, fix the errors above first")
		}
		return code
	}

	var libs []libcheck.Library
	for _, path := range libraries {
		lib, err := libcheck.LoadLibrary(path)
		if err != nil {
			fmt.Fprintf(stderr, "annex validate: %v\n", err)
			return exitTrouble
		}
		if err := libraryUsed(path, lib, profiles); err != nil {
			fmt.Fprintf(stderr, "annex validate: %v\n", err)
			return exitTrouble
		}
		libs = append(libs, lib)
	}
	opts := libcheck.Options{Libraries: libs}
	if *facility != "" {
		opts.Facility = &fac
	}
	start := time.Now()
	var all []libcheck.Result
	for _, p := range held {
		fmt.Fprintf(stdout, "conformance scenarios of %s (%s): not run, fix its errors above first\n", p.Name, p.File)
	}
	for _, p := range runnable {
		results, against := libcheck.Run(context.Background(), p, opts)
		fmt.Fprintf(stdout, "conformance scenarios of %s (%s) against %s:\n", p.Name, p.File, against)
		// What an ambiguous failure leads to under this profile (issue 11): not a static problem, but a support person must know it.
		if note := p.DeliveryNote(); note != "" {
			fmt.Fprintf(stdout, "  delivery: %s\n", note)
		}
		var prev *libcheck.Result
		for i, r := range results {
			fmt.Fprintln(stdout, "  "+r.LineAfter(prev))
			if r.Status == libcheck.Failed {
				prev = &results[i]
			}
		}
		all = append(all, results...)
	}
	passed, failed, skipped := 0, 0, 0
	for _, r := range all {
		switch r.Status {
		case libcheck.Passed:
			passed++
		case libcheck.Failed:
			failed++
		default:
			skipped++
		}
	}
	summary := fmt.Sprintf("%s: %d passed, %d failed", plural(len(all), "scenario"), passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(stdout, summary)
	if *junit != "" {
		if err := writeFile(*junit, func(w io.Writer) error { return runner.WriteJUnit(w, junitResults(all), time.Since(start)) }); err != nil {
			fmt.Fprintf(stderr, "annex validate: write junit: %v\n", err)
			return exitTrouble
		}
	}
	if failed > 0 || code != exitOK {
		return exitFailed
	}
	return exitOK
}

// splitByErrors sorts profiles into those whose scenarios can run and those
// held back by an error in their own file or in the facility file.
func splitByErrors(profiles []profile.Profile, problems profile.Problems, facility string) (runnable, held []profile.Profile) {
	bad := map[string]bool{}
	for _, p := range problems {
		if p.Severity == profile.SeverityError {
			bad[p.File] = true
		}
	}
	if facility != "" && bad[facility] {
		return nil, profiles
	}
	for _, p := range profiles {
		if bad[p.File] {
			held = append(held, p)
		} else {
			runnable = append(runnable, p)
		}
	}
	return runnable, held
}

// libraryUsed refuses a --library file no profile can use: one for the
// other system would otherwise be ignored, and the profiles checked against
// mocks derived from themselves, which pass by construction.
func libraryUsed(path string, lib libcheck.Library, profiles []profile.Profile) error {
	sys := lib.System()
	var others []string
	for _, p := range profiles {
		if p.System == sys {
			return nil
		}
		others = append(others, fmt.Sprintf("%s is an %s profile", p.File, strings.ToUpper(p.System)))
	}
	return fmt.Errorf("--library %s is a mock %s configuration, but no %s profile is being validated (%s)",
		path, strings.ToUpper(sys), strings.ToUpper(sys), strings.Join(others, ", "))
}

// junitResults turns the conformance results into the runner's, so the
// JUnit file has the shape `annex run` writes: one testcase per scenario,
// classname the profile file.
func junitResults(all []libcheck.Result) []runner.Result {
	out := make([]runner.Result, 0, len(all))
	for i, r := range all {
		rr := runner.Result{File: r.File, Name: r.Profile + ": " + r.Name, Duration: r.Duration, Status: runner.Passed}
		switch r.Status {
		case libcheck.Failed:
			rr.Status = runner.Failed
			rr.Failure = &runner.Failure{Step: i + 1, Kind: "conformance", Where: r.Where, Msg: r.Line(), ClosestMiss: r.Why}
			if rr.Failure.Where == "" {
				rr.Failure.Where = r.File
			}
		case libcheck.Skipped:
			rr.Status = runner.Skipped
		}
		out = append(out, rr)
	}
	return out
}

// plural writes "1 error" or "2 errors".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
