package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/annexlab/annex/scenarios/runner"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// runScenarios is `annex run [--junit FILE] [--report FILE] [--label EXPR]
// [--update] PATH…`: a line per scenario as it finishes, then
// "N passed, N failed" (", N skipped"); exit 1 on a failure, 2 when a
// scenario file cannot be read or decoded (nothing runs then).
func runScenarios(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "run [--junit FILE] [--report FILE] [--label EXPR] [--update] [--parallel N] PATH…", stderr)
	junit := fs.String("junit", "", "write JUnit XML to `FILE`")
	report := fs.String("report", "", "write a self-contained HTML report to `FILE`")
	label := fs.String("label", "", "run the scenarios whose labels match `EXPR`, e.g. 'alma && !faults' or 'smoke || security'")
	update := fs.Bool("update", false, "rewrite golden NCIP files that differ instead of failing")
	parallel := fs.Int("parallel", 0, "scenarios run at once (0: GOMAXPROCS)")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(paths) == 0 {
		fs.Usage()
		return exitTrouble
	}
	filter, err := scenario.ParseLabels(*label)
	if err != nil {
		fmt.Fprintf(stderr, "annex run: %v\n", err)
		return exitTrouble
	}
	files, err := runner.Collect(paths)
	if err != nil {
		fmt.Fprintf(stderr, "annex run: %v\n", err)
		return exitTrouble
	}
	reg := steps.Registry()
	scs, errs := runner.LoadAll(files, reg, scenario.Options{Update: *update})
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "annex run: %d scenario files cannot be read; nothing was run\n", len(errs))
		return exitTrouble
	}
	var selected []*scenario.Scenario
	var results []runner.Result
	for _, sc := range scs {
		if filter.Match(sc.Labels) {
			selected = append(selected, sc)
		} else {
			results = append(results, runner.Result{File: sc.File, Name: sc.Name, Labels: sc.Labels, Status: runner.Skipped})
		}
	}
	start := time.Now()
	ran := runner.Run(ctx, selected, runner.Options{Registry: reg, Update: *update, Parallel: *parallel}, func(r runner.Result) {
		fmt.Fprintln(stdout, r.Line())
		if r.Failure != nil {
			fmt.Fprint(stdout, indentLines(r.Failure.Details()))
		}
		for _, u := range r.Updated {
			fmt.Fprintf(stdout, "  updated %s\n", u)
		}
	})
	wall := time.Since(start)
	results = append(ran, results...)
	var passed, failed, skipped int
	for _, r := range results {
		switch r.Status {
		case runner.Passed:
			passed++
		case runner.Failed:
			failed++
		default:
			skipped++
		}
	}
	code := exitOK
	if *junit != "" {
		if err := writeFile(*junit, func(w io.Writer) error { return runner.WriteJUnit(w, results, wall) }); err != nil {
			fmt.Fprintf(stderr, "annex run: %v\n", err)
			code = exitTrouble
		}
	}
	if *report != "" {
		if err := writeFile(*report, func(w io.Writer) error { return runner.WriteHTML(w, results) }); err != nil {
			fmt.Fprintf(stderr, "annex run: %v\n", err)
			code = exitTrouble
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintf(stdout, "ran %d scenarios in %s\n", len(ran), wall.Round(time.Millisecond))
	fmt.Fprintln(stdout, summary)
	if failed > 0 && code == exitOK {
		code = exitFailed
	}
	return code
}

func indentLines(s string) string {
	var out []byte
	start := true
	for i := 0; i < len(s); i++ {
		if start {
			out = append(out, "    "...)
		}
		out = append(out, s[i])
		start = s[i] == '\n'
	}
	return string(out)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
