// Package hostile builds the XML shapes an attacker sends to make a parser
// slow or greedy (issue 11, item 3): many attributes on one element, many
// namespace declarations above many elements, deep nesting, long attribute
// values. Tests, benchmarks and fuzz seeds of the NCIP parser and of what
// stands on it share them, so every entry point is measured on the same input.
package hostile

import (
	"fmt"
	"strings"
)

// Attrs returns n distinct attributes, " a0=” a1=” …".
func Attrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " a%d=''", i)
	}
	return b.String()
}

// OneElement is the attack run's shape: a single element with n attributes.
func OneElement(n int) []byte {
	return []byte("<a" + Attrs(n) + "/>")
}

// Fill writes open, then unit as many times as fits in size bytes, then end.
func Fill(size int, open, unit, end string) []byte {
	var b strings.Builder
	b.Grow(size)
	b.WriteString(open)
	for b.Len()+len(unit)+len(end) <= size {
		b.WriteString(unit)
	}
	b.WriteString(end)
	return []byte(b.String())
}

// AttrElements fills size bytes with elements carrying perElement attributes each.
func AttrElements(size, perElement int) []byte {
	return Fill(size, "<r>", "<e"+Attrs(perElement)+"/>", "</r>")
}

// Declarations makes decls namespace declarations, one a line (the n-th
// on line n+1), on nested elements of up to PerElement each, then fills size
// bytes with elements inside them that resolve the default namespace (which
// nothing declares) and the outermost prefix: the two slowest lookups for a
// parser that searches its declarations one by one.
func Declarations(decls, size int) []byte {
	return DeclarationsIn(decls, size, "d", "", "")
}

// DeclarationsIn is Declarations on elements named elem, inside the
// document's before and after (a message's envelope, say).
func DeclarationsIn(decls, size int, elem, before, after string) []byte {
	var open, end strings.Builder
	open.WriteString(before)
	for i := range decls {
		if i%PerElement == 0 {
			if i > 0 {
				open.WriteString(">")
			}
			open.WriteString("<" + elem)
			end.WriteString("</" + elem + ">")
		}
		fmt.Fprintf(&open, "\n xmlns:p%d='urn:%d'", i, i)
	}
	open.WriteString(">")
	return Fill(size, open.String(), "<x/><p0:x p0:a=''/>", end.String()+after)
}

// PerElement is how many declarations Declarations puts on one element,
// under the parser's cap on attributes.
const PerElement = 250

// NestedDeclarations spreads decls declarations over depth nested elements,
// each redeclaring the prefix p and the default namespace, with elements
// before and after each nested one that resolve them: in scope and after a
// scope ends, the names must resolve as the innermost declaration says.
func NestedDeclarations(decls, depth int) []byte {
	per := (decls + depth - 1) / depth
	var b strings.Builder
	n := 0
	for lvl := range depth {
		b.WriteString("<p:e")
		for j := 0; j < per && n < decls; j, n = j+1, n+1 {
			switch j {
			case 0:
				fmt.Fprintf(&b, " xmlns:p='urn:p%d'", lvl)
			case 1:
				fmt.Fprintf(&b, " xmlns='urn:d%d'", lvl)
			default:
				fmt.Fprintf(&b, " xmlns:q%d='urn:q%d'", n, n)
			}
		}
		fmt.Fprintf(&b, "><x p:a='%d'/>", lvl)
	}
	for range depth {
		b.WriteString("<p:after/><x p:a=''/></p:e>")
	}
	return []byte(b.String())
}

// Deep fills size bytes with subtrees nested depth levels deep whose
// element names are nameLen bytes long.
func Deep(size, depth, nameLen int) []byte {
	name := strings.Repeat("n", nameLen)
	unit := strings.Repeat("<"+name+">", depth) + strings.Repeat("</"+name+">", depth)
	return Fill(size, "<r>", unit, "</r>")
}

// LongValues is one element whose attrs attributes share size bytes of value.
func LongValues(size, attrs int) []byte {
	per := max(0, size/attrs-16)
	var b strings.Builder
	b.Grow(size)
	b.WriteString("<a")
	for i := range attrs {
		fmt.Fprintf(&b, " a%d='%s'", i, strings.Repeat("v", per))
	}
	b.WriteString("/>")
	return []byte(b.String())
}
