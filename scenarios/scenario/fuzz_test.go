package scenario_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// FuzzScenarioDecode: any bytes decode to a scenario or to errors that name
// the file, never to a panic. Seeds are under testdata/fuzz/FuzzScenarioDecode.
func FuzzScenarioDecode(f *testing.F) {
	f.Add([]byte("name: x\nsteps:\n  - engine.restart: {}\n"))
	reg := steps.Registry()
	dir := f.TempDir()
	file := filepath.Join(dir, "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Decode(file, data, reg, scenario.Options{Update: true})
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, file) {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		if sc.Name == "" || len(sc.Steps) == 0 {
			t.Fatalf("decoded a scenario without a name or steps: %+v", sc)
		}
	})
}

// FuzzIndent: Indent never panics, and what it lays out reads back to the
// same layout (indenting is idempotent) and, for a message NCIP reads, the
// same canonical form. Seeds are under testdata/fuzz/FuzzIndent.
func FuzzIndent(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip"><ns1:CheckInItem><ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId></ns1:CheckInItem></ns1:NCIPMessage>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, ok := scenario.Indent(data)
		if !ok {
			return
		}
		again, ok := scenario.Indent(out)
		if !ok || string(again) != string(out) {
			t.Fatalf("indenting twice changed the layout:\n%s\n---\n%s", out, again)
		}
		if diff, err := scenario.MatchGolden(out, data, scenario.ModeCanonical, "indented"); err == nil && diff != "" {
			t.Fatalf("the indented message says something else:\n%s", diff)
		}
	})
}

// FuzzParseLabels: any expression parses or fails naming the column, never
// panics; a parsed filter ignores the case of the labels it is matched
// against. Seeds are under testdata/fuzz/FuzzParseLabels.
func FuzzParseLabels(f *testing.F) {
	f.Add("alma && !faults", "Alma,smoke")
	f.Fuzz(func(t *testing.T, expr, labels string) {
		lf, err := scenario.ParseLabels(expr)
		if err != nil {
			if !strings.Contains(err.Error(), "column ") {
				t.Fatalf("error without a column: %v", err)
			}
			return
		}
		ls := strings.Split(labels, ",")
		var upper, lower []string
		for _, l := range ls {
			upper, lower = append(upper, strings.ToUpper(l)), append(lower, strings.ToLower(l))
		}
		if m := lf.Match(ls); m != lf.Match(upper) || m != lf.Match(lower) {
			t.Fatalf("%q matches %q, %q and %q differently", expr, ls, upper, lower)
		}
	})
}
