// Package compare decides whether two NCIP messages say the same thing, and
// shows where they do not.
//
// Two messages are equal when they differ only in namespace prefixes, in where
// the xmlns declarations are placed, in attribute order, and in whitespace
// between elements (indentation, one line or pretty-printed, CRLF or LF).
// The XML declaration and any DOCTYPE are ignored too, as are the byte
// encoding and a byte-order mark. Everything else matters: the namespace URIs
// of elements and attributes (a qualified ns1:version is not an unqualified
// version), element names and their order, attribute values, and text. The
// text of an element without child elements is compared exactly, spaces
// included; character data between child elements is compared with the
// surrounding whitespace trimmed.
//
// The comparison is done on a canonical text form (see Canonical), so the
// diff shown to a person is the comparison itself: two messages are equal
// exactly when their canonical forms are.
package compare

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/annexlab/annex/ncip"
)

// Namespaces whose attributes get a fixed prefix in the canonical form,
// because they are the ones NCIP messages actually carry.
const (
	xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"
	xmlNamespace = "http://www.w3.org/XML/1998/namespace"
)

// diffContext is the number of unchanged lines shown around each change.
const diffContext = 3

// Result of comparing an expected message with an actual one.
type Result struct {
	// Equal reports whether the messages are the same under the rule in the package comment.
	Equal bool
	// Diff is a unified diff of the canonical forms, "" when Equal.
	Diff string
}

// Messages compares two serialized messages. The labels name the two sides in
// the diff header (file names, say). The error is for input ncip.Parse cannot
// read; it says which side ("expected: line 3: …") and wraps the parse error.
func Messages(expected, actual []byte, expectedLabel, actualLabel string) (Result, error) {
	exp, err := ncip.Parse(expected, ncip.ParseOptions{})
	if err != nil {
		return Result{}, fmt.Errorf("expected: %w", err)
	}
	act, err := ncip.Parse(actual, ncip.ParseOptions{})
	if err != nil {
		return Result{}, fmt.Errorf("actual: %w", err)
	}
	return Documents(exp, act, expectedLabel, actualLabel), nil
}

// Documents compares parsed messages. A nil document, or one without a root,
// has the empty canonical form.
func Documents(expected, actual *ncip.Document, expectedLabel, actualLabel string) Result {
	a, b := Canonical(expected), Canonical(actual)
	if a == b {
		return Result{Equal: true}
	}
	return Result{Diff: unifiedDiff(expectedLabel, actualLabel, a, b)}
}

func unifiedDiff(fromLabel, toLabel, from, to string) string {
	d, err := udiff.ToUnified(fromLabel, toLabel, from, udiff.Lines(from, to), diffContext)
	if err != nil || d == "" {
		// Cannot happen (the edits come from the same strings), but a
		// difference must never be reported with an empty diff.
		return fmt.Sprintf("--- %s\n+++ %s\n(no diff could be computed: %v)\n", fromLabel, toLabel, err)
	}
	return d
}

// Canonical renders a document in the canonical text form used for
// comparison, one element per line:
//
//   - children are indented two spaces per level;
//   - an element without child elements is <Name attrs>text</Name> on one line,
//     an element with children is <Name attrs>, its children, then </Name>;
//     character data between children, trimmed, gets a line of its own before them;
//   - prefixes are dropped; an element's namespace is written as xmlns="URI"
//     where it differs from its parent's (the root's is compared with no namespace);
//   - namespace declarations are dropped and attributes sorted by namespace URI,
//     then local name; a qualified attribute is written ncip:name, xsi:name or
//     xml:name for those namespaces and {URI}name for any other;
//   - text and values are escaped (&amp; &lt; &gt; &quot;, and &#N; for tab,
//     newline, carriage return and other control or line-separator
//     characters), so the line structure never depends on the text.
//
// The XML declaration and DOCTYPE are not part of it.
func Canonical(doc *ncip.Document) string {
	if doc == nil || doc.Root == nil {
		return ""
	}
	var b strings.Builder
	writeElement(&b, doc.Root, "", 0)
	return b.String()
}

func writeElement(b *strings.Builder, el *ncip.Element, parentSpace string, depth int) {
	indent(b, depth)
	b.WriteByte('<')
	b.WriteString(el.Name)
	if el.Space != parentSpace {
		b.WriteString(` xmlns="`)
		escape(b, el.Space, false)
		b.WriteByte('"')
	}
	writeAttrs(b, el.Attrs)
	b.WriteByte('>')

	children := 0
	for _, c := range el.Children {
		if c != nil {
			children++
		}
	}
	if children == 0 {
		escape(b, el.Text, false)
		writeEnd(b, el.Name)
		return
	}
	b.WriteByte('\n')
	// Whitespace-trimmed, escaped text never starts with a space or '<', so
	// this line cannot be mistaken for an element or change the indentation.
	if stray := strings.Trim(el.Text, " \t\r\n"); stray != "" {
		indent(b, depth+1)
		escape(b, stray, false)
		b.WriteByte('\n')
	}
	for _, c := range el.Children {
		if c != nil {
			writeElement(b, c, el.Space, depth+1)
		}
	}
	indent(b, depth)
	writeEnd(b, el.Name)
}

func writeEnd(b *strings.Builder, name string) {
	b.WriteString("</")
	b.WriteString(name)
	b.WriteString(">\n")
}

func indent(b *strings.Builder, depth int) {
	for range depth {
		b.WriteString("  ")
	}
}

func writeAttrs(b *strings.Builder, attrs []ncip.Attr) {
	n := 0
	for _, a := range attrs {
		if !a.IsNamespaceDecl() {
			n++
		}
	}
	if n == 0 {
		return
	}
	// Sort a copy: the document belongs to the caller.
	sorted := make([]ncip.Attr, 0, n)
	for _, a := range attrs {
		if !a.IsNamespaceDecl() {
			sorted = append(sorted, a)
		}
	}
	// The value breaks ties so that repeated attributes (which the parser
	// keeps) still render the same whatever order they were written in.
	slices.SortFunc(sorted, func(x, y ncip.Attr) int {
		return cmp.Or(cmp.Compare(x.Space, y.Space), cmp.Compare(x.Name, y.Name), cmp.Compare(x.Value, y.Value))
	})
	for _, a := range sorted {
		b.WriteByte(' ')
		writeAttrName(b, a)
		b.WriteString(`="`)
		escape(b, a.Value, false)
		b.WriteByte('"')
	}
}

func writeAttrName(b *strings.Builder, a ncip.Attr) {
	switch a.Space {
	case "":
		// An unqualified name can contain a colon (":x" is not split into a
		// prefix), and must not then read as a canonical prefix like "ncip:".
		if strings.ContainsAny(a.Name, ":{") {
			b.WriteString("{}")
		}
	case ncip.Namespace:
		b.WriteString("ncip:")
	case xsiNamespace:
		b.WriteString("xsi:")
	case xmlNamespace:
		b.WriteString("xml:")
	default:
		b.WriteByte('{')
		escape(b, a.Space, true)
		b.WriteByte('}')
	}
	b.WriteString(a.Name)
}

// escape writes s with markup characters and anything that could break or
// hide a line turned into references. In a URI the braces are escaped too,
// so that {URI}name stays unambiguous. Bytes that are not UTF-8 (only possible
// in a hand-built document) are written as they are, which keeps distinct
// inputs distinct.
func escape(b *strings.Builder, s string, uri bool) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiSafe(c, uri) {
				i++
				continue
			}
			b.WriteString(s[last:i])
			switch c {
			case '&':
				b.WriteString("&amp;")
			case '<':
				b.WriteString("&lt;")
			case '>':
				b.WriteString("&gt;")
			case '"':
				b.WriteString("&quot;")
			default:
				writeCharRef(b, rune(c))
			}
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !hidesLine(r) {
			i += size
			continue
		}
		b.WriteString(s[last:i])
		writeCharRef(b, r)
		i += size
		last = i
	}
	b.WriteString(s[last:])
}

func asciiSafe(c byte, uri bool) bool {
	switch {
	case c < 0x20 || c == 0x7f:
		return false
	case c == '&' || c == '<' || c == '>' || c == '"':
		return false
	case uri && (c == '{' || c == '}'):
		return false
	}
	return true
}

// hidesLine reports non-ASCII characters that a terminal or editor may show
// as a line break or not at all: C1 controls (NEL among them) and the Unicode
// line and paragraph separators.
func hidesLine(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029
}

func writeCharRef(b *strings.Builder, r rune) {
	b.WriteString("&#")
	b.WriteString(strconv.Itoa(int(r)))
	b.WriteByte(';')
}
