package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/internal/suggest"
)

// Registry maps the names users write ("latency") to kinds of fault.
// It is a value: Builtin builds the one the simulators use, and a caller
// may Register more in its own.
type Registry struct {
	kinds map[string]reflect.Type
	forms map[string]reflect.Type // a kind's flat form: shared fields and its own
}

// NewRegistry returns a registry of the given kinds.
func NewRegistry(kinds ...Kind) (*Registry, error) {
	r := &Registry{kinds: map[string]reflect.Type{}, forms: map[string]reflect.Type{}}
	for _, k := range kinds {
		if err := r.Register(k); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// builtin's methods are the built-in kinds, one in each kind's own file,
// so that adding a kind is one new file and no list elsewhere; Builtin
// finds them by reflection (a method set spans files, and, unlike an init
// function filling a package map, it is no mutable state).
type builtin struct{}

// Builtin returns a registry of the built-in kinds.
func Builtin() *Registry {
	v := reflect.ValueOf(builtin{})
	kinds := make([]Kind, v.NumMethod())
	for i := range kinds {
		kinds[i] = v.Method(i).Call(nil)[0].Interface().(Kind)
	}
	r, err := NewRegistry(kinds...)
	if err != nil {
		panic(err) // the built-in kinds are checked by TestBuiltin
	}
	return r
}

// Kinds lists the built-in kinds' names, for documentation and schemas.
func Kinds() []string { return Builtin().Names() }

// Register adds a kind under its name. The kind is a struct, used by
// value; its fields may not reuse a shared field's name.
func (r *Registry) Register(k Kind) error {
	t := reflect.TypeOf(k)
	name := k.Name()
	switch {
	case t.Kind() != reflect.Struct:
		return fmt.Errorf("register fault kind %q: %s is not a struct", name, t)
	case name == "":
		return fmt.Errorf("register fault kind %s: no name", t)
	case r.kinds[name] != nil:
		return fmt.Errorf("register fault kind %q: registered twice", name)
	}
	fields := reflect.VisibleFields(reflect.TypeFor[shared]())
	taken := map[string]bool{}
	for _, f := range fields {
		taken[tagName(f, "json")], taken[tagName(f, "yaml")] = true, true
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if taken[tagName(f, "json")] || taken[tagName(f, "yaml")] {
			return fmt.Errorf("register fault kind %q: field %s reuses a shared field's name", name, f.Name)
		}
		fields = append(fields, reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag})
	}
	r.kinds[name] = t
	r.forms[name] = reflect.StructOf(fields)
	return nil
}

func tagName(f reflect.StructField, tag string) string {
	name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// Names lists the registered kinds, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// New returns the zero value of the named kind.
func (r *Registry) New(name string) (Kind, bool) {
	t, ok := r.kinds[name]
	if !ok {
		return nil, false
	}
	return reflect.New(t).Elem().Interface().(Kind), true
}

// unknown says a kind name is not one of r's.
func (r *Registry) unknown(name string) string {
	if name == "" {
		return "is required; want one of " + strings.Join(r.Names(), ", ")
	}
	if s := suggest.Closest(name, r.Names()); s != "" {
		return fmt.Sprintf("%q is not a fault kind (did you mean %q?)", name, s)
	}
	return fmt.Sprintf("%q is not a fault kind; want one of %s", name, strings.Join(r.Names(), ", "))
}

// ParseJSON reads one fault as JSON, strictly: a field neither shared nor
// the kind's own is refused with a did-you-mean, and errors carry
// line:column within data.
func (r *Registry) ParseJSON(data []byte) (Fault, error) {
	var head shared
	if err := strict.JSONOpen(data, &head); err != nil {
		return Fault{}, err
	}
	form, ok := r.forms[head.Kind]
	if !ok {
		line, col := jsonKey(data, "kind")
		return Fault{}, &strict.Error{Line: line, Col: col, Path: "kind", Msg: r.unknown(head.Kind)}
	}
	v := reflect.New(form)
	if err := strict.JSON(data, v.Interface()); err != nil {
		return Fault{}, err
	}
	return r.fill(head.Kind, v.Elem()), nil
}

// ParseYAML reads one fault from a YAML node, as strictly as ParseJSON,
// with the node's document's places.
func (r *Registry) ParseYAML(n *yaml.Node) (Fault, error) {
	if n.Kind != yaml.MappingNode {
		return Fault{}, &strict.Error{Line: n.Line, Col: n.Column, Msg: "want a mapping of fields (a fault)"}
	}
	name, at := "", n
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			name, at = n.Content[i+1].Value, n.Content[i+1]
		}
	}
	form, ok := r.forms[name]
	if !ok {
		return Fault{}, &strict.Error{Line: at.Line, Col: at.Column, Path: "kind", Msg: r.unknown(name)}
	}
	v := reflect.New(form)
	if err := strict.Node(n, v.Interface()); err != nil {
		return Fault{}, err
	}
	return r.fill(name, v.Elem()), nil
}

// fill turns a decoded flat form into a Fault of the named kind.
func (r *Registry) fill(name string, form reflect.Value) Fault {
	var head shared
	h := reflect.ValueOf(&head).Elem()
	for i := range h.NumField() {
		h.Field(i).Set(form.Field(i))
	}
	k := reflect.New(r.kinds[name]).Elem()
	next := h.NumField()
	for i := range k.NumField() {
		if k.Type().Field(i).IsExported() {
			k.Field(i).Set(form.Field(next))
			next++
		}
	}
	return Fault{ID: head.ID, Kind: k.Interface().(Kind), Service: head.Service, Count: head.Count,
		Probability: head.Probability, AfterProcessing: head.AfterProcessing, Applied: head.Applied}
}

// jsonKey finds where key's value starts in a JSON object, as line:column.
func jsonKey(data []byte, key string) (line, col int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 1, 1
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		off := int(dec.InputOffset())
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		if tok == key {
			off += bytes.IndexAny(data[off:], "\"{[-0123456789tfn")
			before := data[:off]
			return bytes.Count(before, []byte("\n")) + 1, off - bytes.LastIndexByte(before, '\n')
		}
	}
	return 1, 1
}

// UnmarshalJSON reads a fault of a built-in kind (ParseJSON).
func (f *Fault) UnmarshalJSON(data []byte) error {
	g, err := Builtin().ParseJSON(data)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// UnmarshalYAML reads a fault of a built-in kind (ParseYAML).
func (f *Fault) UnmarshalYAML(n *yaml.Node) error {
	g, err := Builtin().ParseYAML(n)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// FromFields builds and validates a fault from its fields by the names
// written in JSON and YAML, zero values left out: for a caller that read
// them into a form of its own (a scenario's fault step). Errors name the
// field but no place, the place being the caller's.
func (r *Registry) FromFields(fields map[string]any) (Fault, error) {
	data, err := json.Marshal(fields)
	if err != nil {
		return Fault{}, fmt.Errorf("fault: %w", err)
	}
	f, err := r.ParseJSON(data)
	if err != nil {
		return Fault{}, unplaced(err)
	}
	return f, f.Validate()
}

// unplaced drops the places of a document the caller never saw.
func unplaced(err error) error {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		if se, ok := e.(*strict.Error); ok {
			c := *se
			c.Line, c.Col = 0, 0
			e = &c
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
