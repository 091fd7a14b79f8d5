package profile

import (
	"encoding"
	"errors"
	"fmt"
	"github.com/annexlab/annex/internal/strict"
	didyoumean "github.com/annexlab/annex/internal/suggest"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// nodeBudget bounds how many YAML nodes one document may expand to through
// aliases and merge keys, so a hostile file ("billion laughs") cannot make
// the loader run away; real profiles use a few hundred.
const nodeBudget = 100_000

// maxDecodeProblems caps the problems one file's decoding reports.
const maxDecodeProblems = 200

// pos is a place in a YAML file (1-based).
type pos struct{ line, col int }

func at(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// locations remembers where each decoded path's key and value were written,
// so checks made after decoding can point at the right line and column.
type locations struct {
	keys   map[string]pos
	values map[string]pos
	// blocks are the paths whose value is a section, a list or nothing:
	// problems about them point at their key, where the reader looks.
	blocks map[string]bool
	root   pos
}

func newLocations() *locations {
	return &locations{keys: map[string]pos{}, values: map[string]pos{}, blocks: map[string]bool{}, root: pos{1, 1}}
}

// value returns where path's value is, or failing that where its nearest
// written ancestor's key is: a missing value is reported at the section that
// should hold it.
func (l *locations) value(path string) pos {
	if p, ok := l.values[path]; ok && !l.blocks[path] {
		return p
	}
	return l.section(path)
}

// section returns where path's key is written, or its nearest ancestor's.
func (l *locations) section(path string) pos {
	for path != "" {
		if p, ok := l.keys[path]; ok {
			return p
		}
		if p, ok := l.values[path]; ok {
			return p
		}
		path = parentPath(path)
	}
	return l.root
}

// parentPath cuts the last ".name" segment off a path. Paths built for
// absent fields end in plain names, which is all this needs to handle; a
// path ending in an index or a quoted key was recorded when decoded.
func parentPath(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i < 0 || strings.ContainsAny(path[i:], `["]`) {
		return ""
	}
	return path[:i]
}

// join appends a struct field name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// plainKey matches map keys that read unambiguously in a dotted path.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_/-]+$`)

// joinKey appends a map key to a path, quoting keys that have spaces, dots
// or other punctuation so the path stays readable and unambiguous.
func joinKey(path, key string) string {
	if plainKey.MatchString(key) {
		return join(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// FieldPath writes a path of keys the way Problem.Field names a field:
// translation.stops.pickup_locations["Main Library Circulation Desk"].
func FieldPath(keys ...string) string {
	path := ""
	for _, k := range keys {
		path = joinKey(path, k)
	}
	return path
}

func joinIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// decoder decodes a yaml.Node tree into a Go value by walking it against the
// value's yaml tags. yaml.v3 rejects unknown keys only through a Decoder and
// stops at the first type error; walking the tree ourselves reports every
// unknown key, wrong type and duplicate at its own line and column.
type decoder struct {
	file      string
	probs     Problems
	loc       *locations
	budget    int
	expanding map[*yaml.Node]bool
	exhausted bool
	// failed holds the paths that could not be decoded, so later checks do
	// not pile "is required" on top of "must be a whole number".
	failed map[string]bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, loc: newLocations(), budget: nodeBudget, expanding: map[*yaml.Node]bool{}, failed: map[string]bool{}}
}

func (d *decoder) errAt(p pos, field, format string, args ...any) {
	if field != "" {
		d.failed[field] = true
	}
	if d.exhausted {
		return
	}
	if len(d.probs) >= maxDecodeProblems {
		// A file this broken is not a profile with typos; more lines would
		// bury the first ones, which are the ones to fix.
		d.exhausted = true
		d.probs = append(d.probs, Problem{File: d.file, Line: p.line, Column: p.col, Severity: SeverityError,
			Message: fmt.Sprintf("more than %d problems; fix these first", maxDecodeProblems)})
		return
	}
	d.probs = append(d.probs, Problem{File: d.file, Line: p.line, Column: p.col, Field: field,
		Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

// spend takes n from the node budget, reporting its exhaustion once.
func (d *decoder) spend(n int, at pos) bool {
	if d.exhausted {
		return false
	}
	d.budget -= n
	if d.budget < 0 {
		d.exhausted = true
		d.probs = append(d.probs, Problem{File: d.file, Line: at.line, Column: at.col, Severity: SeverityError,
			Message: fmt.Sprintf("the file expands to more than %d values through aliases and merge keys; write it out plainly", nodeBudget)})
		return false
	}
	return true
}

// parseYAML parses one YAML document and returns its root mapping, or nil
// with the problems that prevent reading it.
func (d *decoder) parseYAML(data []byte) *yaml.Node {
	root, err := strict.Parse(d.file, data)
	if err != nil {
		var e *strict.Error
		if errors.As(err, &e) {
			d.errAt(pos{e.Line, e.Col}, "", "%s", e.Msg)
		} else {
			d.errAt(pos{}, "", "%v", err)
		}
	}
	if root == nil {
		if err == nil {
			d.errAt(pos{}, "", "the file is empty")
		}
		return nil
	}
	d.loc.root = at(root)
	if d.loc.root.line < 1 {
		d.loc.root = pos{1, 1}
	}
	if root.Kind == yaml.AliasNode || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		d.errAt(d.loc.root, "", "the file holds no settings; it must be a mapping of keys such as name: and system:")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.errAt(d.loc.root, "", "the file must be a mapping of keys such as name: and system:, not %s", describe(root))
		return nil
	}
	return root
}

func describe(n *yaml.Node) string {
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
	v := n.Value
	if len(v) > 60 {
		v = v[:60] + "…"
	}
	return strconv.Quote(v)
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// decode decodes n into v (addressable), recording where path is written.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if !d.spend(1, at(n)) {
		return
	}
	if _, ok := d.loc.values[path]; !ok {
		d.loc.values[path] = at(n)
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode || isNull(n) {
			d.loc.blocks[path] = true
		}
	}
	if n.Kind == yaml.AliasNode {
		target, ok := d.enter(path, n)
		if !ok {
			return
		}
		d.decode(path, target, v)
		delete(d.expanding, target)
		return
	}
	if isNull(n) {
		// An empty section ("alma:" with nothing under it) is a section
		// with every value missing: say which, rather than "no alma section".
		if v.Kind() == reflect.Pointer && v.IsNil() && v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return
	}
	if v.Kind() != reflect.Pointer && reflect.PointerTo(v.Type()).Implements(textUnmarshalerType) {
		d.text(path, n, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(path, n, v.Elem())
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.Map:
		d.mapping(path, n, v)
	case reflect.Slice:
		d.sequence(path, n, v)
	default:
		d.scalar(path, n, v)
	}
}

// enter resolves an alias, refusing one that refers to a node it is inside.
func (d *decoder) enter(path string, n *yaml.Node) (*yaml.Node, bool) {
	target := n.Alias
	if target == nil || d.expanding[target] {
		d.errAt(at(n), path, "the alias *%s refers to a value that contains it", n.Value)
		return nil, false
	}
	d.expanding[target] = true
	return target, true
}

type pair struct {
	key  string
	k, v *yaml.Node
}

// entries returns a mapping's key/value pairs with merge keys (<<) expanded;
// keys written in the mapping itself win over merged ones, as YAML says.
// Duplicate and non-scalar keys are reported and skipped.
func (d *decoder) entries(path string, n *yaml.Node) []pair {
	if !d.spend(len(n.Content)/2, at(n)) {
		return nil
	}
	var own, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errAt(at(k), path, "a key must be a plain word, not %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(path, val)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errAt(at(k), joinKey(path, k.Value), "%q is written twice in this mapping (first on line %d); keep one", k.Value, first.Line)
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
func (d *decoder) merge(path string, n *yaml.Node) []pair {
	if !d.spend(1, at(n)) {
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		target, ok := d.enter(path, n)
		if !ok {
			return nil
		}
		defer delete(d.expanding, target)
		return d.merge(path, target)
	case yaml.MappingNode:
		return d.entries(path, n)
	case yaml.SequenceNode:
		var out []pair
		for _, c := range n.Content {
			if c.Kind == yaml.SequenceNode {
				d.errAt(at(c), path, "a merge key (<<) takes a mapping or a list of mappings, not a list of lists")
				continue
			}
			out = append(out, d.merge(path, c)...)
		}
		return out
	}
	d.errAt(at(n), path, "a merge key (<<) takes a mapping or a list of mappings, not %s", describe(n))
	return nil
}

// yamlFields maps a struct's YAML keys to field indexes.
func yamlFields(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
		names = append(names, name)
	}
	return fields, names
}

func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errAt(at(n), path, "must be a section of key: value lines, not %s", describe(n))
		return
	}
	fields, names := yamlFields(v.Type())
	for _, p := range d.entries(path, n) {
		child := join(path, p.key)
		i, ok := fields[p.key]
		if !ok {
			d.errAt(at(p.k), child, "unknown key %q%s", p.key, suggest(p.key, names))
			continue
		}
		d.loc.keys[child] = at(p.k)
		d.decode(child, p.v, v.Field(i))
	}
}

func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errAt(at(n), path, "must be a table of CODE: VALUE lines, not %s", describe(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, p := range d.entries(path, n) {
		child := joinKey(path, p.key)
		d.loc.keys[child] = at(p.k)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(child, p.v, elem)
		key := reflect.New(v.Type().Key()).Elem()
		key.SetString(p.key)
		v.SetMapIndex(key, elem)
	}
}

func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.errAt(at(n), path, "must be a list (lines starting with \"- \"), not %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decode(joinIndex(path, i), c, s.Index(i))
	}
	v.Set(s)
}

func (d *decoder) scalar(path string, n *yaml.Node, v reflect.Value) {
	want := "a single value"
	switch v.Kind() {
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	}
	if n.Kind != yaml.ScalarNode {
		d.errAt(at(n), path, "must be %s, not %s", want, describe(n))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.errAt(at(n), path, "must be %s, not %s", want, describe(n))
	}
}

func (d *decoder) text(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.errAt(at(n), path, "must be a duration such as 500ms, 30s or 1m, not %s", describe(n))
		return
	}
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
		d.errAt(at(n), path, "must be a duration such as 500ms, 30s or 1m, not %s", describe(n))
	}
}

// suggest names the known key closest to an unknown one, or lists the known keys.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := didyoumean.Distance(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return "; the keys allowed here are " + strings.Join(known, ", ")
}
