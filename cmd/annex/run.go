package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/annexlab/annex/scenarios/runner"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// runScenarios is `annex run [flags] PATH…`: a line per scenario as it
// finishes, then "N passed, N failed" (", N errored", ", N skipped"). A file
// that cannot be read or decoded is an errored test case; the readable ones
// still run. Exit 1 on a failure, an errored file or an empty selection
// (unless --allow-empty), 2 on bad usage.
func runScenarios(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "run [--junit FILE] [--report FILE] [--label EXPR] [--shard K/N] [--allow-empty] [--update] [--parallel N] PATH…", stderr)
	junit := fs.String("junit", "", "write JUnit XML to `FILE`")
	report := fs.String("report", "", "write a self-contained HTML report to `FILE`")
	label := fs.String("label", "", "run the scenarios whose labels match `EXPR`, e.g. 'alma && !faults' or 'smoke || security' (names ignore case)")
	update := fs.Bool("update", false, "rewrite golden NCIP files that differ instead of failing")
	parallel := fs.Int("parallel", 0, "scenarios run at once (0: GOMAXPROCS)")
	shardFlag := fs.String("shard", "", "run only part `K/N` of the scenario files (each file is in exactly one of the N parts)")
	allowEmpty := fs.Bool("allow-empty", false, "exit 0 when no scenario is selected")
	paths, code, ok := parseArgs(fs, args, some)
	if !ok {
		return code
	}
	filter, err := scenario.ParseLabels(*label)
	if err != nil {
		fmt.Fprintf(stderr, "annex run: %v\n", err)
		return exitTrouble
	}
	files, err := runner.CollectFiles(paths)
	if err != nil {
		fmt.Fprintf(stderr, "annex run: %v\n", err)
		return exitTrouble
	}
	suite := "annex scenarios"
	if *shardFlag != "" {
		shard, err := runner.ParseShard(*shardFlag)
		if err != nil {
			fmt.Fprintf(stderr, "annex run: --shard: %v\n", err)
			return exitTrouble
		}
		files = shard.Select(files)
		suite += " (shard " + shard.String() + ")"
	}
	reg := steps.Registry()
	var selected []*scenario.Scenario
	var results []runner.Result
	for _, f := range files {
		sc, err := scenario.Load(f.Path, reg, scenario.Options{Update: *update})
		switch {
		case err != nil:
			r := runner.Unreadable(f.Path, err)
			results = append(results, r)
			printResult(stdout, r)
		case filter.Match(sc.Labels):
			selected = append(selected, sc)
		default:
			results = append(results, runner.Result{File: sc.File, Name: sc.Name, Labels: sc.Labels, Status: runner.Skipped})
		}
	}
	start := time.Now()
	ran := runner.Run(ctx, selected, runner.Options{Registry: reg, Update: *update, Parallel: *parallel}, func(r runner.Result) {
		printResult(stdout, r)
	})
	wall := time.Since(start)
	results = append(ran, results...)
	count := map[runner.Status]int{}
	for _, r := range results {
		count[r.Status]++
	}
	code = exitOK
	if *junit != "" {
		if err := writeFile(*junit, func(w io.Writer) error { return runner.WriteJUnitSuite(w, suite, results, wall) }); err != nil {
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
	summary := fmt.Sprintf("%d passed, %d failed", count[runner.Passed], count[runner.Failed])
	if n := count[runner.Errored]; n > 0 {
		summary += fmt.Sprintf(", %d errored", n)
	}
	if n := count[runner.Skipped]; n > 0 {
		summary += fmt.Sprintf(", %d skipped", n)
	}
	fmt.Fprintf(stdout, "ran %s in %s\n", plural(len(ran), "scenario"), wall.Round(time.Millisecond))
	fmt.Fprintln(stdout, summary)
	if code != exitOK {
		return code
	}
	switch {
	case count[runner.Failed] > 0 || count[runner.Errored] > 0:
		return exitFailed
	case len(ran) == 0 && !*allowEmpty:
		fmt.Fprintf(stderr, "annex run: no scenario selected (%s under %s%s); --allow-empty accepts that\n",
			plural(len(files), "file"), strings.Join(paths, " "), selectionNote(*label, *shardFlag))
		return exitFailed
	}
	return exitOK
}

// printResult is the console's account of one scenario.
func printResult(w io.Writer, r runner.Result) {
	fmt.Fprintln(w, r.Line())
	switch {
	case r.Failure != nil:
		fmt.Fprint(w, indentLines(r.Failure.Details()))
	case r.Status == runner.Errored:
		if _, rest, ok := strings.Cut(r.Error, "\n"); ok {
			fmt.Fprint(w, indentLines(rest+"\n"))
		}
	}
	for _, u := range r.Updated {
		fmt.Fprintf(w, "  updated %s\n", u)
	}
}

// selectionNote says which options narrowed an empty selection.
func selectionNote(label, shard string) string {
	var s string
	if label != "" {
		s += ", --label " + label
	}
	if shard != "" {
		s += ", --shard " + shard
	}
	return s
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
