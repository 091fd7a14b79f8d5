package main

import (
	"bytes"
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
			"2 profiles checked: 0 errors, 3 warnings", []string{"aleph-demo.yaml:25:12: warning: intake.api_key: is shorter than 16 characters"}},
		{"facility", []string{"--facility", filepath.Join(fixtures, "facility-demo.yaml")}, 0,
			"1 facility and 2 profiles checked: 0 errors, 1 warning", nil},
		{"errors", []string{broken}, 1, "1 profile checked: 1 error, 2 warnings", []string{
			broken + ":9:17: warning: alma.profile_code: \"Annex\" is not all upper case; ALMA matches integration profile codes case-sensitively",
			broken + ":15:3: error: alma.bogus: unknown key \"bogus\"",
		}},
		{"flags after files", []string{broken, "--facility", filepath.Join(fixtures, "facility-demo.yaml")}, 1,
			"1 facility and 3 profiles checked: 3 errors, 2 warnings", []string{"alma.bogus", `profile name "alma-demo" is already used`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runValidate(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout.String(), stderr.String())
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			n := len(lines)
			if n < 2 || lines[n-2] != tc.summary || lines[n-1] != "conformance scenarios: not run (they come with the scenario harness)" {
				t.Errorf("output does not end with the summary %q:\n%s", tc.summary, stdout.String())
			}
			for _, l := range lines[:max(n-2, 0)] {
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
