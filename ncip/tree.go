package ncip

import (
	"fmt"
	"strings"
)

// Namespace is the NCIP 2 XML namespace.
const Namespace = "http://www.niso.org/2008/ncip"

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// DefaultMaxSize is the largest message Parse and Decode accept unless told otherwise.
// NCIP messages are a few kilobytes; a megabyte leaves room for large LookupItem answers.
const DefaultMaxSize = 1 << 20

// MaxDepth bounds element nesting so hostile input cannot exhaust the stack of
// anything that walks the tree recursively. The deepest NCIP 2 message is far shallower.
const MaxDepth = 100

// MaxAttrs caps the attributes of one element, namespace declarations
// included. NCIP declares at most two attributes on any element (version and
// Scheme); real peers add xmlns, xmlns:xsi and xsi:schemaLocation, so the
// busiest real root carries about six. 256 leaves forty-fold room while
// refusing the hostile shape: one element with 149k attributes.
const MaxAttrs = 256

// MaxNamespaceDecls caps the namespace declarations of one document. Real
// messages declare one to three (the corpus: at most three); a client that
// redeclares its namespace on every element of a few-hundred-element
// message stays well under 1,024, while 40k declarations are refused.
const MaxNamespaceDecls = 1024

// MaxNotes caps Document.Notes: past it, one last note counts the rest, so
// 1 MiB of elements with an undeclared prefix costs a count, not 170,000
// findings (issue 11, item 3). It is below what a conformance report lists,
// so the parser's notes always fit in one.
const MaxNotes = 50

// Document is a parsed XML message: the element tree with positions, and what
// the prolog said. It is what the decoder, the conformance checker and the
// comparison all read, so each sees the message exactly as it was written.
type Document struct {
	Root *Element
	// Decl is the XML declaration, nil when there was none.
	Decl *XMLDecl
	// DocType is the text of the <!DOCTYPE …> directive without the brackets, "" when absent.
	// It is recorded, never fetched or expanded.
	DocType     string
	DocTypeLine int
	// Charset is how the bytes were actually read: "UTF-8", "ISO-8859-1", "windows-1252" or "UTF-16".
	Charset string
	// BOM reports a byte-order mark at the start.
	BOM bool
	// Notes are what the parser tolerated: a declaration that disagrees with
	// the bytes, an undeclared prefix. At most MaxNotes, then one ("xml.more")
	// that counts the rest.
	Notes []Finding
	// omitted counts the notes past MaxNotes, from line omittedLine on.
	omitted, omittedLine int
}

// noting reports whether there is room for one more note at line; when
// there is not, it counts the note. Callers build the note only when there is.
func (d *Document) noting(line int) bool {
	if len(d.Notes) < MaxNotes {
		return true
	}
	if d.omitted == 0 {
		d.omittedLine = line
	}
	d.omitted++
	return false
}

// closeNotes adds the note that counts the omitted ones, if any.
func (d *Document) closeNotes() {
	if d.omitted > 0 {
		d.Notes = append(d.Notes, Finding{Rule: "xml.more", Severity: Warning, Line: d.omittedLine,
			Message: fmt.Sprintf("…and %d more notes like these, from line %d on, not listed", d.omitted, d.omittedLine)})
	}
}

// XMLDecl is the content of an <?xml …?> declaration.
type XMLDecl struct {
	Version    string
	Encoding   string
	Standalone string
	Line       int
}

// Element is one XML element with the position it started at.
type Element struct {
	// Space is the namespace URI the element is in, "" for none.
	Space string
	// Prefix is the prefix as written ("" for unprefixed).
	Prefix string
	// Name is the local name.
	Name  string
	Attrs []Attr
	// Children are the child elements in document order.
	Children []*Element
	// Text is all character data directly inside the element, concatenated.
	Text string
	// Line and Col locate the start tag; TextLine locates the first non-space character data.
	Line, Col int
	TextLine  int
}

// Attr is an attribute. Namespace declarations are kept as attributes with
// Space "xmlns" (prefixed) or Name "xmlns" (default), as written.
type Attr struct {
	Space  string // namespace URI, "" for unqualified
	Prefix string // prefix as written
	Name   string // local name
	Value  string
}

// IsNamespaceDecl reports whether the attribute declares a namespace.
func (a Attr) IsNamespaceDecl() bool {
	return a.Prefix == "xmlns" || (a.Prefix == "" && a.Name == "xmlns")
}

// Attr returns the value of the attribute with the given local name and
// namespace ("*" matches any namespace) and whether it exists.
func (e *Element) Attr(space, name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name == name && !a.IsNamespaceDecl() && (space == "*" || a.Space == space) {
			return a.Value, true
		}
	}
	return "", false
}

// Child returns the first child with the given local name, or nil.
func (e *Element) Child(name string) *Element {
	for _, c := range e.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Find follows a path of local names from e and returns the first match, or nil.
func (e *Element) Find(names ...string) *Element {
	cur := e
	for _, n := range names {
		if cur = cur.Child(n); cur == nil {
			return nil
		}
	}
	return cur
}

// Walk calls fn for e and every descendant, depth first, with the element's path of local names.
func (e *Element) Walk(fn func(el *Element, path string)) {
	e.walk("", fn)
}

func (e *Element) walk(parent string, fn func(*Element, string)) {
	p := parent + "/" + e.Name
	fn(e, p)
	for _, c := range e.Children {
		c.walk(p, fn)
	}
}

// TooLargeError reports input over the size cap.
type TooLargeError struct {
	Size, Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("message is %d bytes, over the %d-byte limit", e.Size, e.Limit)
}

// SyntaxError is input that is not well-formed XML, with the line at fault.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// ParseOptions tune Parse. The zero value applies DefaultMaxSize.
type ParseOptions struct {
	// MaxSize caps the input in bytes; 0 means DefaultMaxSize, negative means no cap.
	MaxSize int
}

// Parse reads an XML message into a Document. It accepts what real NCIP
// peers send: a BOM, a missing declaration, a declared charset that the bytes
// contradict, ISO-8859-1, a DOCTYPE (never fetched). It fails with a
// *TooLargeError over the size cap and a *SyntaxError on XML that is not well-formed.
func Parse(data []byte, opts ParseOptions) (*Document, error) {
	return parseWith(data, opts, buildTree)
}

// parseWith is Parse with the tree builder as a parameter, so that a test
// can put the reference builder behind the same size cap and charset handling.
func parseWith(data []byte, opts ParseOptions, buildTree func([]byte, *Document) error) (*Document, error) {
	limit := opts.MaxSize
	if limit == 0 {
		limit = DefaultMaxSize
	}
	if limit > 0 && len(data) > limit {
		return nil, &TooLargeError{Size: len(data), Limit: limit}
	}
	doc := &Document{}
	text, err := toUTF8(data, doc)
	if err != nil {
		return nil, err
	}
	if err := buildTree(text, doc); err != nil {
		return nil, err
	}
	doc.closeNotes()
	return doc, nil
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// parseDecl reads the pseudo-attributes of an XML declaration. Real clients
// write `version = '1.0'` with spaces and either quote, so this is lenient.
func parseDecl(inst string, line int) *XMLDecl {
	decl := &XMLDecl{Line: line}
	for _, key := range []string{"version", "encoding", "standalone"} {
		v, ok := pseudoAttr(inst, key)
		if !ok {
			continue
		}
		switch key {
		case "version":
			decl.Version = v
		case "encoding":
			decl.Encoding = v
		case "standalone":
			decl.Standalone = v
		}
	}
	return decl
}

func pseudoAttr(inst, key string) (string, bool) {
	i := strings.Index(inst, key)
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(inst[i+len(key):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return "", false
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return "", false
	}
	q := rest[0]
	end := strings.IndexByte(rest[1:], q)
	if end < 0 {
		return "", false
	}
	return rest[1 : 1+end], true
}
