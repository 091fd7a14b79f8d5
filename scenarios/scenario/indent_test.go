package scenario

import (
	"os"
	"strings"
	"testing"
)

// TestIndentKeepsWhatCanonicalComparisonSees: an indented golden has one
// element per line and still matches the message in canonical mode.
func TestIndentKeepsWhatCanonicalComparisonSees(t *testing.T) {
	msg, err := os.ReadFile("../../fixtures/ncip/alma/checkout-REQ-1.xml")
	if err != nil {
		t.Fatal(err)
	}
	out, ok := Indent(msg)
	if !ok {
		t.Fatal("Indent could not read the fixture")
	}
	if n := strings.Count(string(out), "\n"); n < 10 {
		t.Errorf("indented message has %d lines:\n%s", n, out)
	}
	if !strings.Contains(string(out), "\n    <ns1:InitiationHeader>") && !strings.Contains(string(out), "\n    <InitiationHeader>") {
		t.Errorf("no nested indentation:\n%s", out)
	}
	if diff, err := MatchGolden(out, msg, ModeCanonical, "indented"); err != nil || diff != "" {
		t.Errorf("indented golden does not match canonically (%v):\n%s\n%s", err, diff, out)
	}
	if _, ok := Indent([]byte("<a><b></a>")); ok {
		t.Error("malformed XML was indented")
	}
}
