package strict

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// NodeBudget bounds how many YAML nodes one document may expand to through
// aliases and merge keys, so a hostile file ("billion laughs") cannot make
// a reader run away; real documents use a few hundred.
const NodeBudget = 100_000

// MaxProblems caps the misfits one document's walk reports: a file this
// broken is not a file with typos, and more lines would bury the first ones,
// which are the ones to fix.
const MaxProblems = 200

// Wording says a Walker's misfits in the terms its documents' readers know.
// The misfits every document can have (aliases, merge keys, budgets) are
// said the same way everywhere.
type Wording interface {
	// Mismatch says that n is not written the way type t is: the wrong
	// shape, or a scalar t cannot hold.
	Mismatch(t reflect.Type, n *yaml.Node) string
	// BadText says that s does not parse as t, a type that reads its own
	// text (a duration, a network), which failed with err.
	BadText(t reflect.Type, s string, err error) string
	// Unknown says that key is not one of known, the keys of its mapping
	// in the order the type declares them.
	Unknown(key string, known []string) string
	// Twice says that key is written again in its mapping, first on line first.
	Twice(key string, first int) string
	// AtKey reports whether an unknown or twice-written key is reported at
	// its own path (alma.agency) rather than its mapping's (alma).
	AtKey() bool
}

// Walker walks documents of one file against Go types, decoding each node
// into its place as far as it fits and reporting every misfit at its
// line:column and field path, worded by its Wording. It expands aliases
// and merge keys within NodeBudget, reports duplicate keys, stops after
// MaxProblems misfits, and records in Places where each path is written.
type Walker struct {
	file  string
	tag   string // the struct tag that names fields: yaml or json
	errs  []*Error
	words Wording

	// YAML only
	hook      Hook
	places    *Places
	budget    int
	expanding map[*yaml.Node]bool // the aliases being expanded, to refuse a cycle
	exhausted bool                // the budget or MaxProblems is spent: stop

	data []byte        // JSON only: the document
	dec  *json.Decoder // JSON only: the walk's token stream
	open bool          // JSON only: unknown fields are skipped, not errors
}

// NewWalker returns a Walker for the documents of file ("" for a request
// body) that words its misfits with w; nil is strict's own wording (want
// a list, got "3"; unknown field "x" at the mapping's path).
func NewWalker(file string, w Wording) *Walker {
	if w == nil {
		w = plain{}
	}
	return &Walker{file: file, tag: "yaml", words: w, places: NewPlaces(), budget: NodeBudget,
		expanding: map[*yaml.Node]bool{}}
}

// Decode walks n into v, a pointer, setting every value that fits; what
// does not is in Errors, and where each path is written in Places.
func (c *Walker) Decode(n *yaml.Node, v any) {
	if n.Line > 0 {
		c.places.Root = at(n)
	}
	val := reflect.ValueOf(v).Elem()
	c.yaml(n, "", val.Type(), val)
}

// check walks n against type t without a value to fill (into a scratch one).
func (c *Walker) check(n *yaml.Node, t reflect.Type) {
	c.yaml(n, "", t, reflect.New(t).Elem())
}

// Errors returns every misfit found so far, in the order found.
func (c *Walker) Errors() []*Error { return c.errs }

// Places returns where each path walked is written.
func (c *Walker) Places() *Places { return c.places }

// Errorf adds a misfit at line:col and path (a parse error, or one found
// by the caller before the walk), counted against MaxProblems.
func (c *Walker) Errorf(line, col int, path, format string, args ...any) {
	c.errorf(line, col, path, format, args...)
}

func (c *Walker) errorf(line, col int, path, format string, args ...any) {
	if path != "" {
		c.places.Failed[path] = true
	}
	c.add(&Error{File: c.file, Line: line, Col: col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// misfit reports node n, at path, as msg.
func (c *Walker) misfit(n *yaml.Node, path, msg string) { c.errorf(n.Line, n.Column, path, "%s", msg) }

// add adds e unless MaxProblems are reported, which it says once.
func (c *Walker) add(e *Error) {
	if c.exhausted {
		return
	}
	if len(c.errs) >= MaxProblems {
		c.exhausted = true
		c.errs = append(c.errs, &Error{File: c.file, Line: e.Line, Col: e.Col,
			Msg: fmt.Sprintf("more than %d problems; fix these first", MaxProblems)})
		return
	}
	c.errs = append(c.errs, e)
}

// spend takes k from the node budget, reporting its exhaustion once.
func (c *Walker) spend(k int, n *yaml.Node) bool {
	if c.exhausted {
		return false
	}
	c.budget -= k
	if c.budget < 0 {
		c.exhausted = true
		c.errs = append(c.errs, &Error{File: c.file, Line: n.Line, Col: n.Column,
			Msg: fmt.Sprintf("the file expands to more than %d values through aliases and merge keys; write it out plainly", NodeBudget)})
		return false
	}
	return true
}

// Hook checks more of a struct field written in a document than its type
// says (that a file it names exists); an error is a misfit at its value.
type Hook func(f reflect.StructField, v *yaml.Node) error

// Check checks node n of file against type t as Decode does, without
// decoding: it returns every misfit, joined, or nil. hook, when not nil,
// is called for each struct field written.
func Check(file string, n *yaml.Node, t reflect.Type, hook Hook) error {
	c := NewWalker(file, nil)
	c.hook = hook
	c.check(n, t)
	return c.err()
}

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// isText tells a type written as a string it parses itself.
func isText(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(textUnmarshaler) || t == durationType
}

// yaml decodes node n, at path, into v, a settable value of type t.
func (c *Walker) yaml(n *yaml.Node, path string, t reflect.Type, v reflect.Value) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 1 {
			c.yaml(n.Content[0], path, t, v)
		}
		return
	}
	if !c.spend(1, n) {
		return
	}
	c.places.record(path, n)
	if n.Kind == yaml.AliasNode {
		target, ok := c.enter(path, n)
		if !ok {
			return
		}
		c.yaml(target, path, t, v)
		delete(c.expanding, target)
		return
	}
	if isNull(n) {
		// An empty section ("alma:" with nothing under it) is a section
		// with every value missing: say which, rather than "no alma section".
		if t.Kind() == reflect.Pointer && v.IsNil() && t.Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(t.Elem()))
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		t, v = t.Elem(), v.Elem()
	}
	switch {
	case t == nodeType:
		v.Set(reflect.ValueOf(*n)) // the caller reads the node itself
		return
	case t.Kind() == reflect.Interface, reflect.PointerTo(t).Implements(yamlUnmarshaler):
		// The type reads its node itself; run it now so that what it
		// refuses is reported with the others, under this path.
		if err := n.Decode(v.Addr().Interface()); err != nil && !c.adopt(err, 0, 0, n.Line, n.Column, path) {
			c.misfit(n, path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return
	case isText(t):
		c.text(n, path, t, v)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		c.structure(n, path, t, v)
	case reflect.Map:
		c.mapping(n, path, t, v)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			c.scalar(n, path, t, v)
			return
		}
		c.sequence(n, path, t, v)
	default:
		c.scalar(n, path, t, v)
	}
}

// enter resolves an alias, refusing one that refers to a node it is inside.
func (c *Walker) enter(path string, n *yaml.Node) (*yaml.Node, bool) {
	target := n.Alias
	if target == nil || c.expanding[target] {
		c.misfit(n, path, fmt.Sprintf("the alias *%s refers to a value that contains it", n.Value))
		return nil, false
	}
	c.expanding[target] = true
	return target, true
}

// text decodes a scalar of a type that parses itself.
func (c *Walker) text(n *yaml.Node, path string, t reflect.Type, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		c.misfit(n, path, c.words.Mismatch(t, n))
		return
	}
	var err error
	if t == durationType {
		var d time.Duration
		if d, err = time.ParseDuration(n.Value); err == nil {
			v.SetInt(int64(d))
		}
	} else {
		err = v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value))
	}
	if err != nil {
		c.misfit(n, path, c.words.BadText(t, n.Value, err))
	}
}

// scalar decodes a scalar the way yaml.v3 does.
func (c *Walker) scalar(n *yaml.Node, path string, t reflect.Type, v reflect.Value) {
	if n.Kind != yaml.ScalarNode || n.Decode(v.Addr().Interface()) != nil {
		c.misfit(n, path, c.words.Mismatch(t, n))
	}
}

// keyMisfit reports key k of the mapping at path, whose own path is child,
// at the path the wording wants.
func (c *Walker) keyMisfit(k *yaml.Node, path, child, msg string) {
	c.places.Failed[child] = true
	if c.words.AtKey() {
		path = child
	}
	c.add(&Error{File: c.file, Line: k.Line, Col: k.Column, Path: path, Msg: msg})
}

func (c *Walker) structure(n *yaml.Node, path string, t reflect.Type, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		c.misfit(n, path, c.words.Mismatch(t, n))
		return
	}
	fields, names := c.fields(t)
	for _, p := range c.entries(path, n) {
		child := join(path, p.key)
		f, ok := fields[p.key]
		if !ok {
			c.keyMisfit(p.k, path, child, c.words.Unknown(p.key, names))
			continue
		}
		c.places.keys[child] = at(p.k)
		c.yaml(p.v, child, f.Type, fieldByIndex(v, f.Index))
		if c.hook != nil && !isNull(p.v) {
			if err := c.hook(f, p.v); err != nil {
				c.errorf(p.v.Line, p.v.Column, child, "%v", err)
			}
		}
	}
}

// fieldByIndex is v.FieldByIndex, allocating the embedded pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

func (c *Walker) mapping(n *yaml.Node, path string, t reflect.Type, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		c.misfit(n, path, c.words.Mismatch(t, n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	for _, p := range c.entries(path, n) {
		child := JoinKey(path, p.key)
		c.places.keys[child] = at(p.k)
		elem := reflect.New(t.Elem()).Elem()
		c.yaml(p.v, child, t.Elem(), elem)
		key := reflect.New(t.Key()).Elem()
		if t.Key().Kind() == reflect.String {
			key.SetString(p.key)
		} else if err := p.k.Decode(key.Addr().Interface()); err != nil {
			c.misfit(p.k, child, c.words.Mismatch(t.Key(), p.k))
			continue
		}
		v.SetMapIndex(key, elem)
	}
}

func (c *Walker) sequence(n *yaml.Node, path string, t reflect.Type, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		c.misfit(n, path, c.words.Mismatch(t, n))
		return
	}
	s := v
	if t.Kind() == reflect.Slice {
		s = reflect.MakeSlice(t, len(n.Content), len(n.Content))
	}
	for i, e := range n.Content {
		elem := reflect.New(t.Elem()).Elem() // past an array's end: checked, not kept
		if i < s.Len() {
			elem = s.Index(i)
		}
		c.yaml(e, JoinIndex(path, i), t.Elem(), elem)
	}
	v.Set(s)
}

type pair struct {
	key  string
	k, v *yaml.Node
}

// entries returns a mapping's key/value pairs with merge keys (<<) expanded;
// keys written in the mapping itself win over merged ones, as YAML says.
// Duplicate and non-scalar keys are reported and skipped.
func (c *Walker) entries(path string, n *yaml.Node) []pair {
	if !c.spend(len(n.Content)/2, n) {
		return nil
	}
	var own, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			c.misfit(k, path, "a key must be a plain word, not "+Describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, c.merge(path, val)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			c.keyMisfit(k, path, JoinKey(path, k.Value), c.words.Twice(k.Value, first.Line))
			continue
		}
		seen[k.Value] = k
		own = append(own, pair{k.Value, k, val})
	}
	for _, p := range merged {
		if _, ok := seen[p.key]; !ok {
			seen[p.key] = p.k
			own = append(own, p)
		}
	}
	return own
}

// merge expands the value of a merge key: a mapping, an alias of one, or a list of those.
func (c *Walker) merge(path string, n *yaml.Node) []pair {
	if !c.spend(1, n) {
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		target, ok := c.enter(path, n)
		if !ok {
			return nil
		}
		defer delete(c.expanding, target)
		return c.merge(path, target)
	case yaml.MappingNode:
		return c.entries(path, n)
	case yaml.SequenceNode:
		var out []pair
		for _, e := range n.Content {
			if e.Kind == yaml.SequenceNode {
				c.misfit(e, path, "a merge key (<<) takes a mapping or a list of mappings, not a list of lists")
				continue
			}
			out = append(out, c.merge(path, e)...)
		}
		return out
	}
	c.misfit(n, path, "a merge key (<<) takes a mapping or a list of mappings, not "+Describe(n))
	return nil
}

// fields maps a struct's keys under the walker's tag to their fields (Index
// from t), inline (yaml) and embedded (json) structs included, and lists
// the keys in the order t declares them.
func (c *Walker) fields(t reflect.Type) (map[string]reflect.StructField, []string) {
	out := map[string]reflect.StructField{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get(c.tag), ",")
		if name == "-" && opts == "" {
			continue
		}
		embedded := f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct
		if embedded || (c.tag == "yaml" && slices.Contains(strings.Split(opts, ","), "inline")) {
			inner, innerNames := c.fields(deref(f.Type))
			for _, k := range innerNames {
				g := inner[k]
				g.Index = append([]int{i}, g.Index...)
				names = addField(out, names, k, g)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
			if c.tag == "yaml" {
				name = strings.ToLower(name)
			}
		}
		names = addField(out, names, name, f)
	}
	return out, names
}

// addField maps name to f, listing it once.
func addField(out map[string]reflect.StructField, names []string, name string, f reflect.StructField) []string {
	if _, ok := out[name]; !ok {
		names = append(names, name)
	}
	out[name] = f
	return names
}

// Describe names a node as a reader sees it: a mapping, a list, an alias,
// or its text quoted (cut at 60 characters).
func Describe(n *yaml.Node) string {
	return describe(n, func(v string) string {
		if len(v) > 60 {
			v = v[:60] + "…"
		}
		return strconv.Quote(v)
	})
}

// describe names a node, quoting a scalar's text with q.
func describe(n *yaml.Node, q func(string) string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return q(n.Value)
}

// err returns the misfits found, joined, or nil.
func (c *Walker) err() error {
	errs := make([]error, len(c.errs))
	for i, e := range c.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}
