package scenario_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// write puts a scenario and its fixtures in a temp dir and returns the scenario's path.
func write(t *testing.T, yaml string, fixtures map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range fixtures {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecodeErrorsNamePosition(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		fixtures   map[string]string
		want       string // FILE is replaced by the path
	}{
		{"typo in a step key", "name: x\nsteps:\n  - facility.retrieve: {barcod: \"1\"}\n", nil,
			`FILE:3:25: unknown field "barcod" (did you mean "barcode"?)`},
		{"typo in a top-level key", "name: x\nstep:\n  - engine.restart: {}\n", nil,
			`FILE:2:1: unknown field "step" (did you mean "steps"?)`},
		{"unknown step kind", "name: x\nsteps:\n  - alma.exprot: {}\n", nil,
			`FILE:3:5: unknown step kind "alma.exprot" (did you mean "alma.export"?)`},
		{"wrong type", "name: x\nsteps:\n  - alma.export: {expect_requests: two}\n", nil,
			`FILE:3:36: expect_requests: want a whole number, got "two"`},
		{"wrong shape", "name: x\nlabels: alma\nsteps:\n  - engine.restart: {}\n", nil,
			`FILE:2:9: labels: want a list, got "alma"`},
		{"missing fixture", "name: x\nsteps:\n  - sftp.upload: {file: nowhere.xml}\n", nil,
			`FILE:3:25: file: fixture file nowhere.xml: no such file or directory`},
		{"missing golden", "name: x\nsteps:\n  - expect.ncip: {to: alma, service: CheckInItem, xml: gone.xml}\n", nil,
			`FILE:3:56: xml: golden file gone.xml does not exist (run with --update to create it)`},
		{"bad enum", "name: x\nsteps:\n  - fault: {on: almа, kind: reset}\n", nil,
			`FILE:3:5: fault: on: "almа" is not one of alma, aleph`},
		{"fault on an unknown service", "name: x\nsteps:\n  - fault: {on: alma, kind: reset, service: CheckOutitem}\n", nil,
			`FILE:3:5: fault: service: "CheckOutitem" is not a service mock ALMA answers (did you mean "CheckOutItem"?)`},
		{"typo in a given key", "name: x\ngiven:\n  alma:\n    items: [{barcod: \"1\"}]\nsteps:\n  - engine.restart: {}\n", nil,
			`FILE:4:14: items[0]: unknown field "barcod" (did you mean "barcode"?)`},
		{"typo in a desk", "name: x\ngiven:\n  alma:\n    libraries:\n      - code: MAIN\n        desks: [{code: C, nmae: x}]\nsteps:\n  - engine.restart: {}\n", nil,
			`FILE:6:27: libraries[0].desks[0]: unknown field "nmae" of a desk (did you mean "name"?)`},
		{"bad timeout", "name: x\nsteps:\n  - engine.restart: {timeout: soon}\n", nil,
			`FILE:3:31: timeout: "soon" is not a positive duration`},
		{"no name", "steps:\n  - engine.restart: {}\n", nil, `FILE:1:1: name is required`},
		{"bad given", "name: x\ngiven:\n  alma: {itemz: []}\nsteps:\n  - engine.restart: {}\n", nil,
			`FILE:3:10: unknown field "itemz" (did you mean "items"?)`},
		{"bad profile", "name: x\nprofile: nope.yaml\nsteps:\n  - engine.restart: {}\n", nil,
			`FILE:2:10: profile nope.yaml: no such file or directory`},
		{"yaml syntax", "name: x\nsteps:\n  - [\n", nil, `FILE:4: YAML syntax: did not find expected node content`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.yaml, tc.fixtures)
			_, err := scenario.Load(p, steps.Registry(), scenario.Options{})
			want := strings.ReplaceAll(tc.want, "FILE", p)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v\nwant %s", err, want)
			}
		})
	}
}

func TestMissingGoldenAllowedWithUpdate(t *testing.T) {
	p := write(t, "name: x\nsteps:\n  - expect.ncip: {to: alma, service: CheckInItem, xml: gone.xml}\n", nil)
	if _, err := scenario.Load(p, steps.Registry(), scenario.Options{Update: true}); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeDefaults(t *testing.T) {
	p := write(t, "name: x\nlabels: [alma, smoke]\nsteps:\n  - alma.export: {timeout: 2s}\n  - engine.restart:\n", nil)
	sc, err := scenario.Load(p, steps.Registry(), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Profiles) != 2 || sc.ALMA == nil || sc.ALEPH == nil {
		t.Errorf("the default is the demo facility with both mocks: %d profiles", len(sc.Profiles))
	}
	if sc.Steps[0].Timeout.String() != "2s" || sc.Steps[1].Timeout != scenario.DefaultTimeout || sc.Steps[1].Line != 5 {
		t.Errorf("steps: %+v", sc.Steps)
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		expr   string
		labels []string
		want   bool
	}{
		{"", nil, true},
		{"alma", []string{"alma", "smoke"}, true},
		{"alma", []string{"aleph"}, false},
		{"alma && !faults", []string{"alma"}, true},
		{"alma && !faults", []string{"alma", "faults"}, false},
		{"smoke || security", []string{"security"}, true},
		{"smoke || security", []string{"alma"}, false},
		{"!(alma || aleph)", []string{"security"}, true},
		{"alma && faults || smoke", []string{"smoke"}, true},
		{"alma && (faults || smoke)", []string{"smoke"}, false},
		// Names ignore case, as Ginkgo's label filters do.
		{"ALMA", []string{"alma"}, true},
		{"alma && !Faults", []string{"Alma", "faults"}, false},
		{"Real-Shape", []string{"real-shape"}, true},
	} {
		f, err := scenario.ParseLabels(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		if got := f.Match(tc.labels); got != tc.want {
			t.Errorf("%q on %v = %v, want %v", tc.expr, tc.labels, got, tc.want)
		}
	}
	for _, bad := range []string{"alma &&", "&& alma", "(alma", "alma)", "alma & aleph", "a b"} {
		if _, err := scenario.ParseLabels(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestMatchGolden(t *testing.T) {
	golden := `<?xml version="1.0"?><a><b>1</b><c>x</c></a>`
	if d, err := scenario.MatchGolden([]byte(golden), []byte(golden), "", "g.xml"); err != nil || d != "" {
		t.Fatalf("equal: %q %v", d, err)
	}
	d, _ := scenario.MatchGolden([]byte(golden), []byte(strings.Replace(golden, "<b>1", "<b>2", 1)), "", "g.xml")
	if !strings.Contains(d, "-<b>1</b>") || !strings.Contains(d, "+<b>2</b>") || !strings.Contains(d, "--- g.xml") {
		t.Errorf("one-character difference, diff:\n%s", d)
	}
	ph := `<a><b>{{any}}</b><d>{{datetime}}</d></a>`
	if d, _ := scenario.MatchGolden([]byte(ph), []byte(`<a><b>zz</b><d>2025-03-14T09:26:53.000Z</d></a>`), "", "g"); d != "" {
		t.Errorf("placeholders: %s", d)
	}
	if d, _ := scenario.MatchGolden([]byte(ph), []byte(`<a><b>zz</b><d>tomorrow</d></a>`), "", "g"); d == "" {
		t.Error("{{datetime}} matched a non-date")
	}
	canon := `<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip"><ns1:CheckInItem><ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId></ns1:CheckInItem></ns1:NCIPMessage>`
	other := `<?xml version="1.0"?>
<NCIPMessage xmlns="http://www.niso.org/2008/ncip">
  <CheckInItem><ItemId><ItemIdentifierValue>1</ItemIdentifierValue></ItemId></CheckInItem>
</NCIPMessage>`
	if d, err := scenario.MatchGolden([]byte(canon), []byte(other), scenario.ModeCanonical, "g"); err != nil || d != "" {
		t.Errorf("canonical: %q %v", d, err)
	}
	if d, _ := scenario.MatchGolden([]byte(canon), []byte(other), scenario.ModeExact, "g"); d == "" {
		t.Error("exact mode ignored a prefix difference")
	}
}

// A given fault is read as the kind it names: a field of another kind is
// refused at the fault, naming it.
func TestGivenFaultOfAnotherKind(t *testing.T) {
	p := write(t, "name: x\ngiven:\n  alma:\n    faults:\n      - {kind: reset, status: 503}\nsteps:\n  - engine.restart: {}\n", nil)
	_, err := scenario.Load(p, steps.Registry(), scenario.Options{})
	if want := p + `:5:9: given.alma.faults[0]: unknown field "status"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
