package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	fixtures := filepath.Join("..", "..", "fixtures", "profiles")
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	alma, err := os.ReadFile(filepath.Join(fixtures, "alma-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(string(alma), "profile_code: ANNEX ", "profile_code: Annex ", 1)
	data = strings.Replace(data, "  checkout_user: ANNEX-USER\n", "  checkout_user: ANNEX-USER\n  bogus: 1\n", 1)
	if err := os.WriteFile(broken, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^[^:]+:\d+:\d+: (error|warning): [a-z_.\[\]"A-Z0-9/-]+: .+$`)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		summary  string
		contains []string
	}{
		{"clean with warnings", []string{filepath.Join(fixtures, "alma-demo.yaml"), filepath.Join(fixtures, "aleph-demo.yaml")}, 0,
			"2 profiles checked: 0 errors, 3 warnings", []string{"aleph-demo.yaml:26:12: warning: intake.api_key: is shorter than 16 characters"}},
		{"facility", []string{"--facility", filepath.Join(fixtures, "facility-demo.yaml")}, 0,
			"1 facility and 2 profiles checked: 0 errors, 1 warning", nil},
		{"errors", []string{broken}, 1, "1 profile checked: 1 error, 2 warnings", []string{
			broken + ":10:17: warning: alma.profile_code: \"Annex\" is not all upper case; ALMA matches integration profile codes case-sensitively",
			broken + ":16:3: error: alma.bogus: unknown key \"bogus\"",
		}},
		// Issue 13 finding 5: an edited copy of a profile the facility
		// lists (same name) is checked in its place, not reported as a
		// second profile of that name and SFTP account.
		{"flags after files", []string{broken, "--facility", filepath.Join(fixtures, "facility-demo.yaml")}, 1,
			"1 facility and 2 profiles checked: 1 error, 2 warnings", []string{"alma.bogus"}},
		{"two profiles of one name", []string{broken, filepath.Join(fixtures, "alma-demo.yaml")}, 1,
			"2 profiles checked: 3 errors, 3 warnings", []string{"alma.bogus", `profile name "alma-demo" is already used`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// The static half alone: its output ends with the summary.
			code := runValidate(append([]string{"--no-scenarios"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout.String(), stderr.String())
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			n := len(lines)
			if lines[n-1] != tc.summary {
				t.Errorf("output does not end with the summary %q:\n%s", tc.summary, stdout.String())
			}
			for _, l := range lines[:max(n-1, 0)] {
				if !line.MatchString(l) {
					t.Errorf("line not FILE:LINE:COL: severity: field: message: %q", l)
				}
			}
			for _, c := range tc.contains {
				if !strings.Contains(stdout.String(), c) {
					t.Errorf("output lacks %q:\n%s", c, stdout.String())
				}
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{filepath.Join(dir, "missing.yaml"), broken}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "missing.yaml: no such file or directory") || !strings.Contains(stdout.String(), "alma.bogus") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
	})
	t.Run("usage", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := runValidate(nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "Usage: annex validate") {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	})
}

// TestValidateScenarios runs the conformance half against real in-process
// worlds: the demo profiles pass against their libraries, and each broken
// profile fails naming the field, where it is written and what to change.
func TestValidateScenarios(t *testing.T) {
	profiles := filepath.Join("..", "..", "fixtures", "profiles")
	fixtures := filepath.Join("..", "..", "fixtures", "validate")
	almaLib, alephLib := filepath.Join(fixtures, "alma-library.yaml"), filepath.Join(fixtures, "aleph-library.yaml")

	t.Run("demo profiles pass", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{"--library", almaLib, "--library", alephLib,
			filepath.Join(profiles, "alma-demo.yaml"), filepath.Join(profiles, "aleph-demo.yaml")}, &stdout, &stderr)
		out := stdout.String()
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
		}
		if !strings.HasSuffix(out, "\n10 scenarios: 10 passed, 0 failed\n") {
			t.Errorf("summary missing:\n%s", out)
		}
		for _, want := range []string{
			"against ALMA as " + almaLib + " configures it:",
			"against ALEPH as " + alephLib + " configures it:",
			`✓ checked ALMA's export of a request for an item in each remote-storage collection (LAW/ANNEX, MAIN/ANNEX) over SFTP as account "alma"`,
			"✓ checked retrieval from library LAW: CheckOutItem gets no Problem and ALMA puts the item in transit",
			"✓ checked refile for library MAIN: CheckInItem gets no Problem and ALMA has the item back in place",
			"✓ checked an item of library LAW the facility does not hold: CancelRequestItem gets no Problem",
			"✓ checked every NCIP message the facility sent to ALMA is conformant",
			`✓ checked stop SCI-CIRC: a hold slip for pickup "Science Library Circulation Desk" is accepted`,
			"✓ checked every NCIP message the facility sent to ALEPH is conformant NCIP 1",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "✗") || strings.Contains(out, "  - not checked") {
			t.Errorf("a scenario did not pass:\n%s", out)
		}
	})

	t.Run("derived library", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{filepath.Join(profiles, "alma-demo.yaml")}, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), "against ALMA derived from the profile") {
			t.Errorf("exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	})

	dir := t.TempDir()
	for _, tc := range []struct {
		name, profile, library string
		summary                string
		want                   []string
	}{
		{"wrong profile-code case", "alma-wrong-case.yaml", almaLib, "7 scenarios: 2 passed, 5 failed", []string{
			`✗ retrieval from library LAW: CheckOutItem gets no Problem and ALMA puts the item in transit: ALMA answered Problem "Unknown partner" for ApplicationProfileType "annex" — want "ANNEX" (differs only in case; ALMA compares codes case-sensitively): set alma.profile_code to "ANNEX" (` + filepath.Join(fixtures, "alma-wrong-case.yaml") + ":8:17)",
			// One cause is told once: the failures after it that share it say so.
			"✗ retrieval from library MAIN: CheckOutItem gets no Problem and ALMA puts the item in transit: the same cause as above\n",
			"✗ refile for library LAW: CheckInItem gets no Problem and ALMA has the item back in place: the same cause as above\n",
			"✗ an item of library LAW the facility does not hold: CancelRequestItem gets no Problem and ALMA cancels the request: the same cause as above\n",
		}},
		{"desk missing from the library", "alma-missing-desk.yaml", almaLib, "7 scenarios: 4 passed, 3 failed", []string{
			`✗ retrieval from library LAW: CheckOutItem gets no Problem and ALMA puts the item in transit: ALMA answered Problem "Unknown Agency" for OnBehalfOfAgency "LAW.FRONT" — want "LAW.CIRC" (not a circulation desk of the item's library LAW): set alma.desks.LAW to "LAW.CIRC" (a desk of library LAW in ALMA), or create desk FRONT in ALMA's library LAW (` + filepath.Join(fixtures, "alma-missing-desk.yaml") + ":12:10)",
			"✓ checked retrieval from library MAIN",
			"✓ checked refile for library MAIN",
		}},
		// Issue 13 finding 3: the hint named the other library's desk, so
		// applying it broke the first library, and so on.
		{"one desk for two libraries", "alma-one-desk.yaml", almaLib, "7 scenarios: 4 passed, 3 failed", []string{
			`✗ retrieval from library LAW: CheckOutItem gets no Problem and ALMA puts the item in transit: ALMA answered Problem "Unknown Agency" for OnBehalfOfAgency "MAIN.CIRC" — want "LAW.CIRC" (circulation desk CIRC belongs to library MAIN, not to the item's library LAW): one desk cannot serve libraries LAW, MAIN: replace alma.desk with alma.desks, a desk per library: {LAW: LAW.CIRC, MAIN: MAIN.CIRC} (` + filepath.Join(fixtures, "alma-one-desk.yaml") + ":13:9)",
			"✗ refile for library LAW: CheckInItem gets no Problem and ALMA has the item back in place: the same cause as above\n",
			"✓ checked retrieval from library MAIN",
		}},
		{"stop without CAIAUSER", "aleph-stop-without-user.yaml", alephLib, "3 scenarios: 2 passed, 1 failed", []string{
			`✗ stop SCI-CIRC: a hold slip for pickup "Science Library Circulation Desk" is accepted, and CheckOutItem as its CAIAUSER (none configured)`,
			`the facility denied the hold request for stop SCI-CIRC — Invalid Stop Code: stop "SCI-CIRC" has no ALEPH user (aleph.users): add SCI-CIRC: CAIAUSER2 under aleph.users (ALEPH's user for that stop) (` + filepath.Join(fixtures, "aleph-stop-without-user.yaml") + ":9:3)",
			"✓ checked stop MAIN-CIRC",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			junit := filepath.Join(dir, tc.profile+".xml")
			var stdout, stderr bytes.Buffer
			code := runValidate([]string{"--library", tc.library, "--junit", junit, filepath.Join(fixtures, tc.profile)}, &stdout, &stderr)
			out := stdout.String()
			if code != 1 {
				t.Errorf("exit %d, want 1\n%s%s", code, out, stderr.String())
			}
			if !strings.HasSuffix(out, "\n"+tc.summary+"\n") {
				t.Errorf("output does not end with %q:\n%s", tc.summary, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			checkJUnit(t, junit, tc.summary)
		})
	}

	t.Run("static errors stop the scenarios", func(t *testing.T) {
		broken := writeUnknownKey(t, filepath.Join(profiles, "alma-demo.yaml"), filepath.Join(dir, "bogus.yaml"))
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{broken}, &stdout, &stderr)
		if code != 1 || !strings.HasSuffix(stdout.String(), "\nconformance scenarios: not run, fix the errors above first\n") {
			t.Errorf("exit %d\n%s", code, stdout.String())
		}
	})

	// Issue 13 finding 4: a library file of the other system used to be
	// ignored, and validate passed against a mock derived from the profile.
	t.Run("library file of the other system", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{"--library", alephLib, filepath.Join(profiles, "alma-demo.yaml")}, &stdout, &stderr)
		want := "annex validate: --library " + alephLib + " is a mock ALEPH configuration, but no ALEPH profile is being validated (" + filepath.Join(profiles, "alma-demo.yaml") + " is an ALMA profile)"
		if code != 2 || !strings.Contains(stderr.String(), want) || strings.Contains(stdout.String(), "passed") {
			t.Errorf("exit %d, want 2 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout.String(), stderr.String())
		}
		stdout.Reset()
		stderr.Reset()
		code = runValidate([]string{"--library", almaLib, filepath.Join(profiles, "aleph-demo.yaml")}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "is a mock ALMA configuration, but no ALMA profile is being validated") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
	})

	// Issue 13 finding 14: an error in one profile held back the scenarios
	// of every profile; now only its own wait.
	t.Run("static errors hold back only their profile", func(t *testing.T) {
		broken := writeUnknownKey(t, filepath.Join(profiles, "aleph-demo.yaml"), filepath.Join(dir, "bogus-aleph.yaml"))
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{"--library", almaLib, filepath.Join(profiles, "alma-demo.yaml"), broken}, &stdout, &stderr)
		out := stdout.String()
		if code != 1 {
			t.Errorf("exit %d, want 1 (the static error)\n%s%s", code, out, stderr.String())
		}
		for _, want := range []string{
			"conformance scenarios of aleph-demo (" + broken + "): not run, fix its errors above first\n",
			"conformance scenarios of alma-demo (" + filepath.Join(profiles, "alma-demo.yaml") + ") against ALMA as " + almaLib + " configures it:",
			"\n7 scenarios: 7 passed, 0 failed\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("library file of neither system", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := runValidate([]string{"--library", filepath.Join(profiles, "alma-demo.yaml"), filepath.Join(profiles, "alma-demo.yaml")}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "is neither a mock ALMA configuration") {
			t.Errorf("exit %d\n%s", code, stderr.String())
		}
	})
}

// checkJUnit reads a JUnit file and compares its counts with the summary
// line "N scenarios: N passed, N failed".
// writeUnknownKey writes a copy of the profile at src to dst with a key
// profiles do not have, a static error, and returns dst.
func writeUnknownKey(t *testing.T, src, dst string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, append(data, "bogus: 1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func checkJUnit(t *testing.T, path, summary string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit is not well-formed XML: %v\n%s", err, data)
	}
	var tests, passed, failed int
	if _, err := fmt.Sscanf(summary, "%d scenarios: %d passed, %d failed", &tests, &passed, &failed); err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, s := range doc.Suites {
		cases += len(s.Cases)
	}
	if doc.Tests != tests || doc.Failures != failed || cases != tests {
		t.Errorf("junit has tests=%d failures=%d cases=%d, want %d and %d:\n%s", doc.Tests, doc.Failures, cases, tests, failed, data)
	}
}
