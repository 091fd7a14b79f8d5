package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"html/template"
	"io/fs"
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
	if !strings.Contains(out, "PASS An SFTP login with the wrong password is refused and audited (../../scenarios/library/security/") {
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

// TestRunLabelIgnoresCase: --label names match labels without regard to
// case, the rule of the Ginkgo suite's ANNEX_LABEL (the same parser):
// `SMOKE && Aleph` runs the library's two files labelled aleph and smoke.
func TestRunLabelIgnoresCase(t *testing.T) {
	code, out, errs := runArgs(t, "--label", "SMOKE && Aleph", "../../scenarios/library")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, name := range []string{"ALEPH hold-request slip is retrieved to the stop's user and refiled", "A request file posted with the wrong API key is refused"} {
		if !strings.Contains(out, "PASS "+name+" (") {
			t.Errorf("no PASS line for %q:\n%s", name, out)
		}
	}
	if l := lastLine(out); !strings.HasPrefix(l, "2 passed, 0 failed, ") || !strings.HasSuffix(l, " skipped") {
		t.Errorf("closing line %q", l)
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

// TestRunUnreadableIsAnErroredCase: a file that cannot be read does not
// stop the run; it is an errored test case with FILE:LINE:COL in the
// console, the JUnit file and the HTML report, and the run exits 1.
func TestRunUnreadableIsAnErroredCase(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "typo.yaml")
	os.WriteFile(bad, []byte("name: typo\nsteps:\n  - facility.retrieve: {barcod: \"1\"}\n"), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("name: refile is refused\nprofile: "+abs(t, "../../fixtures/profiles/alma-demo.yaml")+
		"\nsteps:\n  - facility.refile: {barcode: \"39015000000001\", expect_error: already in storage}\n"), 0o644)
	junit, report := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.html")
	code, out, errs := runArgs(t, "--junit", junit, "--report", report, dir)
	where := bad + `:3:25: unknown field "barcod"`
	if code != exitFailed || !strings.Contains(out, "ERROR "+where) || !strings.Contains(out, "PASS refile is refused ("+good+", ") ||
		!strings.Contains(out, "\nran 1 scenario in ") || lastLine(out) != "1 passed, 0 failed, 1 errored" {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
	var doc struct {
		Errors int `xml:"errors,attr"`
		Suites []struct {
			Cases []struct {
				File  string `xml:"file,attr"`
				Error *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	errored := 0
	for _, c := range doc.Suites[0].Cases {
		if c.Error != nil {
			errored++
			if c.File != bad || !strings.Contains(c.Error.Message, where) {
				t.Errorf("errored case %s: %q", c.File, c.Error.Message)
			}
		}
	}
	if doc.Errors != 1 || errored != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Errorf("junit: %d errors, %d errored cases of %d:\n%s", doc.Errors, errored, len(doc.Suites[0].Cases), data)
	}
	html, _ := os.ReadFile(report)
	for _, want := range []string{"1 errored", "ERROR " + bad, html_escape(where)} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if code, _, errs := runArgs(t, "--label", "alma &&", "x"); code != exitTrouble || !strings.Contains(errs, "label expression") {
		t.Errorf("bad label: exit %d %s", code, errs)
	}
}

func html_escape(s string) string { return template.HTMLEscapeString(s) }

// TestRunEmptySelectionFails: a label nothing carries, or a folder without
// scenarios, runs nothing and exits 1 unless --allow-empty says that is fine.
func TestRunEmptySelectionFails(t *testing.T) {
	code, out, errs := runArgs(t, "--label", "nosuchlabel", "../../scenarios/library/security")
	if code != exitFailed || !strings.Contains(errs, "no scenario selected") || !strings.Contains(errs, "--label nosuchlabel") ||
		!strings.Contains(out, "ran 0 scenarios") {
		t.Errorf("unknown label: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runArgs(t, "--allow-empty", "--label", "nosuchlabel", "../../scenarios/library/security"); code != exitOK {
		t.Errorf("--allow-empty: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runArgs(t, t.TempDir()); code != exitFailed || !strings.Contains(errs, "no scenario selected (0 files under") {
		t.Errorf("empty folder: exit %d %s", code, errs)
	}
}

// TestRunShardsCoverLibraryOnce: --shard 1/5 … 5/5 run every library
// scenario file exactly once between them, each shard writing its own
// JUnit file, and the partition does not depend on how the folder is spelt.
func TestRunShardsCoverLibraryOnce(t *testing.T) {
	lib := "../../scenarios/library"
	var all []string
	filepath.WalkDir(lib, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			all = append(all, p)
		}
		return err
	})
	seen := map[string]int{}
	dir := t.TempDir()
	nonEmpty := 0
	for k := 1; k <= 5; k++ {
		junit := filepath.Join(dir, fmt.Sprintf("junit-%d.xml", k))
		shard := fmt.Sprintf("%d/5", k)
		code, out, errs := runArgs(t, "--shard", shard, "--junit", junit, lib)
		if code != exitOK {
			t.Fatalf("shard %s: exit %d\n%s\n%s", shard, code, out, errs)
		}
		var doc struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					File string `xml:"file,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		data, _ := os.ReadFile(junit)
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if want := "annex scenarios (shard " + shard + ")"; doc.Suites[0].Name != want {
			t.Errorf("suite name %q, want %q", doc.Suites[0].Name, want)
		}
		if len(doc.Suites[0].Cases) > 0 {
			nonEmpty++
		}
		for _, c := range doc.Suites[0].Cases {
			seen[c.File]++
		}
		// The same folder spelt another way gives the same shard.
		// (Labels nobody has skip every file, which still lists it in the JUnit file.)
		again := filepath.Join(dir, fmt.Sprintf("again-%d.xml", k))
		runArgs(t, "--allow-empty", "--shard", shard, "--label", "nosuchlabel", "--junit", again, "./"+lib+"/")
		data, _ = os.ReadFile(again)
		if got, want := strings.Count(string(data), "<skipped>"), len(doc.Suites[0].Cases); got != want {
			t.Errorf("shard %s: %d files through ./%s/, %d through %s", shard, got, lib, want, lib)
		}
	}
	for _, f := range all {
		if seen[f] != 1 {
			t.Errorf("%s ran in %d shards, want 1", f, seen[f])
		}
	}
	if len(seen) != len(all) || nonEmpty < 4 {
		t.Errorf("%d files run, %d in the library; %d of 5 shards non-empty", len(seen), len(all), nonEmpty)
	}
	if code, _, errs := runArgs(t, "--shard", "6/5", lib); code != exitTrouble || !strings.Contains(errs, "want K/N with 1 ≤ K ≤ N") {
		t.Errorf("--shard 6/5: exit %d %s", code, errs)
	}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
