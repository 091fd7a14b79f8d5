package faults

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestPickCountServiceProbability(t *testing.T) {
	s := NewSet(1)
	if _, err := s.Add(Fault{Kind: StatusFault{Status: 503}, Service: "CheckOutItem", Count: 2}); err != nil {
		t.Fatal(err)
	}
	if f := s.Pick("CheckInItem"); f != nil {
		t.Error("a CheckOutItem fault hit a CheckInItem")
	}
	for i := range 2 {
		f := s.Pick("CheckOutItem")
		if f == nil || f.Kind.(StatusFault).Status != 503 || f.Applied != i+1 {
			t.Fatalf("hit %d: %+v", i+1, f)
		}
	}
	if f := s.Pick("CheckOutItem"); f != nil || len(s.List()) != 0 {
		t.Error("a count-2 fault hit a third time or was not retired")
	}

	s.Add(Fault{Kind: ResetFault{}, Probability: 0.25})
	hits := 0
	for range 4000 {
		if s.Pick("X") != nil {
			hits++
		}
	}
	if hits < 800 || hits > 1200 {
		t.Errorf("probability 0.25 hit %d of 4000", hits)
	}
	// The same seed gives the same sequence, so a probabilistic run can be repeated.
	a, b := NewSet(7), NewSet(7)
	a.Add(Fault{Kind: ResetFault{}, Probability: 0.5})
	b.Add(Fault{Kind: ResetFault{}, Probability: 0.5})
	for i := range 100 {
		if (a.Pick("") == nil) != (b.Pick("") == nil) {
			t.Fatalf("draw %d differs between equal seeds", i)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{}, "kind is required"},
		{Fault{Kind: LatencyFault{}}, "fault latency: latency must be positive"},
		{Fault{Kind: StatusFault{Status: 42}}, "fault status: status 42 is not an HTTP status"},
		{Fault{Kind: ProblemFault{}}, "problem_type is required"},
		{Fault{Kind: ResetFault{}, Probability: 2}, "not between 0 and 1"},
		{Fault{Kind: ResetFault{}, Count: -1}, "negative"},
	} {
		if err := tc.f.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.f, err, tc.want)
		}
	}
}

// The flat form users write is read into the kind's own type, and a field
// of another kind, a misspelt one or an unknown kind is refused where it
// stands, with a did-you-mean.
func TestParse(t *testing.T) {
	reg := Builtin()
	f, err := reg.ParseJSON([]byte(`{"kind":"latency","latency":"150ms","service":"CheckInItem","count":2}`))
	if err != nil || f.Kind != (LatencyFault{Latency: Duration(150 * time.Millisecond)}) || f.Service != "CheckInItem" || f.Count != 2 {
		t.Fatalf("latency from JSON: %+v %v", f, err)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"kind":"explode"}`, `line 1:9: kind: "explode" is not a fault kind; want one of latency, malformed, no-answer`},
		{`{"kind":"rset"}`, `line 1:9: kind: "rset" is not a fault kind (did you mean "reset"?)`},
		{`{"count":1}`, `kind: is required; want one of latency`},
		{`{"kind":"reset","status":503}`, `line 1:17: unknown field "status"`},
		{`{"kind":"status","staus":503}`, `line 1:18: unknown field "staus" (did you mean "status"?)`},
		{`{"kind":"latency","latency":"soon"}`, `line 1:29: latency: "soon" is not a duration`},
		{`{"kind":"status","status":"503"}`, `line 1:27: status: want a whole number, got "503"`},
	} {
		if _, err := reg.ParseJSON([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.want)
		}
	}

	var doc struct {
		Faults []Fault `yaml:"faults"`
	}
	src := "faults:\n  - kind: problem\n    problem_type: Unknown Item\n  - kind: status\n    status: 503\n    problem_typ: x\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err == nil || !strings.Contains(err.Error(), `6:5`) || !strings.Contains(err.Error(), `unknown field "problem_typ"`) {
		t.Errorf("YAML with another kind's field: %v", err)
	}
	doc.Faults = nil
	if err := yaml.Unmarshal([]byte(src[:strings.Index(src, "    problem_typ:")]), &doc); err != nil || len(doc.Faults) != 2 ||
		doc.Faults[0].Kind != (ProblemFault{ProblemType: "Unknown Item"}) || doc.Faults[1].Kind != (StatusFault{Status: 503}) {
		t.Errorf("YAML faults: %+v %v", doc.Faults, err)
	}
}

// A fault is written back in the flat form it was read in.
func TestJSONRoundTrip(t *testing.T) {
	in := Fault{ID: 3, Kind: ProblemFault{ProblemType: "Unknown Item", ProblemDetail: "x"}, Service: "LookupItem", Count: 1, AfterProcessing: true, Applied: 1}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":3,"kind":"problem","service":"LookupItem","count":1,"after_processing":true,"applied":1,"problem_type":"Unknown Item","problem_detail":"x"}`
	if string(data) != want {
		t.Errorf("JSON:\n got %s\nwant %s", data, want)
	}
	var out Fault
	if err := json.Unmarshal(data, &out); err != nil || out != in {
		t.Errorf("read back %+v, %v", out, err)
	}
	if data, _ := json.Marshal(Fault{Kind: ResetFault{}}); string(data) != `{"kind":"reset","applied":0}` {
		t.Errorf("a kind without fields: %s", data)
	}
}

// Every built-in kind is registered under the name its file gives it.
func TestBuiltin(t *testing.T) {
	want := []string{Latency, Malformed, NoAnswer, Problem, Reset, Status, Truncated, WrongCharset}
	slices.Sort(want)
	if got := Kinds(); !slices.Equal(got, want) {
		t.Errorf("built-in kinds %v, want %v", got, want)
	}
	for _, name := range want {
		k, ok := Builtin().New(name)
		if !ok || k.Name() != name {
			t.Errorf("%s: New gives %v", name, k)
		}
		// An embedded base without its yaml:"-" tag makes go-yaml panic.
		if _, err := yaml.Marshal(k); err != nil {
			t.Errorf("%s in YAML: %v", name, err)
		}
	}
	if err := Builtin().Register(ResetFault{}); err == nil {
		t.Error("a kind registered twice")
	}
}

func TestCorrupt(t *testing.T) {
	reply := []byte(`<?xml version="1.0" encoding="UTF-8"?><NCIPMessage><X>ü</X></NCIPMessage>`)
	in := Reply{ContentType: "text/xml; charset=UTF-8", Body: reply}
	if got := (WrongCharsetFault{}).Rewrite(in); !strings.Contains(string(got.Body), `encoding="ISO-8859-1"`) || !strings.Contains(string(got.Body), "ü") ||
		got.ContentType != "text/xml; charset=ISO-8859-1" {
		t.Errorf("wrong-charset: %s %s", got.ContentType, got.Body)
	}
	if got := (MalformedFault{}).Rewrite(in); !strings.HasSuffix(string(got.Body), "<</broken") || string(in.Body) != string(reply) {
		t.Errorf("malformed: %s (the reply became %s)", got.Body, in.Body)
	}
}
