package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

var helpFlagRE = regexp.MustCompile(`(?m)^  -([a-z][a-z-]*)`)

// TestHelpPerCommand: `annex help COMMAND` prints that command's synopsis,
// flags and an example whose flags exist; the top-level usage lists every
// command with every one of its flags.
func TestHelpPerCommand(t *testing.T) {
	ctx := context.Background()
	var top bytes.Buffer
	if code := run(ctx, []string{"help"}, strings.NewReader(""), &top, &top); code != exitOK {
		t.Fatalf("annex help: exit %d", code)
	}
	for _, c := range commands() {
		var out, errs bytes.Buffer
		code := run(ctx, []string{"help", c.name}, strings.NewReader(""), &out, &errs)
		h := out.String()
		if code != exitOK || !strings.HasPrefix(h, "Usage: annex "+c.name) || !strings.Contains(h, "\nExample:\n  annex "+c.name) {
			t.Errorf("annex help %s: exit %d\n%s%s", c.name, code, h, errs.String())
			continue
		}
		usageLine, _, _ := strings.Cut(h, "\n")
		if !strings.Contains(top.String(), "  annex "+strings.TrimPrefix(usageLine, "Usage: annex ")+"\n") {
			t.Errorf("the top-level usage lacks %q", usageLine)
		}
		flags := map[string]bool{}
		for _, m := range helpFlagRE.FindAllStringSubmatch(h, -1) {
			flags[m[1]] = true
			if !strings.Contains(usageLine, "-"+m[1]) {
				t.Errorf("annex %s: the usage line does not name its flag -%s: %s", c.name, m[1], usageLine)
			}
		}
		for _, m := range regexp.MustCompile(`\s--?([a-z][a-z-]*)`).FindAllStringSubmatch(c.example, -1) {
			if !flags[m[1]] {
				t.Errorf("annex %s's example uses --%s, which it does not have", c.name, m[1])
			}
		}
	}
	var out, errs bytes.Buffer
	if code := run(ctx, []string{"help", "rnu"}, strings.NewReader(""), &out, &errs); code != exitTrouble || !strings.Contains(errs.String(), `did you mean "run"?`) {
		t.Errorf("annex help rnu: exit %d %q", code, errs.String())
	}
}

// TestCheckVerboseSaysConformant: `annex check -v` prints a line for a
// conformant message, so a user sees it checked something.
func TestCheckVerboseSaysConformant(t *testing.T) {
	f := "../../fixtures/ncip/alma/checkout-REQ-1.xml"
	code, out, _ := annex(t, "", "check", "-v", f)
	if code != exitOK || out != f+": conformant NCIP 2 CheckOutItem\n" {
		t.Errorf("check -v: exit %d %q", code, out)
	}
	if code, out, _ := annex(t, "", "check", f); code != exitOK || out != "" {
		t.Errorf("check without -v: exit %d %q", code, out)
	}
}
