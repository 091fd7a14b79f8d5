// Package strict decodes annex's own YAML and JSON inputs (simulator
// configurations and states, the inspection and control APIs' bodies) and
// says what is wrong in the document's terms: line:column, the field path
// (items[0].barcode), and a did-you-mean for an unknown key, never a Go type
// name. The document is checked against the target's type first, so every
// misfit is reported at once, then decoded.
package strict

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/internal/suggest"
)

// Error is one misfit at a place in a document.
type Error struct {
	// File is the document's file; "" for a request body.
	File      string
	Line, Col int
	// Path is the field path, e.g. items[0].barcode; "" for the document.
	Path string
	Msg  string
}

// Error writes FILE:LINE:COL: PATH: MSG, or "line LINE:COL: …" for a body.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d:", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ":")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d:", e.Line)
	}
	if e.Line > 0 && e.Col > 0 {
		fmt.Fprintf(&b, "%d:", e.Col)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// YAML decodes one YAML (or JSON) document of file ("" for a body) into v,
// a pointer; unknown keys are errors. An empty document leaves v as it is.
func YAML(file string, data []byte, v any) error {
	_, err := Decode(file, data, v)
	return err
}

// Decode is YAML, and returns the document's places too, for messages
// about values found wrong after decoding (a reference to nothing).
func Decode(file string, data []byte, v any) (*Doc, error) {
	root, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	d := &Doc{File: file, root: root}
	if root == nil {
		return d, nil // empty
	}
	c := NewWalker(file, nil)
	c.check(root, reflect.TypeOf(v).Elem())
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := root.Decode(v); err != nil {
		// Left for the decoder: nothing the check lets through, but an
		// unmarshaler may still answer an *Error with its place.
		var e *Error
		if errors.As(err, &e) {
			e.File = file
			return nil, e
		}
		return nil, &Error{File: file, Line: root.Line, Col: root.Column, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	return d, nil
}

// Parse reads one YAML document of file into its root node (nil for an
// empty document); a syntax error is an *Error at its line. A second
// document is an *Error too, returned with the first one's root, which a
// caller that reports every problem at once may still read.
func Parse(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(file, err)
	}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return root, &Error{File: file, Line: extra.Line, Col: extra.Column,
			Msg: "the file holds more than one YAML document (a second one starts here); put one configuration per file"}
	case !errors.Is(err, io.EOF):
		return root, syntaxError(file, err)
	}
	return root, nil
}

// syntaxLine reads the place yaml.v3 writes in its syntax errors, which
// are only text; this is the one place annex reads them.
var syntaxLine = regexp.MustCompile(`^yaml: line (\d+):(?: column (\d+):)? (.*)$`)

// syntaxError turns a yaml.v3 parse error into an Error at its line.
func syntaxError(file string, err error) error {
	msg := err.Error()
	m := syntaxLine.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: file, Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	if parserProblem(m[3]) {
		line++
	}
	col, _ := strconv.Atoi(m[2])
	return &Error{File: file, Line: line, Col: col, Msg: "YAML syntax: " + m[3]}
}

// parserProblem reports whether a yaml.v3 syntax message comes from its
// parser rather than its scanner: yaml.v3 prints a parser error's 0-based
// line (the line where the construct it was reading started) as is, and a
// scanner error's line 1-based, so parser lines need one added.
func parserProblem(msg string) bool {
	for _, p := range []string{"did not find expected", "found undefined tag handle",
		"found duplicate %YAML directive", "found incompatible YAML document", "found duplicate %TAG directive"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// Doc is a decoded document's places: where each field path is written.
// A nil Doc (a value built in Go, not read) knows no places.
type Doc struct {
	// File is the document's file; "" for a request body.
	File string
	root *yaml.Node
}

// node returns the node at path (mapping keys as strings, list indexes as
// ints), or the deepest one written on the way, and the key it stands under.
func (d *Doc) node(path []any) (n, key *yaml.Node) {
	n = d.root
	for _, p := range path {
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		var next, k *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						k, next = n.Content[i], n.Content[i+1]
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p >= 0 && p < len(n.Content) {
				next = n.Content[p]
			}
		}
		if next == nil {
			break
		}
		n, key = next, k
	}
	return n, key
}

// At returns where the value at path is written (for a section or a list,
// where its key is), or failing that its nearest written ancestor: a
// missing value is reported where it would go. 0, 0 when d knows no places.
func (d *Doc) At(path ...any) (line, col int) {
	if d == nil || d.root == nil {
		return 0, 0
	}
	n, key := d.node(path)
	if key != nil && n.Kind != yaml.ScalarNode {
		return key.Line, key.Column
	}
	return n.Line, n.Column
}

// Sub returns the places of the part of the document at path, whose own
// paths start there.
func (d *Doc) Sub(path ...any) *Doc {
	if d == nil || d.root == nil {
		return d
	}
	n, _ := d.node(path)
	return &Doc{File: d.File, root: n}
}

// Errorf returns an Error at path, which it names as a field path
// (items[0].library).
func (d *Doc) Errorf(path []any, format string, args ...any) *Error {
	e := &Error{Path: Path(path...), Msg: fmt.Sprintf(format, args...)}
	if d != nil {
		e.File = d.File
		e.Line, e.Col = d.At(path...)
	}
	return e
}

// Path writes keys and indexes as a field path: items[0].library, with a
// key that is not a plain word quoted: desks["Main Library"].
func Path(path ...any) string {
	s := ""
	for _, p := range path {
		switch p := p.(type) {
		case int:
			s = JoinIndex(s, p)
		default:
			s = JoinKey(s, fmt.Sprint(p))
		}
	}
	return s
}

// JSON decodes one JSON document (a request body) into v, a pointer;
// unknown fields are errors.
func JSON(data []byte, v any) error { return decodeJSON(data, v, false) }

// JSONOpen is JSON for an API that accepts and ignores unknown fields (the
// CaiaSoft-shaped one, whose clients send more than it reads): only the
// shapes and types of the fields v has are checked.
func JSONOpen(data []byte, v any) error { return decodeJSON(data, v, true) }

func decodeJSON(data []byte, v any, open bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var probe json.RawMessage
	if err := dec.Decode(&probe); err != nil {
		return jsonSyntax(data, err)
	}
	rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")
	if len(rest) > 0 {
		line, col := position(data, len(data)-len(rest))
		return &Error{Line: line, Col: col, Msg: "data after the JSON document"}
	}
	c := NewWalker("", nil)
	c.tag, c.data, c.dec, c.open = "json", data, json.NewDecoder(bytes.NewReader(data)), open
	c.dec.UseNumber()
	c.json("", reflect.TypeOf(v).Elem())
	if err := c.err(); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("json: %w", err) // the check above lets nothing through that fails here
	}
	return nil
}

func jsonSyntax(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, int(se.Offset)-1) // Offset is just past the bad byte
		return &Error{Line: line, Col: col, Msg: "not valid JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) {
		return &Error{Msg: "the body is empty; want a JSON document"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := position(data, len(data))
		return &Error{Line: line, Col: col, Msg: "the JSON document ends early"}
	}
	return &Error{Msg: "not valid JSON: " + err.Error()}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// adopt takes the Errors of a part of the document that decoded itself
// (a type's own UnmarshalYAML or UnmarshalJSON) as the document's: under
// path, and, for a JSON part whose places count from its own start, moved
// to where the part begins (baseLine:baseCol; 0 when the places are the
// document's already). An Error without a place gets at:atCol. adopt
// reports false, taking nothing, unless every error is an *Error.
func (c *Walker) adopt(err error, baseLine, baseCol, at, atCol int, path string) bool {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	var errs []*Error
	for _, e := range list {
		se, ok := e.(*Error)
		if !ok {
			return false
		}
		errs = append(errs, se)
	}
	for _, se := range errs {
		e := *se
		switch {
		case e.Line == 0:
			e.Line, e.Col = at, atCol
		case baseLine > 0:
			if e.Line == 1 {
				e.Col += baseCol - 1
			}
			e.Line += baseLine - 1
		}
		e.File = c.file
		e.Path = within(path, e.Path)
		c.add(&e)
	}
	return true
}

// within joins a part's own field path to the path of the part.
func within(path, sub string) string {
	switch {
	case sub == "":
		return path
	case path == "" || strings.HasPrefix(sub, "["):
		return path + sub
	}
	return path + "." + sub
}

// Node checks a YAML node (with its document's places) against v's type,
// then decodes it into v, a pointer; for a type that reads its own node
// in an UnmarshalYAML and wants the same strictness.
func Node(n *yaml.Node, v any) error {
	c := NewWalker("", nil)
	c.check(n, reflect.TypeOf(v).Elem())
	if err := c.err(); err != nil {
		return err
	}
	if err := n.Decode(v); err != nil {
		return &Error{Line: n.Line, Col: n.Column, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	return nil
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// want names what a type is written as.
func want(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(textUnmarshaler) || t == durationType {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping of fields"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a string"
		}
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// textWant says what the text types annex configures are written as; their
// own parse errors speak Go (netip.ParsePrefix("…"): …).
var textWant = map[reflect.Type]string{
	reflect.TypeFor[netip.Prefix](): "a network in CIDR form such as 10.0.0.1/32 or 127.0.0.0/8",
	reflect.TypeFor[netip.Addr]():   "an IP address such as 127.0.0.1",
}

// isDuration tells annex's own duration types (faults', profile's), which
// wrap time.Duration and parse themselves.
func isDuration(t reflect.Type) bool { return t.Name() == "Duration" && t.Kind() == reflect.Int64 }

// plain is strict's own wording, for the documents annex's programs read
// (simulator configurations and states, request bodies): fields, and the
// shapes a value is written as.
type plain struct{}

func (plain) Mismatch(t reflect.Type, n *yaml.Node) string {
	return fmt.Sprintf("want %s, got %s", want(t), describeYAML(n))
}

func (plain) BadText(t reflect.Type, s string, err error) string {
	switch w, ok := textWant[t]; {
	case t == durationType:
		return fmt.Sprintf("%q is not a duration (want e.g. 500ms or 5s)", s)
	case isDuration(t):
		return fmt.Sprintf("%s is not a duration (want e.g. 500ms or 5s)", quote(s))
	case ok:
		return fmt.Sprintf("%s is not %s", quote(s), w)
	default:
		return fmt.Sprintf("%s: %v", quote(s), err)
	}
}

// Unknown names the nearest known field, or lists them all.
func (plain) Unknown(key string, known []string) string {
	known = slices.Sorted(slices.Values(known))
	if s := suggest.Closest(key, known); s != "" {
		return fmt.Sprintf("unknown field %q (did you mean %q?)", key, s)
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown field %q: no fields are taken here", key)
	}
	return fmt.Sprintf("unknown field %q; the fields here are %s", key, strings.Join(known, ", "))
}

func (plain) Twice(key string, _ int) string { return fmt.Sprintf("key %q appears twice", key) }

func (plain) AtKey() bool { return false }

func describeYAML(n *yaml.Node) string { return describe(n, quote) }

func quote(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// start is the offset of the next value or key in the JSON stream.
func (c *Walker) start() int {
	off := int(c.dec.InputOffset())
	for off < len(c.data) && strings.IndexByte(" \t\r\n,:", c.data[off]) >= 0 {
		off++
	}
	return off
}

// skip consumes one JSON value.
func (c *Walker) skip() {
	var raw json.RawMessage
	c.dec.Decode(&raw)
}

// json checks the next value of the stream, at path, against type t.
func (c *Walker) json(path string, t reflect.Type) {
	off := c.start()
	line, col := position(c.data, off)
	if off >= len(c.data) {
		return
	}
	first := c.data[off]
	if first == 'n' || t.Kind() == reflect.Interface {
		c.skip() // null leaves the zero value; an interface takes anything
		return
	}
	t = deref(t)
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		var raw json.RawMessage
		c.dec.Decode(&raw)
		switch err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); {
		case err == nil:
		case c.adopt(err, line, col, line, col, path):
		case isDuration(t):
			c.errorf(line, col, path, "%s is not a duration (want e.g. \"500ms\" or \"5s\")", raw)
		default:
			c.errorf(line, col, path, "%s: %v", raw, err)
		}
		return
	}
	got := describeJSON(first, c.data[off:])
	mismatch := func() {
		w := want(t)
		if t.Kind() == reflect.Struct || t.Kind() == reflect.Map {
			w = "an object"
		}
		c.errorf(line, col, path, "want %s, got %s", w, got)
		c.skip()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		if first != '"' {
			mismatch()
			return
		}
		var s string
		c.dec.Decode(&s)
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			c.errorf(line, col, path, "%s", c.words.BadText(t, s, err))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if first != '{' {
			mismatch()
			return
		}
		fields, names := c.fields(t)
		c.dec.Token() // {
		for c.dec.More() {
			koff := c.start()
			kl, kc := position(c.data, koff)
			tok, _ := c.dec.Token()
			key, _ := tok.(string)
			f, ok := fields[key]
			if !ok {
				if !c.open {
					c.errorf(kl, kc, path, "%s", c.words.Unknown(key, names))
				}
				c.skip()
				continue
			}
			c.json(join(path, key), f.Type)
		}
		c.dec.Token() // }
	case reflect.Map:
		if first != '{' {
			mismatch()
			return
		}
		c.dec.Token()
		for c.dec.More() {
			tok, _ := c.dec.Token()
			key, _ := tok.(string)
			c.json(join(path, key), t.Elem())
		}
		c.dec.Token()
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if first != '"' {
				mismatch()
				return
			}
			c.skip()
			return
		}
		if first != '[' {
			mismatch()
			return
		}
		c.dec.Token()
		for i := 0; c.dec.More(); i++ {
			c.json(JoinIndex(path, i), t.Elem())
		}
		c.dec.Token()
	case reflect.String:
		if first != '"' {
			mismatch()
			return
		}
		c.skip()
	case reflect.Bool:
		if first != 't' && first != 'f' {
			mismatch()
			return
		}
		c.skip()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if first != '-' && (first < '0' || first > '9') {
			mismatch()
			return
		}
		var num json.Number
		c.dec.Decode(&num)
		if err := json.Unmarshal([]byte(num), reflect.New(t).Interface()); err != nil {
			c.errorf(line, col, path, "want %s, got %s", want(t), num)
		}
	default:
		c.skip()
	}
}

// describeJSON names the value that starts with first (rest is the text from it).
func describeJSON(first byte, rest []byte) string {
	switch first {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		var s string
		if json.NewDecoder(bytes.NewReader(rest)).Decode(&s) == nil {
			return quote(s)
		}
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	var num json.Number
	if d := json.NewDecoder(bytes.NewReader(rest)); d.Decode(&num) == nil {
		return "the number " + num.String()
	}
	return "a number"
}
