package profile

import (
	"testing"
)

// checkInvariants holds for any input: every problem has a message and a
// known severity, and is placed at a line unless it concerns the whole file.
func checkInvariants(t *testing.T, files []string, probs Problems) {
	t.Helper()
	for _, p := range probs {
		switch {
		case p.Message == "":
			t.Errorf("problem without a message: %#v", p)
		case p.Severity != SeverityError && p.Severity != SeverityWarning:
			t.Errorf("severity %q: %s", p.Severity, p)
		case p.Line < 1 && (p.Field != "" || p.Column != 0):
			t.Errorf("problem about %q without a line: %#v", p.Field, p)
		case p.Line < 0 || p.Column < 0:
			t.Errorf("negative position: %#v", p)
		}
		known := false
		for _, f := range files {
			known = known || p.File == f
		}
		if !known {
			t.Errorf("problem in file %q, want one of %q: %s", p.File, files, p)
		}
		_ = p.String()
	}
}

func FuzzParseProfile(f *testing.F) {
	for _, s := range []string{almaBase, alephBase, textBase, fixedBase} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := ParseProfile("p.yaml", data)
		checkInvariants(t, []string{"p.yaml"}, probs)
		_ = p.Defaults()
	})
}

func FuzzParseFacility(f *testing.F) {
	f.Add([]byte(facilityBase), []byte(almaBase))
	f.Fuzz(func(t *testing.T, facility, profile []byte) {
		fac, ps, probs := ParseFacility("f.yaml", facility, func(string) (string, []byte, error) {
			return "p.yaml", profile, nil
		})
		checkInvariants(t, []string{"f.yaml", "p.yaml"}, probs)
		_ = fac.Defaults()
		for _, p := range ps {
			_ = p.Defaults()
		}
	})
}
