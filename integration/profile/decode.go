package profile

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/internal/strict"
	didyoumean "github.com/annexlab/annex/internal/suggest"
)

// FieldPath writes a path of keys the way Problem.Field names a field:
// translation.stops.pickup_locations["Main Library Circulation Desk"].
func FieldPath(keys ...string) string {
	path := ""
	for _, k := range keys {
		path = strict.JoinKey(path, k)
	}
	return path
}

// decoded is one file read by the strict layer: its problems so far and
// where each field is written.
type decoded struct {
	file  string
	probs Problems
	loc   *strict.Places
}

// parse decodes one YAML file into out, recording where everything is. The
// walk reports every unknown key, wrong type and duplicate at its own line
// and column, in a profile's words.
func parse(name string, data []byte, out any) *decoded {
	w := strict.NewWalker(name, wording{})
	if root := parseYAML(name, w, data); root != nil {
		w.Decode(root, out)
	}
	d := &decoded{file: name, loc: w.Places()}
	for _, e := range w.Errors() {
		d.probs = append(d.probs, Problem{File: e.File, Line: e.Line, Column: e.Col, Field: e.Path,
			Severity: SeverityError, Message: e.Msg})
	}
	return d
}

// parseYAML parses one YAML document and returns its root mapping, or nil
// with the problems that prevent reading it.
func parseYAML(name string, w *strict.Walker, data []byte) *yaml.Node {
	root, err := strict.Parse(name, data)
	if err != nil {
		if e, ok := err.(*strict.Error); ok {
			w.Errorf(e.Line, e.Col, "", "%s", e.Msg)
		} else {
			w.Errorf(0, 0, "", "%v", err)
		}
	}
	if root == nil {
		if err == nil {
			w.Errorf(0, 0, "", "the file is empty")
		}
		return nil
	}
	at := &w.Places().Root
	if root.Line >= 1 {
		*at = strict.Place{Line: root.Line, Col: root.Column}
	}
	if root.Kind == yaml.AliasNode || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		w.Errorf(at.Line, at.Col, "", "the file holds no settings; it must be a mapping of keys such as name: and system:")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		w.Errorf(at.Line, at.Col, "", "the file must be a mapping of keys such as name: and system:, not %s", strict.Describe(root))
		return nil
	}
	return root
}

// wording says the strict layer's misfits in a profile's terms: keys,
// sections of key: value lines, tables of CODE: VALUE lines.
type wording struct{}

func (wording) Mismatch(t reflect.Type, n *yaml.Node) string {
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "must be a duration such as 500ms, 30s or 1m, not " + strict.Describe(n)
	}
	want := "a single value"
	switch t.Kind() {
	case reflect.Struct:
		return "must be a section of key: value lines, not " + strict.Describe(n)
	case reflect.Map:
		return "must be a table of CODE: VALUE lines, not " + strict.Describe(n)
	case reflect.Slice:
		return `must be a list (lines starting with "- "), not ` + strict.Describe(n)
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	}
	return fmt.Sprintf("must be %s, not %s", want, strict.Describe(n))
}

// BadText: a profile's only type that reads its own text is Duration.
func (w wording) BadText(t reflect.Type, s string, _ error) string {
	return w.Mismatch(t, &yaml.Node{Kind: yaml.ScalarNode, Value: s})
}

func (wording) Unknown(key string, known []string) string {
	return fmt.Sprintf("unknown key %q%s", key, suggest(key, known))
}

func (wording) Twice(key string, first int) string {
	return fmt.Sprintf("%q is written twice in this mapping (first on line %d); keep one", key, first)
}

func (wording) AtKey() bool { return true }

// suggest names the known key closest to an unknown one, or lists the known keys.
func suggest(key string, known []string) string {
	if best := didyoumean.Closest(key, known); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return "; the keys allowed here are " + strings.Join(known, ", ")
}
