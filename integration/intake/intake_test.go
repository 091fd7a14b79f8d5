package intake

import (
	"strings"
	"testing"
	"time"
)

// TestClaimNameRoundTrip: the claimed name gives back the original name
// and the format override, whatever the original name holds.
func TestClaimNameRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 2, 16, 30, 5, 123456789, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ original, format string }{
		{"01ANNEX_INST_ANNEX_requests_20261202.xml", ""},
		{"slips.txt", "aleph-text"},
		{"a+b+c.txt", "aleph-text"},
		{"Z-Z+.xml", ""},
		{"Z-Z+.xml", "aleph-print"},
		{"-", ""},
	} {
		name := ClaimName(now, tc.original, tc.format)
		if got, f := ParseClaimName(name); got != tc.original || f != tc.format {
			t.Errorf("ParseClaimName(%q) = %q, %q; want %q, %q", name, got, f, tc.original, tc.format)
		}
	}
	if got := ClaimName(now, "x.xml", ""); got != "20261202T153005.123456789Z-x.xml" {
		t.Errorf("ClaimName = %q: the claim time in UTC, then the name", got)
	}
	// A name that is not a claimed name is its own original.
	for _, n := range []string{"x.xml", "20261202T153005.123456789Zx.xml", "20261202T153005.123456789Z+aleph-text"} {
		if got, f := ParseClaimName(n); got != n || f != "" {
			t.Errorf("ParseClaimName(%q) = %q, %q", n, got, f)
		}
	}
}

// FuzzClaimName: any original name of at most MaxNameLen bytes and any
// format without '+' survive a claim; a longer one is shortened to fit;
// ParseClaimName never panics on any name.
func FuzzClaimName(f *testing.F) {
	f.Add("01ANNEX_INST_ANNEX_requests_20261202.xml", "")
	f.Add("slips.txt", "aleph-text")
	f.Add("Z-Z+.xml", "aleph-print")
	f.Add("20261202T153005.123456789Z+aleph-text+x", "")
	f.Add(strings.Repeat("é", 200)+".xml", "")
	now := time.Date(2026, 12, 2, 16, 30, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, original, format string) {
		ParseClaimName(original) // any name: no panic
		if strings.Contains(format, "+") || len(format) > 20 {
			return // formats are profile.Format* names: short, without '+'
		}
		name := ClaimName(now, original, format)
		if len(name) > maxClaimed {
			t.Fatalf("ClaimName(%q) is %d bytes, over %d", original, len(name), maxClaimed)
		}
		if len(original) > MaxNameLen {
			return // shortened
		}
		if got, f := ParseClaimName(name); got != original || f != format {
			t.Fatalf("ParseClaimName(%q) = %q, %q; want %q, %q", name, got, f, original, format)
		}
	})
}
