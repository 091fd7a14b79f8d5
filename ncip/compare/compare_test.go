package compare

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip"
)

const checkOutItemPath = "../testdata/conformance/v2/circill/CheckOutItem.xml"

// checkOutItemDefaultNS is CheckOutItem.xml written by hand the other way:
// one line, default namespace, the prefix for attributes bound next to the
// root's version attribute and again locally on some AgencyIds under other
// names, a redundant default declaration on UserId, and declarations written
// before and after the attributes that use them.
const checkOutItemDefaultNS = `<?xml version="1.0"?>` +
	`<NCIPMessage v:version="http://www.niso.org/schemas/ncip/v2_02/imp1/xsd/ncip_v2_02.xsd" xmlns:v="http://www.niso.org/2008/ncip" xmlns="http://www.niso.org/2008/ncip">` +
	`<CheckOutItem><InitiationHeader>` +
	`<FromAgencyId><AgencyId xmlns:s="http://www.niso.org/2008/ncip" s:Scheme="localhost/ncip/v1/schemes/agencies/1">ENG</AgencyId></FromAgencyId>` +
	`<ToAgencyId><AgencyId v:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId></ToAgencyId>` +
	`</InitiationHeader>` +
	`<UserId xmlns="http://www.niso.org/2008/ncip"><AgencyId v:Scheme="localhost/ncip/v1/schemes/agencies/1" xmlns:v="http://www.niso.org/2008/ncip">MIT</AgencyId><UserIdentifierValue>10923123</UserIdentifierValue></UserId>` +
	`<ItemId><AgencyId xmlns:x="http://www.niso.org/2008/ncip" x:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId><ItemIdentifierValue>19823098123</ItemIdentifierValue></ItemId>` +
	`<RequestId><AgencyId v:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId><RequestIdentifierValue>REQ123</RequestIdentifierValue></RequestId>` +
	`</CheckOutItem></NCIPMessage>`

func readCheckOutItem(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(checkOutItemPath)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func mustCompare(t *testing.T, expected, actual []byte) Result {
	t.Helper()
	r, err := Messages(expected, actual, "expected.xml", "actual.xml")
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	if r.Equal != (r.Diff == "") {
		t.Fatalf("Equal = %v but Diff = %q", r.Equal, r.Diff)
	}
	return r
}

func TestCanonicalCheckOutItem(t *testing.T) {
	doc, err := ncip.Parse(readCheckOutItem(t), ncip.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const want = `<NCIPMessage xmlns="http://www.niso.org/2008/ncip" ncip:version="http://www.niso.org/schemas/ncip/v2_02/imp1/xsd/ncip_v2_02.xsd">
  <CheckOutItem>
    <InitiationHeader>
      <FromAgencyId>
        <AgencyId ncip:Scheme="localhost/ncip/v1/schemes/agencies/1">ENG</AgencyId>
      </FromAgencyId>
      <ToAgencyId>
        <AgencyId ncip:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId>
      </ToAgencyId>
    </InitiationHeader>
    <UserId>
      <AgencyId ncip:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId>
      <UserIdentifierValue>10923123</UserIdentifierValue>
    </UserId>
    <ItemId>
      <AgencyId ncip:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId>
      <ItemIdentifierValue>19823098123</ItemIdentifierValue>
    </ItemId>
    <RequestId>
      <AgencyId ncip:Scheme="localhost/ncip/v1/schemes/agencies/1">MIT</AgencyId>
      <RequestIdentifierValue>REQ123</RequestIdentifierValue>
    </RequestId>
  </CheckOutItem>
</NCIPMessage>
`
	if got := Canonical(doc); got != want {
		t.Errorf("Canonical:\n%s\nwant:\n%s", got, want)
	}
}

func TestCanonicalForms(t *testing.T) {
	tests := []struct {
		name, xml, want string
	}{
		{"nil root", "", ""},
		{"text escaped onto one line",
			"<a x=\"1&#10;2&#9;&quot;&lt;\">line1\nline2\tend &amp; &lt;&gt;&#13;\u2028</a>",
			"<a x=\"1&#10;2&#9;&quot;&lt;\">line1&#10;line2&#9;end &amp; &lt;&gt;&#13;&#8232;</a>\n"},
		{"namespace only where it changes, undeclared back to none",
			`<a xmlns="urn:a"><b><c xmlns=""><d xmlns:q="urn:a"><q:e/></d></c></b></a>`,
			"<a xmlns=\"urn:a\">\n  <b>\n    <c xmlns=\"\">\n      <d>\n        <e xmlns=\"urn:a\"></e>\n      </d>\n    </c>\n  </b>\n</a>\n"},
		{"attributes sorted by namespace then name, canonical prefixes",
			`<a xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:n="http://www.niso.org/2008/ncip" xmlns:o="urn:{o}" z="1" i:type="t" o:k="2" n:Scheme="s" b="3" xml:lang="en"/>`,
			`<a b="3" z="1" ncip:Scheme="s" xsi:type="t" xml:lang="en" {urn:&#123;o&#125;}k="2"></a>` + "\n"},
		{"stray text between children is trimmed onto its own line",
			"<a>\n  hello <b>x</b>\n world\n</a>",
			"<a>\n  hello &#10; world\n  <b>x</b>\n</a>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc *ncip.Document
			if tt.xml != "" {
				var err error
				if doc, err = ncip.Parse([]byte(tt.xml), ncip.ParseOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if got := Canonical(doc); got != tt.want {
				t.Errorf("Canonical:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

func TestDefaultNamespaceVariantIsEqual(t *testing.T) {
	r := mustCompare(t, readCheckOutItem(t), []byte(checkOutItemDefaultNS))
	if !r.Equal {
		t.Errorf("prefixed and default-namespace CheckOutItem differ:\n%s", r.Diff)
	}
}

func TestBarcodeDigitChanged(t *testing.T) {
	const oldCode, newCode = "19823098123", "19823098124"
	changed := strings.Replace(checkOutItemDefaultNS, oldCode, newCode, 1)
	r := mustCompare(t, readCheckOutItem(t), []byte(changed))
	if r.Equal {
		t.Fatal("a changed barcode compared equal")
	}
	var minus, plus []string
	for line := range strings.Lines(r.Diff) {
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
		case strings.HasPrefix(line, "-"):
			minus = append(minus, line)
		case strings.HasPrefix(line, "+"):
			plus = append(plus, line)
		}
	}
	if len(minus) != 1 || len(plus) != 1 {
		t.Fatalf("want one - and one + line, got %q and %q in:\n%s", minus, plus, r.Diff)
	}
	if !strings.Contains(minus[0], oldCode) || !strings.Contains(plus[0], newCode) {
		t.Errorf("changed lines %q, %q do not hold the barcodes", minus[0], plus[0])
	}
	if !strings.HasPrefix(r.Diff, "--- expected.xml\n+++ actual.xml\n@@ ") {
		t.Errorf("diff header does not name the sides:\n%s", r.Diff)
	}
	// Three lines of context either side of the one change.
	if n := strings.Count(r.Diff, "\n "); n != 6 {
		t.Errorf("want 6 context lines, got %d:\n%s", n, r.Diff)
	}
}

func TestCRLFPrettyEqualsLFOneLine(t *testing.T) {
	orig := readCheckOutItem(t)
	crlf := bytes.ReplaceAll(bytes.ReplaceAll(orig, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	if !bytes.Contains(crlf, []byte(">\r\n    <ns1:CheckOutItem>")) {
		t.Fatal("test input is not CRLF pretty-printed")
	}
	r := mustCompare(t, crlf, []byte(checkOutItemDefaultNS))
	if !r.Equal {
		t.Errorf("CRLF pretty and LF one-line differ:\n%s", r.Diff)
	}
}

func TestDifferences(t *testing.T) {
	orig := string(readCheckOutItem(t))
	tests := []struct {
		name             string
		expected, actual string
		equal            bool
	}{
		{"unqualified version is not the qualified one", orig,
			strings.Replace(orig, "ns1:version=", "version=", 1), false},
		{"unqualified Scheme is not the qualified one", checkOutItemDefaultNS,
			strings.Replace(checkOutItemDefaultNS, "s:Scheme", "Scheme", 1), false},
		{"attribute in another namespace", `<a xmlns:p="urn:a" p:x="1"/>`, `<a xmlns:p="urn:b" p:x="1"/>`, false},
		{"namespace-less root is not the namespaced one",
			`<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><Problem/></NCIPMessage>`,
			`<NCIPMessage><Problem/></NCIPMessage>`, false},
		{"namespace-less child is not the namespaced one",
			`<n:NCIPMessage xmlns:n="http://www.niso.org/2008/ncip"><n:Problem/></n:NCIPMessage>`,
			`<n:NCIPMessage xmlns:n="http://www.niso.org/2008/ncip"><Problem/></n:NCIPMessage>`, false},
		{"trailing space in text", `<a><b>MIT </b></a>`, `<a><b>MIT</b></a>`, false},
		{"leading newline in text", "<a><b>\nMIT</b></a>", `<a><b>MIT</b></a>`, false},
		{"whitespace-only text of a leaf", `<a><b> </b></a>`, `<a><b></b></a>`, false},
		{"child order swapped", `<a><b/><c/></a>`, `<a><c/><b/></a>`, false},
		{"From and To agency swapped", orig,
			strings.NewReplacer(">ENG<", ">MIT<", ">MIT<", ">ENG<").Replace(orig), false},
		{"extra attribute", `<a x="1"/>`, `<a x="1" y="2"/>`, false},
		{"attribute value", `<a x="1"/>`, `<a x="2"/>`, false},
		{"element name", `<a><b/></a>`, `<a><B/></a>`, false},
		{"extra child", `<a><b/></a>`, `<a><b/><b/></a>`, false},
		{"empty element is not an element with an empty child", `<a></a>`, `<a><b/></a>`, false},
		{"stray text between elements", `<a><b/>x<c/></a>`, `<a><b/><c/></a>`, false},
		{"attributes reordered", `<a x="1" y="2" xmlns:p="urn:p" p:z="3"/>`, `<a xmlns:q="urn:p" q:z="3" y="2" x="1"/>`, true},
		{"prefixes and declaration placement",
			`<p:a xmlns:p="urn:a"><p:b/></p:a>`, `<a xmlns="urn:a"><q:b xmlns:q="urn:a"/></a>`, true},
		{"self-closing and empty", `<a><b/></a>`, `<a><b></b></a>`, true},
		{"whitespace between elements", "<a>\r\n\t<b>1</b>\n  <c/>  </a>", `<a><b>1</b><c/></a>`, true},
		{"stray text trimmed", "<a>\n  x <b/></a>", "<a>x<b/>\n</a>", true},
		{"text written with references", `<a>&#65;&amp;B</a>`, `<a><![CDATA[A&B]]></a>`, true},
		{"declaration and DOCTYPE ignored", `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE a><a/>`, `<a/>`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCompare(t, []byte(tt.expected), []byte(tt.actual))
			if r.Equal != tt.equal {
				t.Errorf("Equal = %v, want %v; diff:\n%s", r.Equal, tt.equal, r.Diff)
			}
			if back := mustCompare(t, []byte(tt.actual), []byte(tt.expected)); back.Equal != r.Equal {
				t.Errorf("not symmetric: Equal = %v one way, %v the other", r.Equal, back.Equal)
			}
		})
	}
}

func TestParseErrorNamesSideAndLine(t *testing.T) {
	good := readCheckOutItem(t)
	bad := []byte("<a>\n  <b>\n  </c>\n</a>")
	for _, tt := range []struct {
		side             string
		expected, actual []byte
	}{
		{"expected", bad, good},
		{"actual", good, bad},
	} {
		_, err := Messages(tt.expected, tt.actual, "e.xml", "a.xml")
		if err == nil {
			t.Fatalf("%s: no error for malformed input", tt.side)
		}
		if want := tt.side + ": line 3: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q does not start with %q", err, want)
		}
		var se *ncip.SyntaxError
		if !errors.As(err, &se) || se.Line != 3 {
			t.Errorf("error %v does not wrap a *ncip.SyntaxError at line 3", err)
		}
	}
}

func TestDocumentsNil(t *testing.T) {
	doc, err := ncip.Parse([]byte(`<a/>`), ncip.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := Documents(nil, &ncip.Document{}, "e", "a"); !r.Equal {
		t.Errorf("two empty documents differ: %s", r.Diff)
	}
	if r := Documents(nil, doc, "e", "a"); r.Equal || r.Diff == "" {
		t.Errorf("nil and <a/> compared as %+v", r)
	}
}

func TestDocumentsDoesNotReorderCallerAttrs(t *testing.T) {
	doc, err := ncip.Parse([]byte(`<a z="1" y="2" x="3"/>`), ncip.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	Canonical(doc)
	var names []string
	for _, a := range doc.Root.Attrs {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "z,y,x" {
		t.Errorf("attributes reordered in the caller's document: %s", got)
	}
}

func BenchmarkCompare(b *testing.B) {
	orig := readCheckOutItem(b)
	variant := []byte(checkOutItemDefaultNS)
	changed := []byte(strings.Replace(checkOutItemDefaultNS, "19823098123", "19823098124", 1))
	b.Run("equal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(orig) + len(variant)))
		for b.Loop() {
			if r, err := Messages(orig, variant, "a", "b"); err != nil || !r.Equal {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("barcode-changed", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(orig) + len(changed)))
		for b.Loop() {
			if r, err := Messages(orig, changed, "a", "b"); err != nil || r.Equal {
				b.Fatal(r, err)
			}
		}
	})
}

// conformanceFiles lists the XML files of the conformance corpus, sorted.
func conformanceFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir("../testdata/conformance", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".xml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatal("no conformance files")
	}
	return files
}
