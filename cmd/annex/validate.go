package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/annexlab/annex/integration/profile"
)

// runValidate is `annex validate [--facility FILE] PROFILE…`: the static
// checks of library profiles (DESIGN §2.1), one line per problem as
// FILE:LINE:COL: severity: field: message, then a summary. Exit 1 on any
// error, 2 when a file cannot be read, else 0. The conformance scenarios
// that complete `annex validate` come with the scenario harness; the output
// says so, so nobody takes the static check for the whole job.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "validate [--facility FILE] PROFILE…", stderr)
	facility := fs.String("facility", "", "a facility file: check its profiles too, and the profiles' stop codes against its stops")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(files) == 0 && *facility == "" {
		fs.Usage()
		return exitTrouble
	}
	var (
		profiles []profile.Profile
		problems profile.Problems
	)
	if *facility != "" {
		_, profiles, problems, err = profile.ValidateWithFacility(*facility, files...)
	} else {
		profiles, problems, err = profile.Validate(files...)
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	code := exitOK
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
	fmt.Fprintln(stdout, "conformance scenarios: not run (they come with the scenario harness)")
	if code == exitOK && errs > 0 {
		code = exitFailed
	}
	return code
}

// plural writes "1 error" or "2 errors".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
