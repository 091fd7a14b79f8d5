package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUpConfigRefusesDemoFlags: with --config only the facility side starts,
// so the demo's flags (--demo-auto, --alma, --aleph, --aleph-port) are
// refused with a reason instead of being silently ignored.
func TestUpConfigRefusesDemoFlags(t *testing.T) {
	facility := writeTestFacility(t, "")
	for _, extra := range [][]string{{"--demo-auto"}, {"--alma", "127.0.0.1:0"}, {"--aleph", "127.0.0.1:0"}, {"--aleph-port", "127.0.0.1:0"}} {
		var out, errs bytes.Buffer
		args := append([]string{"--config", facility, "--data", t.TempDir(), "--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0"}, extra...)
		// A cancelled context: were the flag accepted, up would start and stop at once with exit 0.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		code := runUp(ctx, args, &out, &errs)
		if code != exitTrouble || !strings.Contains(errs.String(), extra[0]+" drives the demo's mock ALMA and mock ALEPH, which --config does not start") {
			t.Errorf("%v: exit %d\n%s\n%s", extra, code, out.String(), errs.String())
		}
		if strings.Contains(out.String(), "ready") {
			t.Errorf("%v: started anyway:\n%s", extra, out.String())
		}
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--demo-every", "1s"}, "--demo-every paces --demo-auto"},
		{[]string{"--demo-auto", "--demo-every", "0s"}, "--demo-every 0s: want a positive duration"},
	} {
		var out, errs bytes.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if code := runUp(ctx, append(tc.args, "--data", t.TempDir()), &out, &errs); code != exitTrouble || !strings.Contains(errs.String(), tc.msg) {
			t.Errorf("%v: exit %d %q", tc.args, code, errs.String())
		}
	}
}
