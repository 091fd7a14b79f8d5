package ncip

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/annexlab/annex/ncip/internal/hostile"
)

// Parse used to build its tree from encoding/xml's RawToken; it now has its
// own tokenizer (xmlparse.go). These tests hold the two to the same result:
// for any input both fail, or both succeed with equal documents.
//
// Where they differ on purpose the new parser is the stricter one, and
// allowedStricter below admits only those cases, each checked against the
// input independently of the parser's own message:
//
//  1. Duplicate attributes: XML's Unique Att Spec constraint, which
//     encoding/xml's RawToken never checked (it kept both).
//  2. Characters outside XML 1.0's Char production in comments, processing
//     instructions and DOCTYPEs: encoding/xml checked only character data
//     and attribute values.
//  3. Character references to surrogates (&#xD800;): not Chars; encoding/xml
//     turned them into U+FFFD.
//  4. More than MaxAttrs attributes on an element or MaxNamespaceDecls
//     namespace declarations in a document (issue 11, item 3).
//
// Error lines: the new parser reports the line of the offending character;
// encoding/xml reported an illegal character in text or an attribute on the
// line where that run of text ended. Where the new parser stops at one of the
// stricter checks above, encoding/xml failed (if at all) further on.

// refParse is Parse as it was: the same size cap and charset handling, the old tree builder.
func refParse(data []byte, opts ParseOptions) (*Document, error) {
	return parseWith(data, opts, refBuildTree)
}

// stricterKind names which of the documented stricter checks an error of
// the new parser is, "" for none.
func stricterKind(err error) string {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return ""
	}
	switch {
	case strings.Contains(se.Msg, "appears twice"):
		return "duplicate attribute"
	case strings.HasPrefix(se.Msg, "illegal character code"):
		return "illegal character"
	case strings.Contains(se.Msg, "attributes (the limit)"):
		return "attribute cap"
	case strings.Contains(se.Msg, "namespace declarations in the document (the limit)"):
		return "namespace cap"
	}
	return ""
}

// allowedStricter reports whether the new parser may reject data that the
// old one read as want: the input must really break the rule the error names.
func allowedStricter(data []byte, err error, want *Document) bool {
	switch stricterKind(err) {
	case "duplicate attribute":
		dup := false
		want.Root.Walk(func(el *Element, _ string) {
			seen := map[[2]string]bool{}
			for _, a := range el.Attrs {
				k := [2]string{a.Prefix, a.Name}
				dup = dup || seen[k]
				seen[k] = true
			}
		})
		return dup
	case "attribute cap":
		over := false
		want.Root.Walk(func(el *Element, _ string) { over = over || len(el.Attrs) > MaxAttrs })
		return over
	case "namespace cap":
		decls := 0
		want.Root.Walk(func(el *Element, _ string) {
			for _, a := range el.Attrs {
				if a.IsNamespaceDecl() {
					decls++
				}
			}
		})
		return decls > MaxNamespaceDecls
	case "illegal character":
		text, terr := toUTF8(data, &Document{})
		if terr != nil {
			return false
		}
		for _, r := range string(text) {
			if !isXMLChar(r) {
				return true
			}
		}
		charRef := regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`)
		for _, m := range charRef.FindAllSubmatch(text, -1) {
			s, base := string(m[1]), 10
			if s[0] == 'x' {
				s, base = s[1:], 16
			}
			if v, err := strconv.ParseUint(s, base, 64); err == nil && v >= 0xD800 && v <= 0xDFFF {
				return true
			}
		}
	}
	return false
}

// diffParse fails t unless Parse and refParse agree on data as described above.
func diffParse(t *testing.T, data []byte) {
	t.Helper()
	opts := ParseOptions{MaxSize: -1}
	got, gerr := Parse(data, opts)
	want, werr := refParse(data, opts)
	switch {
	case gerr == nil && werr == nil:
		if d := docDiff(got, want); d != "" {
			t.Fatalf("documents differ: %s\ninput %q", d, clip(data))
		}
	case gerr != nil && werr == nil:
		if !allowedStricter(data, gerr, want) {
			t.Fatalf("new parser rejects what the old one read: %v\ninput %q", gerr, clip(data))
		}
	case gerr == nil && werr != nil:
		t.Fatalf("new parser accepts what the old one rejected (%v)\ninput %q", werr, clip(data))
	default:
		var gs, ws *SyntaxError
		if errors.As(gerr, &gs) != errors.As(werr, &ws) {
			t.Fatalf("error kinds differ: %T %v / %T %v\ninput %q", gerr, gerr, werr, werr, clip(data))
		}
		if gs == nil || gs.Line == ws.Line {
			return
		}
		if stricterKind(gerr) != "" || strings.HasPrefix(ws.Msg, "illegal character code") {
			return
		}
		t.Fatalf("error lines differ: new %v, old %v\ninput %q", gerr, werr, clip(data))
	}
}

func clip(b []byte) []byte {
	if len(b) > 2000 {
		return b[:2000]
	}
	return b
}

func docDiff(a, b *Document) string {
	if !reflect.DeepEqual(a.Decl, b.Decl) {
		return fmt.Sprintf("Decl %+v / %+v", a.Decl, b.Decl)
	}
	if a.DocType != b.DocType || a.DocTypeLine != b.DocTypeLine {
		return fmt.Sprintf("DocType %q@%d / %q@%d", a.DocType, a.DocTypeLine, b.DocType, b.DocTypeLine)
	}
	if a.Charset != b.Charset || a.BOM != b.BOM {
		return fmt.Sprintf("charset %s %v / %s %v", a.Charset, a.BOM, b.Charset, b.BOM)
	}
	if !reflect.DeepEqual(a.Notes, b.Notes) {
		return fmt.Sprintf("Notes %v / %v", a.Notes, b.Notes)
	}
	return elementDiff(a.Root, b.Root, "")
}

func elementDiff(a, b *Element, path string) string {
	path += "/" + b.Name
	switch {
	case a.Space != b.Space || a.Prefix != b.Prefix || a.Name != b.Name:
		return fmt.Sprintf("%s: name {%s}%s:%s / {%s}%s:%s", path, a.Space, a.Prefix, a.Name, b.Space, b.Prefix, b.Name)
	case a.Text != b.Text:
		return fmt.Sprintf("%s: Text %q / %q", path, a.Text, b.Text)
	case a.Line != b.Line || a.Col != b.Col || a.TextLine != b.TextLine:
		return fmt.Sprintf("%s: position %d:%d text %d / %d:%d text %d", path, a.Line, a.Col, a.TextLine, b.Line, b.Col, b.TextLine)
	case !reflect.DeepEqual(a.Attrs, b.Attrs):
		return fmt.Sprintf("%s: Attrs %+v / %+v", path, a.Attrs, b.Attrs)
	case len(a.Children) != len(b.Children):
		return fmt.Sprintf("%s: %d children / %d", path, len(a.Children), len(b.Children))
	}
	for i := range a.Children {
		if d := elementDiff(a.Children[i], b.Children[i], path); d != "" {
			return d
		}
	}
	return ""
}

// hostileXML is input built to trip a tokenizer: nesting at and over the
// cap, fragmented text, entity tricks, internal subsets, CDATA edges, every
// kind of line end, namespace oddities and names outside ASCII.
func hostileXML() []string {
	nest := func(n int) string { return strings.Repeat("<a>", n) + "x" + strings.Repeat("</a>", n) }
	return []string{
		nest(MaxDepth), nest(MaxDepth + 1),
		"<a>" + strings.Repeat("x<!---->", 50000) + "</a>",
		"<a>" + strings.Repeat("<b/>", 2000) + "</a>",
		// Entities and references.
		"<a>&amp;lt; &#38;#60; &#x3C; &#60; &#x10FFFF; &#1114111; &apos;&quot;&gt;</a>",
		"<a>&lt</a>", "<a>&#xD800;</a>", "<a>&#0;</a>", "<a>&#1114112;</a>", "<a>&#x110000;</a>",
		"<a>&#X41;</a>", "<a>&#;</a>", "<a>&#x;</a>", "<a>&;</a>", "<a>&nbsp;</a>", "<a>&amp</a>", "<a>&",
		"<a>&#000000000000000000000000065;</a>", "<a>&#99999999999999999999999;</a>", "<a b='&#xDFFF;'/>",
		`<!DOCTYPE a [<!ENTITY x "&y;&y;"><!ENTITY y "z">]><a>&x;</a>`,
		`<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`,
		// DOCTYPEs and other declarations.
		`<!DOCTYPE a [<!-- ]> --><!ELEMENT a ANY>]><a/>`,
		`<!DOCTYPE a [<!ENTITY x "<!--">]><a/>`,
		`<!DOCTYPE a [<!ENTITY x '">'>]><a/>`,
		`<!DOCTYPE a [<?pi don't?>]><a/>`,
		`<!DOCTYPE a [<!-- a -- b -->]><a/>`,
		`<!DOCTYPE a [<!ELEMENT a ANY>`, `<!DOCTYPE a <>><a/>`, `<!><a/>`, `<!"x">`,
		"<a><!DOCTYPE b></a>", "<!DOCTYPE a><!DOCTYPE b><a/>", "<!DOCTYPE a\x01><a/>",
		"<!ENTITY x 'y'><a/>", "<!DOCTYPE\r\na\r\nSYSTEM 'x'>\r\n<a/>",
		// CDATA.
		"<a><![CDATA[]]></a>", "<a><![CDATA[]]]]></a>", "<a><![CDATA[x]]]></a>", "<a><![CDATA[ ]] > ]]>]]></a>",
		"<a>x]]>y</a>", "<a b=']]>'/>", "<a><![CDATA[x</a>", "<a><![CDAT[x]]></a>", "<![CDATA[x]]><a/>",
		"<![CDATA[ ]]><a/>", "<a><![CDATA[\r\nx\r\n]]></a>", "<a><![CDATA[\x01]]></a>", "<a><![cdata[x]]></a>",
		"<a>\n<![CDATA[\n\n  y]]></a>",
		// Line ends.
		"<?xml version=\"1.0\"?>\r\n<a>\r\n  <b>x\r\ny</b>\r\n  <c\r\n d='1\r\n2'/>\r\n</a>\r\n",
		"<?xml version=\"1.0\"?>\r<a>\r  <b>x\ry</b>\r  <c\r d='1\r2'/>\r</a>\r",
		"<a>\n\r\n\r<b>\r\r\n\n x</b>\r</a>", "<a>x\r</a>", "<a>\r<b/>\n</a>", "<a>\r\n \t y</a>",
		"<a>\n\n</a>\n\nz", "<a>\n\n</b>", "<a>\n\n<b>\n", "\n\n<a", "<a>&#10;&#13;x</a>",
		// Comments and processing instructions.
		"<a><!-- x -- y --></a>", "<a><!-- x ---></a>", "<a><!---></a>", "<a><!----></a>", "<a><!-x--></a>",
		"<a><!-- \x01 --></a>", "<a><?pi \x02?></a>", "<?xml version='1.1'?><a/>", "<?xml version = '1.1'?><a/>",
		"<a><?xml version='1.0' encoding='x'?></a>", "<?xml?><a/>", "<?xml\tversion=\"1.0\"\tstandalone='no'?><a/>",
		"<?1x?><a/>", "<? x?><a/>", "<?x", "<?x ?", "<?é?><a/>", "<?x-y.z:w data?><a/>",
		// Tags, attributes, namespaces.
		"<a b='1' b='2'/>", "<a p:b='1' p:b='2' xmlns:p='u'/>", "<a p:b='1' q:b='2' xmlns:p='u' xmlns:q='u'/>",
		"<a xmlns='u' xmlns='v'/>", "<a b='<'/>", "<a b=1/>", "<a b/>", "<a b='1'c='2'/>", "<a b = \"1\" />",
		"<a/ >", "<a></a >", "<a></a b>", "<a></b>", "</a>", "<a:b:c/>", "<:a/>", "<a:/>", "<a xmlns:=''/>",
		"<p:a xmlns:p='u'><p:b q:c='1'/><b xml:lang='en'/></p:a>", "<p:a/>", "<a xmlns:xml='other' xml:lang='x'/>",
		"<a xmlns='u'><b xmlns=''><c/></b></a>", "<xmlns:a/>", "<a xmlns:p='u'><p:b/></a><p:c/>",
		"<a/><b/>", "<a/>x", "x<a/>", "<a/>\u00a0", "<a/>\u2028", "<é/>", "<€/>", "<a€/>", "<中文>x</中文>",
		"<a·/>", "<·a/>", "<a\u0301/>", "<a b\u00e9='1'/>", "<a\x00/>", "<a>\x00</a>", "<a>\uFFFE</a>",
		"", " ", "<", "<a", "<a ", "<a b", "<a b=", "<a b='", "<a b='1'", "<a>", "</", "<!", "<!-", "<!--", "<![",
		"\xef\xbb\xbf<a/>", "\xff\xfe<\x00a\x00/\x00>\x00", "<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>",
		"<a>\x80\x81</a>", "<a \xe9='1'/>", "<a>x</a>\r\n<!-- trailing -->\r\n<?pi?>\r\n",
		// Attribute and namespace-declaration caps (issue 11, item 3), at and
		// over, and past the point where the parser switches to maps.
		string(hostile.OneElement(MaxAttrs)), string(hostile.OneElement(MaxAttrs + 1)),
		"<r" + hostile.Attrs(attrScan+2) + "><b" + hostile.Attrs(attrScan+2) + "/></r>",
		"<a" + hostile.Attrs(attrScan+2) + " a0='x'/>",
		string(hostile.Declarations(MaxNamespaceDecls, 2000)), string(hostile.Declarations(MaxNamespaceDecls+1, 2000)),
		string(hostile.NestedDeclarations(MaxNamespaceDecls, 8)), string(hostile.NestedDeclarations(nsScan+2, 3)),
		string(hostile.NestedDeclarations(nsScan-2, 3)),
	}
}

func diffSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, pattern := range []string{
		filepath.Join(corpus, "*", "*", "*.xml"),
		filepath.Join("testdata", "golden", "*.xml"),
	} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("no seed files for %s: %v", pattern, err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, data)
		}
	}
	for _, s := range hostileXML() {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

func TestParseDifferential(t *testing.T) {
	for i, data := range diffSeeds(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) { diffParse(t, data) })
	}
}

// FuzzParseDifferential: for any input, Parse and the encoding/xml-based
// parser it replaced agree, apart from the documented stricter checks.
func FuzzParseDifferential(f *testing.F) {
	for _, data := range diffSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		diffParse(t, data)
	})
}

// The stricter checks and the exact error lines, one by one.
func TestParseStricterAndLines(t *testing.T) {
	cases := []struct {
		in   string
		line int
		msg  string
	}{
		{"<a>\n<b c='1'\n c='2'/></a>", 3, "attribute c appears twice in <b>"},
		{"<a>\n<!-- \x01 -->\n</a>", 2, "illegal character code U+0001"},
		{"<a>\n<?pi \uFFFF?></a>", 2, "illegal character code U+FFFF"},
		{"<!DOCTYPE a [\n\x0b]><a/>", 2, "illegal character code U+000B"},
		{"<a>\n&#xD800;\n</a>", 2, "illegal character code U+D800"},
		{"<a>\n\x01\n\n</a>", 2, "illegal character code U+0001"}, // encoding/xml: line 4
		{"<a>\n&nbsp;</a>", 2, "invalid character entity &nbsp;"},
		{"<a>\n&nbsp</a>", 2, "invalid character entity &nbsp (no semicolon)"},
		{"<a b='\n<'/>", 2, "unescaped < inside quoted string"},
		{"<a>\n</b>", 2, "unexpected end tag </b>"},
		{"<a>\n<b>\n", 3, "unexpected end of input: <b> (line 2) is not closed"},
		{"<a/>\n<b/>", 2, "second root element <b> after <a>"},
		{"<a/>\nx", 1, "text outside the root element"},
		{"<a>\n<1/>", 2, "invalid XML name: 1"},
		{"<a>\n< b/>", 2, "expected element name after <"},
		{"<a>\n<€/>", 2, "invalid XML name: €"},
		{"<a>]]>\n</a>", 1, "unescaped ]]> not in CDATA section"},
		{"<a>\n<!-- -- -->", 2, `invalid sequence "--" not allowed in comments`},
		{"<a><![CDATA[\n", 2, "unexpected EOF in CDATA section"},
		{"\n<?xml version='2.0'?><a/>", 2, `xml: unsupported version "2.0"; only version 1.0 is supported`},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.in), ParseOptions{})
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != tc.line || se.Msg != tc.msg {
			t.Errorf("%q: err = %v, want line %d: %s", tc.in, err, tc.line, tc.msg)
		}
	}
}

func TestIsXMLChar(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune+1; r++ {
		want := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r < 0xD800) || (r >= 0xE000 && r < 0xFFFE) || (r >= 0x10000 && r <= utf8.MaxRune)
		if isXMLChar(r) != want {
			t.Fatalf("isXMLChar(%U) = %v", r, !want)
		}
	}
}
