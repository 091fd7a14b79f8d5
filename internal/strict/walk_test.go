package strict

import (
	"fmt"
	"strings"
	"testing"
)

// tree is a type that holds itself, as an alias cycle would.
type tree struct {
	Kids  []tree `yaml:"kids"`
	Items []item `yaml:"items"`
}

// Aliases and merge keys are expanded within the node budget: a cycle or
// a "billion laughs" ends in one misfit, not a hang or a crash, and a file
// this broken reports MaxProblems misfits and says so.
func TestHostileYAML(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 {barcode: x}\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d {<<: [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]}\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	bomb.WriteString("items: [*a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8]\n")
	var many strings.Builder
	for i := range MaxProblems + 50 {
		fmt.Fprintf(&many, "x%d: 1\n", i)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"cycle", "kids: &a [{kids: *a}]\n", "the alias *a refers to a value that contains it"},
		{"bomb", bomb.String(), "expands to more than 100000 values"},
		{"many", many.String(), fmt.Sprintf("more than %d problems; fix these first", MaxProblems)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d tree
			err := YAML("f.yaml", []byte(tc.in), &d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %.300v, want %q", err, tc.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n > MaxProblems+1 {
				t.Errorf("%d misfits reported", n)
			}
		})
	}
}

// A merge key takes a list of mappings; keys written in the mapping itself
// win over merged ones.
func TestMergeKeys(t *testing.T) {
	src := "base: &b {barcode: \"1\", count: 2}\nmore: &m {ok: true}\n"
	var d struct {
		Base  item   `yaml:"base"`
		More  item   `yaml:"more"`
		Items []item `yaml:"items"`
	}
	if err := YAML("f.yaml", []byte(src+"items:\n  - {<<: [*b, *m], count: 3}\n"), &d); err != nil {
		t.Fatal(err)
	}
	if got := d.Items[0]; got != (item{Barcode: "1", Count: 3, Ok: true}) {
		t.Errorf("merged item = %+v", got)
	}
	err := YAML("f.yaml", []byte(src+"items:\n  - {<<: [*b, *m], cont: 3}\n"), &d)
	if err == nil || err.Error() != `f.yaml:4:20: items[0]: unknown field "cont" (did you mean "count"?)` {
		t.Errorf("unknown key beside a merge: %v", err)
	}
}

// A Walker decodes what fits even when some of the document does not, and
// knows where each path is written; a map key that is not a plain word is
// quoted in its path.
func TestWalkerPlaces(t *testing.T) {
	root, err := Parse("f.yaml", []byte("service: S\nitems:\n  - count: many\n    barcode: \"1\"\nlabels:\n  Main Library: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWalker("f.yaml", nil)
	var d doc
	w.Decode(root, &d)
	if len(w.Errors()) != 1 || w.Errors()[0].Error() != `f.yaml:3:12: items[0].count: want a whole number, got "many"` {
		t.Errorf("errors: %v", w.Errors())
	}
	if d.Service != "S" || d.Items[0].Barcode != "1" || d.Labels["Main Library"] != "x" {
		t.Errorf("decoded %+v", d)
	}
	p := w.Places()
	for _, tc := range []struct {
		path string
		want Place
	}{
		{"service", Place{1, 10}},
		{"items[0].barcode", Place{4, 14}},
		{"items[0].ok", Place{3, 5}}, // absent: where the item is
		{`labels["Main Library"]`, Place{6, 17}},
		{"labels", Place{5, 1}}, // a section: its key
	} {
		if got := p.Value(tc.path); got != tc.want {
			t.Errorf("Value(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
	if !p.Failed["items[0].count"] || p.Failed["items[0].barcode"] {
		t.Errorf("failed paths: %v", p.Failed)
	}
}
