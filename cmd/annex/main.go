// Command annex is the remote-storage circulation simulator and NCIP
// conformance harness: see the README and DESIGN §2.1 for the CLI contract.
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
	"syscall"
)

// version is set at link time by the Makefile (-X main.version=…).
var version = "dev"

// Exit codes shared by the commands (DESIGN §2.1).
const (
	exitOK       = 0
	exitFailed   = 1 // non-conformant, different, an NCIP Problem, a failed scenario
	exitTrouble  = 2 // unreadable input, transport failure, bad usage
	usageSummary = `annex — remote-storage circulation simulator and NCIP conformance harness

Usage:
  annex run [--junit F] [--report F] [--label EXPR] [--update] PATH…   run scenario files
  annex validate [--facility FILE] PROFILE…   static checks of library profiles
  annex check FILE…                 NCIP conformance of messages (v1 or v2, detected)
  annex send [flags] URL FILE       send one NCIP message and print the reply
  annex diff EXPECTED ACTUAL        NCIP-aware diff of two messages
  annex up [flags]                  start mock ALMA, mock ALEPH and the SFTP server with the demo state
  annex sim alma|aleph|sftp [flags] one simulator alone, for pointing any client at it
  annex watch [flags] [URL…]        print every exchange of running simulators as it happens
  annex health [--timeout 5s] URL   exit 0 if URL answers 200 (the image's HEALTHCHECK)
  annex version                     print the version

Run 'annex COMMAND -h' for a command's flags.
`
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line; it is main without the process, so tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageSummary)
		return exitTrouble
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "check":
		return runCheck(rest, stdin, stdout, stderr)
	case "send":
		return runSend(ctx, rest, stdin, stdout, stderr)
	case "diff":
		return runDiff(rest, stdout, stderr)
	case "up":
		return runUp(ctx, rest, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "validate":
		return runValidate(rest, stdout, stderr)
	case "run":
		return runScenarios(ctx, rest, stdout, stderr)
	case "health":
		return runHealth(ctx, rest, stdout, stderr)
	case "watch":
		return runWatch(ctx, rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "annex %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageSummary)
		return exitOK
	}
	fmt.Fprintf(stderr, "annex: unknown command %q\n\n%s", cmd, usageSummary)
	return exitTrouble
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

// newFlagSet makes a FlagSet that reports errors instead of exiting.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: annex %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
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
