package scenario

import (
	"encoding"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/internal/suggest"
)

// PosError is an error at a place in a scenario file, printed
// FILE:LINE:COLUMN: MESSAGE as compilers do, so editors can jump to it.
type PosError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *PosError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	if e.Col == 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// checker walks a YAML node against the Go type it will be decoded into,
// because yaml.v3's Node.Decode has no known-fields mode and its type errors
// carry a line but no column: the walk finds unknown keys, wrong shapes and
// bad scalars with their exact position before anything is decoded.
type checker struct {
	file   string
	dir    string // the scenario file's directory: fixture paths are relative to it
	update bool   // golden files may be missing: --update writes them
	errs   []error
}

func (c *checker) errorf(n *yaml.Node, format string, args ...any) {
	c.errs = append(c.errs, &PosError{File: c.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

// check reports every way n does not fit t.
func (c *checker) check(n *yaml.Node, t reflect.Type) {
	if n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		c.check(n.Content[0], t)
		return
	}
	if n.Kind == yaml.AliasNode {
		c.check(n.Alias, t)
		return
	}
	if n.Tag == "!!null" {
		return // an explicit null leaves the zero value
	}
	if t == nodeType || t.Kind() == reflect.Interface {
		return // decoded by its owner, or free-form (a JSON body)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	switch {
	case pt.Implements(yamlUnmarshaler):
		return // the type checks itself
	case t == durationType:
		c.scalar(n, "a duration such as 500ms")
		if n.Kind == yaml.ScalarNode {
			if _, err := time.ParseDuration(n.Value); err != nil {
				c.errorf(n, "%q is not a duration (want e.g. 500ms or 5s)", n.Value)
			}
		}
		return
	case pt.Implements(textUnmarshaler):
		if c.scalar(n, "a scalar") {
			v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
			if err := v.UnmarshalText([]byte(n.Value)); err != nil {
				c.errorf(n, "%q: %v", n.Value, err)
			}
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.errorf(n, "want a mapping, got %s", describe(n))
			return
		}
		fields := fieldsOf(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				c.errorf(k, "key %q appears twice", k.Value)
				continue
			}
			seen[k.Value] = true
			f, ok := fields[k.Value]
			if !ok {
				if s := suggest.Closest(k.Value, slices.Sorted(maps.Keys(fields))); s != "" {
					c.errorf(k, "unknown key %q (did you mean %q?)", k.Value, s)
				} else {
					c.errorf(k, "unknown key %q (known: %s)", k.Value, knownKeys(fields))
				}
				continue
			}
			c.check(v, f.typ)
			if f.file != "" && v.Kind == yaml.ScalarNode && v.Value != "" {
				c.fixture(v, f.file)
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			c.scalar(n, "a string")
			return
		}
		if n.Kind != yaml.SequenceNode {
			c.errorf(n, "want a list, got %s", describe(n))
			return
		}
		for _, e := range n.Content {
			c.check(e, t.Elem())
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.errorf(n, "want a mapping, got %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			c.check(n.Content[i], t.Key())
			c.check(n.Content[i+1], t.Elem())
		}
	case reflect.String:
		c.scalar(n, "a string")
	case reflect.Bool:
		if c.scalar(n, "true or false") {
			if _, err := strconv.ParseBool(n.Value); err != nil || n.Tag != "!!bool" {
				c.errorf(n, "%q is not a boolean (want true or false)", n.Value)
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if c.scalar(n, "a whole number") && n.Tag != "!!int" {
			c.errorf(n, "%q is not a whole number", n.Value)
		}
	case reflect.Float32, reflect.Float64:
		if c.scalar(n, "a number") && n.Tag != "!!int" && n.Tag != "!!float" {
			c.errorf(n, "%q is not a number", n.Value)
		}
	}
}

func (c *checker) scalar(n *yaml.Node, want string) bool {
	if n.Kind != yaml.ScalarNode {
		c.errorf(n, "want %s, got %s", want, describe(n))
		return false
	}
	return true
}

// fixture checks that a file a step names exists, relative to the scenario.
func (c *checker) fixture(n *yaml.Node, kind string) {
	if kind == "golden" && c.update {
		return
	}
	p := n.Value
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	st, err := os.Stat(p)
	switch {
	case err != nil && os.IsNotExist(err) && kind == "golden":
		c.errorf(n, "golden file %s does not exist (run with --update to create it)", n.Value)
	case err != nil:
		c.errorf(n, "fixture file %s: %v", n.Value, unwrapPath(err))
	case !st.Mode().IsRegular():
		c.errorf(n, "fixture file %s is not a regular file", n.Value)
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

type fieldInfo struct {
	typ  reflect.Type
	file string // "file" or "golden" when the field names a fixture (tag scenario:"…")
}

// fieldsOf maps a struct's YAML keys to their types, inline structs included.
func fieldsOf(t reflect.Type) map[string]fieldInfo {
	out := map[string]fieldInfo{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range fieldsOf(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = fieldInfo{typ: f.Type, file: f.Tag.Get("scenario")}
	}
	return out
}

func knownKeys(fields map[string]fieldInfo) string {
	var ks []string
	for k := range fields {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}
