package ncip

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip/internal/hostile"
)

// The inputs of issue 11, item 3: before it, the duplicate-attribute check
// and namespace lookups compared every attribute with every earlier one and
// every element with every declaration in scope, so 149k attributes in 1 MiB
// took 128 s and 40k declarations above 100k elements 12 s. Now attributes
// per element and declarations per document are capped and both checks
// are linear; the tests count the work instead of timing it.

// wantSyntaxError fails t unless err is a *SyntaxError with the given line and message.
func wantSyntaxError(t *testing.T, err error, line int, msg string) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != line || se.Msg != msg {
		t.Fatalf("err = %v, want line %d: %s", err, line, msg)
	}
}

func TestItem3AttributeCap(t *testing.T) {
	if _, err := Parse(hostile.OneElement(MaxAttrs), ParseOptions{}); err != nil {
		t.Fatalf("%d attributes: %v", MaxAttrs, err)
	}
	// The 257th attribute is on line 3: the error names its line and the cap.
	data := []byte("<r>\n<a" + hostile.Attrs(MaxAttrs) + "\n a256=''/></r>")
	_, err := Parse(data, ParseOptions{})
	wantSyntaxError(t, err, 3, fmt.Sprintf("<a> has more than %d attributes (the limit)", MaxAttrs))
	// The attack run's 1 MiB element goes the same way, through Decode too.
	big := hostile.OneElement(149000)[:DefaultMaxSize-2]
	big = append(big[:len(big)-len(" a99999=''")], "/>"...)
	_, _, err = Decode(big, ParseOptions{})
	wantSyntaxError(t, err, 1, fmt.Sprintf("<a> has more than %d attributes (the limit)", MaxAttrs))
}

func TestItem3NamespaceDeclarationCap(t *testing.T) {
	if _, err := Parse(hostile.Declarations(MaxNamespaceDecls, 4000), ParseOptions{}); err != nil {
		t.Fatalf("%d declarations: %v", MaxNamespaceDecls, err)
	}
	// One declaration a line: the 1,025th is on line 1,026.
	_, err := Parse(hostile.Declarations(MaxNamespaceDecls+1, 4000), ParseOptions{})
	wantSyntaxError(t, err, MaxNamespaceDecls+2,
		fmt.Sprintf("more than %d namespace declarations in the document (the limit)", MaxNamespaceDecls))
	// Spread over nested elements they count the same.
	_, err = Parse(hostile.NestedDeclarations(MaxNamespaceDecls+1, 8), ParseOptions{})
	wantSyntaxError(t, err, 1, fmt.Sprintf("more than %d namespace declarations in the document (the limit)", MaxNamespaceDecls))
	// The attack run's shape: 40k declarations and 100k elements.
	_, _, err = Decode(hostile.Declarations(40000, DefaultMaxSize), ParseOptions{})
	wantSyntaxError(t, err, MaxNamespaceDecls+2,
		fmt.Sprintf("more than %d namespace declarations in the document (the limit)", MaxNamespaceDecls))
}

// TestItem3LinearWork parses the worst inputs within the caps and holds
// the duplicate check's and namespace lookups' probes to a few per input
// byte: comparing each attribute with all before it costs up to 25 per byte
// on 256-attribute elements, scanning 1,024 declarations per element hundreds.
func TestItem3LinearWork(t *testing.T) {
	const perByte = 4
	for name, data := range map[string][]byte{
		"256 attributes on every element":      hostile.AttrElements(DefaultMaxSize, MaxAttrs),
		"17 attributes on every element":       hostile.AttrElements(DefaultMaxSize, attrScan+1),
		"1,024 declarations above 1 MiB":       hostile.Declarations(MaxNamespaceDecls, DefaultMaxSize),
		"17 declarations above 1 MiB":          hostile.Declarations(nsScan+1, DefaultMaxSize),
		"1,024 declarations over eight levels": hostile.NestedDeclarations(MaxNamespaceDecls, 8),
	} {
		p := newParser(data, &Document{})
		if err := p.parse(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.probes > perByte*len(data) {
			t.Errorf("%s: %d probes for %d bytes, over %d a byte", name, p.probes, len(data), perByte)
		}
	}
}

// TestItem3NamespacesResolve checks names against their declarations after
// the lookup switches to its index: in scope, shadowed and restored.
func TestItem3NamespacesResolve(t *testing.T) {
	for _, decls := range []int{8, 2 * 8, 3 * 8, MaxNamespaceDecls} { // a multiple of the 8 levels: each declares p
		doc, err := Parse(hostile.NestedDeclarations(decls, 8), ParseOptions{})
		if err != nil {
			t.Fatalf("%d: %v", decls, err)
		}
		el, lvl := doc.Root, 0
		for el != nil {
			want := fmt.Sprintf("urn:p%d", lvl)
			if el.Space != want {
				t.Fatalf("%d declarations, level %d: <p:e> in %q, want %q", decls, lvl, el.Space, want)
			}
			x := el.Children[0]
			if x.Attrs[0].Space != want {
				t.Fatalf("%d declarations, level %d: p:a in %q", decls, lvl, x.Attrs[0].Space)
			}
			after := el.Children[len(el.Children)-1]
			if after.Attrs[0].Space != want {
				t.Fatalf("%d declarations, level %d: p:a after the nested scope in %q, want %q", decls, lvl, after.Attrs[0].Space, want)
			}
			var next *Element
			if len(el.Children) == 4 {
				next = el.Children[1]
			}
			el, lvl = next, lvl+1
		}
	}
}

// The benchmarks: the worst 1 MiB input of each hostile shape, through
// Decode (Parse and the typed decoding the endpoints do). Each is to stay
// under 50 ms (DESIGN §3, Bad input).
// refused says whether the input is over a cap; the benchmark fails if Decode disagrees.
func benchDecode(b *testing.B, data []byte, refused bool) {
	if _, err := Parse(data, ParseOptions{}); (err != nil) != refused {
		b.Fatalf("%d bytes: err = %v, want refused %v", len(data), err, refused)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, _, _ = Decode(data, ParseOptions{})
	}
}

// BenchmarkItem3OneElement149kAttributes: the attack run's 128 s input, now refused at attribute 257.
func BenchmarkItem3OneElement149kAttributes(b *testing.B) {
	data := hostile.OneElement(149000)
	benchDecode(b, append(data[:DefaultMaxSize-2:DefaultMaxSize-2], "/>"...), true)
}

// BenchmarkItem3AttributesOnEveryElement: 1 MiB of elements with 256 attributes each, the most accepted.
func BenchmarkItem3AttributesOnEveryElement(b *testing.B) {
	benchDecode(b, hostile.AttrElements(DefaultMaxSize, MaxAttrs), false)
}

// BenchmarkItem3Declarations40k: the attack run's 12 s input, now refused at declaration 1,025.
func BenchmarkItem3Declarations40k(b *testing.B) {
	benchDecode(b, hostile.Declarations(40000, DefaultMaxSize), true)
}

// BenchmarkItem3DeclarationsAboveElements: 1,024 declarations above 1 MiB of elements, the most accepted.
func BenchmarkItem3DeclarationsAboveElements(b *testing.B) {
	benchDecode(b, hostile.Declarations(MaxNamespaceDecls, DefaultMaxSize), false)
}

// BenchmarkItem3DeepNesting: 1 MiB of subtrees 100 levels deep, root included (the depth cap).
func BenchmarkItem3DeepNesting(b *testing.B) {
	benchDecode(b, hostile.Deep(DefaultMaxSize, MaxDepth-1, 1), false)
}

// BenchmarkItem3DeepLongNames: one subtree 100 levels deep with 5 kB names, whose paths are long.
func BenchmarkItem3DeepLongNames(b *testing.B) {
	benchDecode(b, hostile.Deep(DefaultMaxSize, MaxDepth-1, 5000), false)
}

// BenchmarkItem3LongAttributeValue: one attribute value of 1 MiB.
func BenchmarkItem3LongAttributeValue(b *testing.B) {
	benchDecode(b, hostile.LongValues(DefaultMaxSize, 1), false)
}

// BenchmarkItem3LongAttributeValues: 256 attribute values of 4 kB.
func BenchmarkItem3LongAttributeValues(b *testing.B) {
	benchDecode(b, hostile.LongValues(DefaultMaxSize, MaxAttrs), false)
}

// ncipFill fills 1 MiB with unit inside a CheckOutItem, so that Decode types
// the message rather than stopping at a root that is not NCIPMessage.
func ncipFill(unit string) []byte {
	return hostile.Fill(DefaultMaxSize, `<NCIPMessage xmlns="`+Namespace+`" xmlns:ns1="`+Namespace+
		`" ns1:version="`+VersionV2_02+`"><CheckOutItem>`, unit, "</CheckOutItem></NCIPMessage>")
}

// BenchmarkItem3DecodeUnexpectedElements: 1 MiB of elements CheckOutItem
// has no place for, each reported by the decoder.
func BenchmarkItem3DecodeUnexpectedElements(b *testing.B) {
	benchDecode(b, ncipFill("<Bogus/>"), false)
}

// BenchmarkItem3DecodeUndeclaredPrefixes: 1 MiB of elements whose prefix
// nothing declares, each a parser note.
func BenchmarkItem3DecodeUndeclaredPrefixes(b *testing.B) {
	benchDecode(b, ncipFill("<q:x/>"), false)
}

// TestItem3NotesCapped: the parser lists MaxNotes notes and one that
// counts the rest; without the cap 1 MiB of undeclared prefixes made 170k.
func TestItem3NotesCapped(t *testing.T) {
	const n = 1000
	doc, err := Parse([]byte("<r>"+strings.Repeat("\n<q:x/>", n)+"</r>"), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Notes) != MaxNotes+1 {
		t.Fatalf("%d notes, want %d", len(doc.Notes), MaxNotes+1)
	}
	last := doc.Notes[MaxNotes]
	want := fmt.Sprintf("…and %d more notes like these, from line %d on", n-MaxNotes, MaxNotes+2)
	if last.Rule != "xml.more" || last.Line != MaxNotes+2 || !strings.HasPrefix(last.Message, want) {
		t.Errorf("last note = %+v, want xml.more %q", last, want)
	}
}

// TestItem3DecodeFindingsCapped: Decode lists the first 100 elements it had
// to ignore and counts the rest in one finding.
func TestItem3DecodeFindingsCapped(t *testing.T) {
	const n = 1000
	data := []byte(`<NCIPMessage xmlns="` + Namespace + `" xmlns:ns1="` + Namespace + `" ns1:version="` + VersionV2_02 +
		`"><CheckOutItem><UserId><UserIdentifierValue>u</UserIdentifierValue></UserId>` +
		`<ItemId><ItemIdentifierValue>i</ItemIdentifierValue></ItemId>` + strings.Repeat("<Bogus/>", n) +
		`</CheckOutItem></NCIPMessage>`)
	m, fs, err := Decode(data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := m.Body.(*CheckOutItem); !ok || b.ItemId.ItemIdentifierValue != "i" {
		t.Fatalf("body = %#v", m.Body)
	}
	ignored := 0
	for _, f := range fs {
		if f.Rule == "decode.ignored" {
			ignored++
		}
	}
	last := fs[len(fs)-1]
	want := fmt.Sprintf("…and %d more elements", n-maxIgnored)
	if ignored != maxIgnored || last.Rule != "decode.more" || !strings.HasPrefix(last.Message, want) {
		t.Errorf("%d decode.ignored, last %+v; want %d and decode.more %q", ignored, last, maxIgnored, want)
	}
}
