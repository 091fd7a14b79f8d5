// Command annex is the remote-storage circulation simulator and NCIP
// conformance harness: see the README's CLI reference for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/annexlab/annex/internal/suggest"
)

// version is set at link time by the Makefile (-X main.version=…).
var version = "dev"

// Exit codes shared by the commands.
const (
	exitOK      = 0
	exitFailed  = 1 // non-conformant, different, an NCIP Problem, a failed scenario
	exitTrouble = 2 // unreadable input, transport failure, bad usage
)

// command is one `annex COMMAND`: its one-line summary and an example for
// `annex help COMMAND`; its synopsis and flags come from its FlagSet.
type command struct {
	name, summary, example string
	run                    func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands lists annex's commands in the order the usage shows them.
func commands() []command {
	return []command{
		{"up", "start mock ALMA, mock ALEPH and the facility (engine and SFTP server) with the demo state",
			"annex up --demo-auto", func(ctx context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runUp(ctx, a, o, e) }},
		{"sim", "one simulator alone, for pointing any client at it",
			"annex sim alma --listen 127.0.0.1:7801", func(ctx context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runSim(ctx, a, o, e) }},
		{"run", "run scenario files (folders recurse)",
			"annex run --label 'alma && !faults' --junit junit.xml scenarios/library", func(ctx context.Context, a []string, _ io.Reader, o, e io.Writer) int {
				return runScenarios(ctx, a, o, e)
			}},
		{"steps", "the scenario step kinds: fields, types, defaults and what each does",
			"annex steps expect.ncip", func(_ context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runSteps(a, o, e) }},
		{"validate", "static checks of library profiles, then conformance scenarios against a mock of the library",
			"annex validate fixtures/profiles/alma-demo.yaml", func(_ context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runValidate(a, o, e) }},
		{"check", "NCIP conformance of messages (v1 or v2, detected)",
			"annex check -v fixtures/ncip/alma/checkout-REQ-1.xml", func(_ context.Context, a []string, i io.Reader, o, e io.Writer) int { return runCheck(a, i, o, e) }},
		{"send", "send one NCIP message and print the reply",
			"annex send http://127.0.0.1:7701/view/NCIPServlet fixtures/ncip/alma/checkout-REQ-1.xml", runSend},
		{"diff", "NCIP-aware diff of two messages",
			"annex diff fixtures/ncip/alma/checkout-REQ-1.xml fixtures/ncip/alma/checkout-REQ-2.xml", func(_ context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runDiff(a, o, e) }},
		{"watch", "print every exchange of running simulators as it happens",
			"annex watch --service CheckOutItem", func(ctx context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runWatch(ctx, a, o, e) }},
		{"health", "exit 0 if URL answers 200, 1 if it answers otherwise, 2 if it cannot be reached",
			"annex health http://127.0.0.1:7700/healthz", func(ctx context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runHealth(ctx, a, o, e) }},
		{"version", "print the version", "annex version", func(_ context.Context, a []string, _ io.Reader, o, e io.Writer) int { return runVersion(a, o, e) }},
	}
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "version", stderr)
	if _, code, ok := parseArgs(fs, args, nil); !ok {
		return code
	}
	fmt.Fprintf(stdout, "annex %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line; it is main without the process, so tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(ctx, stderr)
		return exitTrouble
	}
	name, rest := args[0], args[1:]
	switch name {
	case "--version":
		name = "version"
	case "help", "-h", "--help":
		if len(rest) == 0 {
			usage(ctx, stdout)
			return exitOK
		}
		c, ok := lookupCommand(rest[0])
		if !ok {
			fmt.Fprintf(stderr, "annex help: unknown command %q%s\n", rest[0], didYouMean(rest[0]))
			return exitTrouble
		}
		// A command's -h prints its synopsis, summary, flags and example.
		return c.run(ctx, []string{"-h"}, stdin, stdout, stdout)
	}
	c, ok := lookupCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "annex: unknown command %q%s\n\n", name, didYouMean(name))
		usage(ctx, stderr)
		return exitTrouble
	}
	return c.run(ctx, rest, stdin, stdout, stderr)
}

// usage is the top-level usage: every command's synopsis (with its flags,
// as its own -h prints it) and summary.
func usage(ctx context.Context, w io.Writer) {
	fmt.Fprint(w, "annex — remote-storage circulation simulator and NCIP conformance harness\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  annex %s\n      %s\n", synopsis(ctx, c), c.summary)
	}
	fmt.Fprint(w, "\nRun 'annex help COMMAND' for a command's flags and an example.\n"+
		"Exit status: 0 success, 1 a failure found, 2 bad usage or something unreadable or unreachable.\n")
}

// synopsis is a command's usage line, taken from its own help so the two
// cannot disagree.
func synopsis(ctx context.Context, c command) string {
	var b strings.Builder
	c.run(ctx, []string{"-h"}, strings.NewReader(""), io.Discard, &b)
	line, _, _ := strings.Cut(b.String(), "\n")
	return strings.TrimPrefix(line, "Usage: annex ")
}

func didYouMean(name string) string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if s := suggest.Closest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// parseInterspersed parses flags wherever they appear among the positional
// arguments, so `annex send URL FILE --timeout 5s` works like the flags-first form.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseArgs parses a command's flags and positional arguments and checks
// how many positional arguments there are (fits nil: any number). ok false
// means the command ends here with code: 0 after -h, 2 after a flag error or
// a wrong count, for which it prints the command's usage.
func parseArgs(fs *flag.FlagSet, args []string, fits func(n int) bool) (pos []string, code int, ok bool) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, usageError(err), false
	}
	if fits != nil && !fits(len(pos)) {
		fs.Usage()
		return nil, exitTrouble, false
	}
	return pos, exitOK, true
}

// exactly is parseArgs' check for a command that takes n positional arguments.
func exactly(n int) func(int) bool { return func(got int) bool { return got == n } }

// some is parseArgs' check for a command that takes one positional argument or more.
func some(n int) bool { return n > 0 }

// newFlagSet makes a FlagSet that reports errors instead of exiting; its
// usage is the synopsis, the command's summary, its flags and an example.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: annex %s\n", usage)
		c, _ := lookupCommand(name)
		if c.summary != "" {
			fmt.Fprintf(stderr, "\n%s.\n", upperFirst(c.summary))
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
		if c.example != "" {
			fmt.Fprintf(stderr, "\nExample:\n  %s\n", c.example)
		}
	}
	return fs
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// isSet reports whether a flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// usageError reports a flag error; -h is not an error.
func usageError(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitTrouble
}

// readInput reads a file argument; "-" is standard input.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
