package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/conform"
)

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "check [-v] FILE…", stderr)
	verbose := fs.Bool("v", false, "also print informational findings, and a line for each conformant message")
	files, code, ok := parseArgs(fs, args, some)
	if !ok {
		return code
	}
	code = exitOK
	for _, file := range files {
		data, err := readInput(file, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "annex check: %s: %v\n", file, unwrapPath(err))
			code = exitTrouble
			continue
		}
		report, err := conform.Check(data)
		if err != nil {
			line := 0
			var se *ncip.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			fmt.Fprintf(stderr, "%s:%d: unreadable: %v\n", file, line, err)
			code = exitTrouble
			continue
		}
		for _, f := range report.Findings {
			if f.Severity == ncip.Info && !*verbose {
				continue
			}
			msg := f.Message
			if f.Severity != ncip.Error {
				msg = f.Severity.String() + ": " + msg
			}
			fmt.Fprintf(stdout, "%s:%d: %s: %s\n", file, f.Line, f.Rule, msg)
		}
		if !report.OK() {
			if code == exitOK {
				code = exitFailed
			}
		} else if *verbose {
			fmt.Fprintf(stdout, "%s: conformant %s\n", file, describeReport(report))
		}
	}
	return code
}

// describeReport says what was checked: the version and the service.
func describeReport(r conform.Report) string {
	s := r.Version.String()
	if r.Service != "" {
		s += " " + r.Service
		if !r.Modelled {
			s += " (envelope only: annex does not model this service)"
		}
	}
	return s
}

// unwrapPath drops the *PathError wrapper, whose path the caller already prints.
func unwrapPath(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
