package main

import (
	"fmt"
	"io"
	"os"

	"github.com/annexlab/annex/ncip/compare"
)

func runDiff(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("diff", "diff EXPECTED ACTUAL", stderr)
	files, code, ok := parseArgs(fs, args, exactly(2))
	if !ok {
		return code
	}
	var data [2][]byte
	for i, f := range files {
		var err error
		if data[i], err = os.ReadFile(f); err != nil {
			fmt.Fprintf(stderr, "annex diff: %s: %v\n", f, unwrapPath(err))
			return exitTrouble
		}
	}
	res, err := compare.Messages(data[0], data[1], files[0], files[1])
	if err != nil {
		fmt.Fprintf(stderr, "annex diff: %v\n", err)
		return exitTrouble
	}
	if res.Equal {
		return exitOK
	}
	fmt.Fprint(stdout, res.Diff)
	return exitFailed
}
