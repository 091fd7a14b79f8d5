package conform

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The tests compare the checker with libxml2's schema validator, the
// independent reference for NCIP 2.

const xsdPath = "../testdata/xsd/ncip_v2_02.xsd"

// xmllintError is one "FILE:LINE: element NAME: Schemas validity error" line.
type xmllintError struct {
	line    int
	element string
	text    string
}

// xmllintVerdict is what xmllint said about one file.
type xmllintVerdict struct {
	valid  bool
	errors []xmllintError
}

var xmllintLine = regexp.MustCompile(`^(.+?):(\d+): element ([^:]+): Schemas validity error : (.*)$`)

// runXmllint validates files against the NCIP 2.02 XSD in one xmllint run.
func runXmllint(t testing.TB, files []string) map[string]*xmllintVerdict {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint not found: run `make test`, which installs libxml2-utils")
	}
	out := map[string]*xmllintVerdict{}
	// Keep argument lists short enough for any OS.
	for start := 0; start < len(files); start += 200 {
		batch := files[start:min(start+200, len(files))]
		cmd := exec.Command(bin, append([]string{"--noout", "--schema", xsdPath}, batch...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		_ = cmd.Run() // exit status 3 just means some file did not validate
		for _, f := range batch {
			out[f] = &xmllintVerdict{}
		}
		for _, line := range strings.Split(stderr.String(), "\n") {
			switch {
			case strings.HasSuffix(line, " validates"):
				if v := out[strings.TrimSuffix(line, " validates")]; v != nil {
					v.valid = true
				}
			case xmllintLine.MatchString(line):
				m := xmllintLine.FindStringSubmatch(line)
				if v := out[m[1]]; v != nil {
					n, _ := strconv.Atoi(m[2])
					v.errors = append(v.errors, xmllintError{line: n, element: m[3], text: m[4]})
				}
			}
		}
	}
	for _, f := range files {
		if v := out[f]; !v.valid && len(v.errors) == 0 {
			t.Fatalf("xmllint gave no verdict on %s", filepath.Base(f))
		}
	}
	return out
}
