package faults

import (
	"encoding/json"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse: any bytes are read as a fault or refused, never a panic; a
// fault read from JSON is written back to the same fault, and the same
// bytes read as YAML (JSON being YAML) give the same fault.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"kind":"latency","latency":"150ms","count":1}`))
	f.Add([]byte(`{"kind":"problem","service":"CheckOutItem","problem_type":"Unknown Item","after_processing":true}`))
	f.Add([]byte(`{"kind":"status","status":503,"body":"<h1>down</h1>","probability":0.5}`))
	f.Add([]byte(`{"kind":"rset","servce":"x"}`))
	reg := Builtin()
	f.Fuzz(func(t *testing.T, data []byte) {
		fj, err := reg.ParseJSON(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(fj)
		if err != nil {
			t.Fatalf("%+v does not marshal: %v", fj, err)
		}
		back, err := reg.ParseJSON(out)
		if err != nil || back != fj {
			t.Fatalf("round trip of %s: %+v, %v", out, back, err)
		}
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil || len(n.Content) != 1 {
			return
		}
		if fy, err := reg.ParseYAML(n.Content[0]); err == nil && fy.Kind != fj.Kind {
			t.Fatalf("YAML reads %+v, JSON %+v", fy, fj)
		}
	})
}
