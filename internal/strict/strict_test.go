package strict

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type item struct {
	Barcode string `yaml:"barcode" json:"barcode"`
	Count   int    `yaml:"count" json:"count"`
	Ok      bool   `yaml:"ok" json:"ok"`
}

type doc struct {
	Items   []item            `yaml:"items" json:"items"`
	Service string            `yaml:"service" json:"service"`
	Wait    time.Duration     `yaml:"wait" json:"-"`
	Net     netip.Prefix      `yaml:"net" json:"net"`
	Labels  map[string]string `yaml:"labels" json:"labels"`
	Inline  `yaml:",inline"`
}

type Inline struct {
	Extra string `yaml:"extra" json:"extra"`
}

func TestYAMLMessages(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"unknown key", "itemz: []\n", []string{`f.yaml:1:1: unknown field "itemz" (did you mean "items"?)`}},
		{"unknown nested", "items:\n  - barcod: x\n", []string{`f.yaml:2:5: items[0]: unknown field "barcod" (did you mean "barcode"?)`}},
		{"far off", "zzzzzz: 1\n", []string{`f.yaml:1:1: unknown field "zzzzzz"; the fields here are extra, items, labels, net, service, wait`}},
		{"number for list", "items: 3\n", []string{`f.yaml:1:8: items: want a list, got "3"`}},
		{"word for number", "items: [{count: many}]\n", []string{`f.yaml:1:17: items[0].count: want a whole number, got "many"`}},
		{"list for string", "service: [a]\n", []string{`f.yaml:1:10: service: want a string, got a list`}},
		{"bad duration", "wait: soon\n", []string{`f.yaml:1:7: wait: "soon" is not a duration`}},
		{"bad prefix", "net: 10.0.0.1\n", []string{`f.yaml:1:6: net: "10.0.0.1" is not a network in CIDR form such as 10.0.0.1/32`}},
		{"inline field", "extra: x\n", nil},
		{"every error at once", "itemz: 1\nservice: [a]\n", []string{`f.yaml:1:1:`, `f.yaml:2:10:`}},
		{"syntax", "items: [\n", []string{`f.yaml:`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := YAML("f.yaml", []byte(tc.in), &d)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "strict.") || strings.Contains(err.Error(), "Go struct") {
				t.Errorf("error names a Go type: %q", err)
			}
		})
	}
	var d doc
	if err := YAML("f.yaml", []byte("items: [{barcode: \"1\", count: 2, ok: true}]\nwait: 1s\n"), &d); err != nil || d.Items[0].Count != 2 || d.Wait != time.Second {
		t.Errorf("decode: %v %+v", err, d)
	}
}

func TestJSONMessages(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string
	}{
		{"unknown key", `{"servce": "CheckOutItem"}`, `line 1:2: unknown field "servce" (did you mean "service"?)`},
		{"unknown nested", "{\"items\": [\n  {\"barcod\": \"1\"}]}", `line 2:4: items[0]: unknown field "barcod" (did you mean "barcode"?)`},
		{"number for string", `{"items": [{"barcode": 39015}]}`, `line 1:24: items[0].barcode: want a string, got the number 39015`},
		{"string for number", `{"items": [{"count": "3"}]}`, `line 1:22: items[0].count: want a whole number, got "3"`},
		{"fraction for int", `{"items": [{"count": 1.5}]}`, `items[0].count: want a whole number, got 1.5`},
		{"object for list", `{"items": {}}`, `line 1:11: items: want a list, got an object`},
		{"list for object", `[]`, `line 1:1: want an object, got a list`},
		{"bad prefix", `{"net": "10.0.0.1"}`, `line 1:9: net: "10.0.0.1" is not a network in CIDR form`},
		{"syntax", `{"items": [}`, `line 1:12: not valid JSON`},
		{"trailing", `{} {}`, `line 1:4: data after the JSON document`},
		{"empty", ``, `the body is empty`},
		{"truncated", `{"items": [`, `the JSON document ends early`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := JSON([]byte(tc.in), &d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "Go struct") || strings.Contains(err.Error(), "strict.") {
				t.Errorf("error names a Go type: %q", err)
			}
		})
	}
	var d doc
	if err := JSON([]byte(`{"items": [{"barcode": "1", "count": 2, "ok": true}], "labels": {"a": "b"}, "extra": "x", "net": null}`), &d); err != nil ||
		d.Items[0].Count != 2 || d.Labels["a"] != "b" || d.Extra != "x" {
		t.Errorf("decode: %v %+v", err, d)
	}
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"items": [{"barcode": "1", "count": 2}], "servce": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		JSON(data, &d) // must not panic or hang
	})
}

func FuzzYAML(f *testing.F) {
	f.Add([]byte("items:\n  - {barcode: 1, count: x}\nitemz: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		YAML("f.yaml", data, &d)
	})
}

// A decoded document keeps its places, so a check made after decoding (a
// reference to nothing) names the line, column and field as a misfit does.
func TestDocPlaces(t *testing.T) {
	src := "service: S\nitems:\n  - barcode: \"1\"\n    count: 2\n  - barcode: \"2\"\nlabels:\n  a: b\n"
	var d doc
	places, err := Decode("f.yaml", []byte(src), &d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path      []any
		line, col int
	}{
		{[]any{"items", 0, "count"}, 4, 12},
		{[]any{"items", 1, "barcode"}, 5, 14},
		{[]any{"items", 1, "count"}, 5, 5}, // absent: where the item is
		{[]any{"labels"}, 6, 1},            // a section: its key
		{[]any{"service"}, 1, 10},
	} {
		if l, c := places.At(tc.path...); l != tc.line || c != tc.col {
			t.Errorf("At%v = %d:%d, want %d:%d", tc.path, l, c, tc.line, tc.col)
		}
	}
	if got := places.Errorf([]any{"items", 1, "barcode"}, "barcode %q appears twice", "2").Error(); got != `f.yaml:5:14: items[1].barcode: barcode "2" appears twice` {
		t.Errorf("Errorf: %s", got)
	}
	if got := places.Sub("items", 0).Errorf([]any{"count"}, "too many").Error(); got != "f.yaml:4:12: count: too many" {
		t.Errorf("Sub: %s", got)
	}
	var none *Doc
	if got := none.Errorf([]any{"items", 0}, "x").Error(); got != "items[0]: x" {
		t.Errorf("a value built in Go: %s", got)
	}
}

// Syntax errors are placed by the one reading of yaml.v3's messages; a
// second document and a repeated key are refused at their line.
func TestParseAndDuplicates(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"items: [\n  - x\n", "f.yaml:2: YAML syntax: did not find expected node content"},
		{"service: a\n---\nservice: b\n", "f.yaml:2:1: the file holds more than one YAML document"},
		{"service: a\nservice: b\n", `f.yaml:2:1: key "service" appears twice`},
	} {
		var d doc
		if err := YAML("f.yaml", []byte(tc.in), &d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}

type hooked struct {
	File string `yaml:"file" check:"exists"`
	Name string `yaml:"name"`
}

// Check runs a caller's hook on the fields a tag marks, at their places.
func TestCheckHook(t *testing.T) {
	root, err := Parse("f.yaml", []byte("name: n\nfile: gone.xml\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = Check("f.yaml", root, reflect.TypeFor[hooked](), func(f reflect.StructField, v *yaml.Node) error {
		if f.Tag.Get("check") == "exists" {
			return fmt.Errorf("%s does not exist", v.Value)
		}
		return nil
	})
	if err == nil || err.Error() != "f.yaml:2:7: file: gone.xml does not exist" {
		t.Errorf("hook: %v", err)
	}
}
