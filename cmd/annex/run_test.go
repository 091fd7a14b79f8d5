package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runScenarios(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestRunLabelsReportsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	junit, report := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.html")
	code, out, errs := runArgs(t, "--label", "security && !aleph", "--junit", junit, "--report", report, "../../scenarios/library")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "PASS An SFTP login with the wrong password is refused and audited (") {
		t.Errorf("no PASS line:\n%s", out)
	}
	if l := lastLine(out); !strings.HasSuffix(l, " skipped") || !strings.HasPrefix(l, "6 passed, 0 failed, ") {
		t.Errorf("closing line %q", l)
	}
	for _, f := range []string{junit, report} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

func TestRunFailureExitsOne(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fail.yaml")
	os.WriteFile(p, []byte("name: refile fails\nprofile: "+abs(t, "../../fixtures/profiles/alma-demo.yaml")+
		"\nsteps:\n  - facility.refile: {barcode: \"39015000000001\"}\n"), 0o644)
	code, out, _ := runArgs(t, p)
	if code != exitFailed || !strings.Contains(out, "FAIL refile fails: step 1 ("+p+":4): facility.refile 39015000000001: refile: item 39015000000001 is already in storage") ||
		lastLine(out) != "0 passed, 1 failed" {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestRunUnreadableExitsTwo(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "typo.yaml")
	os.WriteFile(p, []byte("name: typo\nsteps:\n  - facility.retrieve: {barcod: \"1\"}\n"), 0o644)
	code, out, errs := runArgs(t, p)
	if code != exitTrouble || !strings.Contains(errs, p+`:3:25: unknown key "barcod"`) || strings.Contains(out, "PASS") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runArgs(t, "--label", "alma &&", "x"); code != exitTrouble || !strings.Contains(errs, "label expression") {
		t.Errorf("bad label: exit %d %s", code, errs)
	}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
