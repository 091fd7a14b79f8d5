package compare

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/annexlab/annex/ncip"
)

const corpusDir = "testdata/fuzz/FuzzCompare"

// TestWriteFuzzCorpus is the helper that writes the committed seed corpus of
// FuzzCompare: each conformance file paired with the next one (so seeds
// cover both equal and different messages), in the `go test fuzz v1` format.
// Run it with ANNEX_WRITE_FUZZ_CORPUS=1 after the conformance files change.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("ANNEX_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set ANNEX_WRITE_FUZZ_CORPUS=1 to rewrite " + corpusDir)
	}
	files := conformanceFiles(t)
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range files {
		next := files[(i+1)%len(files)]
		a, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(next)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel("../testdata/conformance", name)
		if err != nil {
			t.Fatal(err)
		}
		seed := strings.NewReplacer("/", "-", string(filepath.Separator), "-").Replace(strings.TrimSuffix(rel, ".xml"))
		if err := os.WriteFile(filepath.Join(corpusDir, seed), fuzzV1(a, b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fuzzV1 encodes byte-slice arguments the way `go test -fuzz` stores them.
func fuzzV1(args ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(a)))
	}
	return b.Bytes()
}

func FuzzCompare(f *testing.F) {
	// The committed corpus holds the conformance pairs; these add the
	// hand-written variants and the edge cases the canonical form escapes.
	orig := readCheckOutItem(f)
	f.Add(orig, []byte(checkOutItemDefaultNS))
	f.Add(bytes.ReplaceAll(orig, []byte("\n"), []byte("\r\n")), []byte(strings.Replace(checkOutItemDefaultNS, "REQ123", "REQ124", 1)))
	f.Add([]byte("<a x=\"&#10;\">t&#9;<b xmlns=\"urn:{x}\" xmlns:p=\"urn:p\" p:y=\"\" :z=\"1\">\u2028</b>s</a>"), []byte(`<a><b/></a>`))

	f.Fuzz(func(t *testing.T, a, b []byte) {
		docA, errA := ncip.Parse(a, ncip.ParseOptions{})
		docB, errB := ncip.Parse(b, ncip.ParseOptions{})
		ab, err := Messages(a, b, "a", "b")
		switch {
		case errA != nil:
			if err == nil || !strings.HasPrefix(err.Error(), "expected: ") {
				t.Fatalf("unreadable expected side reported as %v", err)
			}
			return
		case errB != nil:
			if err == nil || !strings.HasPrefix(err.Error(), "actual: ") {
				t.Fatalf("unreadable actual side reported as %v", err)
			}
			return
		case err != nil:
			t.Fatalf("readable messages reported as %v", err)
		}
		ba := Documents(docB, docA, "b", "a")
		if ab.Equal != ba.Equal {
			t.Fatalf("not symmetric: a~b %v, b~a %v", ab.Equal, ba.Equal)
		}
		for _, r := range []Result{ab, ba} {
			if r.Equal != (r.Diff == "") {
				t.Fatalf("Equal = %v with Diff %q", r.Equal, r.Diff)
			}
		}
		// b is the a of other inputs, so checking a alone covers both.
		if r, err := Messages(a, a, "a", "a"); err != nil || !r.Equal {
			t.Fatalf("message differs from itself: %v\n%s", err, r.Diff)
		}
		checkLines(t, docA)
		checkReserialized(t, docA)
	})
}

// checkLines verifies that the canonical form has exactly the lines the tree
// calls for, whatever the text holds.
func checkLines(t *testing.T, doc *ncip.Document) {
	t.Helper()
	want := 0
	doc.Root.Walk(func(el *ncip.Element, _ string) {
		switch {
		case len(el.Children) == 0:
			want++
		case strings.Trim(el.Text, " \t\r\n") != "":
			want += 3
		default:
			want += 2
		}
	})
	c := Canonical(doc)
	if got := strings.Count(c, "\n"); got != want || !strings.HasSuffix(c, "\n") {
		t.Fatalf("canonical form has %d lines, want %d:\n%s", got, want, c)
	}
}

// checkReserialized writes the tree back out with other prefixes, other
// declaration placement, reversed attributes and other whitespace, and
// requires that to compare equal to the original.
func checkReserialized(t *testing.T, doc *ncip.Document) {
	t.Helper()
	var w reserializer
	if !w.element(doc.Root, "") {
		return
	}
	again, err := ncip.Parse(w.buf.Bytes(), ncip.ParseOptions{MaxSize: -1})
	if err != nil {
		t.Fatalf("re-serialised message does not parse: %v\n%s", err, w.buf.Bytes())
	}
	if r := Documents(doc, again, "original", "re-serialised"); !r.Equal {
		t.Fatalf("re-serialised message differs:\n%s\n%s", r.Diff, w.buf.Bytes())
	}
}

// reserializer writes an element tree as XML the way a different peer might:
// alternately a default namespace and a fresh prefix per element, each
// attribute namespace bound on the element that uses it, attributes in
// reverse order, CRLF and tabs between elements.
type reserializer struct {
	buf bytes.Buffer
	n   int
}

// element reports false for trees it cannot write faithfully: local names
// that are only well-formed behind a prefix (x:0), or not with one (:x).
func (w *reserializer) element(el *ncip.Element, defaultNS string) bool {
	if !writableName(el.Name) {
		return false
	}
	w.n++
	name := el.Name
	w.buf.WriteString("<")
	var decls strings.Builder
	switch {
	case el.Space != "" && w.n%2 == 0:
		p := "e" + strconv.Itoa(w.n)
		name = p + ":" + el.Name
		fmt.Fprintf(&decls, ` xmlns:%s="%s"`, p, escapeXML(el.Space))
	case el.Space != defaultNS:
		fmt.Fprintf(&decls, ` xmlns="%s"`, escapeXML(el.Space))
		defaultNS = el.Space
	}
	w.buf.WriteString(name)
	for i := len(el.Attrs) - 1; i >= 0; i-- {
		a := el.Attrs[i]
		if a.IsNamespaceDecl() {
			continue
		}
		if !writableName(a.Name) {
			return false
		}
		an := a.Name
		if a.Space != "" {
			p := "a" + strconv.Itoa(i)
			an = p + ":" + a.Name
			fmt.Fprintf(&w.buf, ` xmlns:%s="%s"`, p, escapeXML(a.Space))
		}
		fmt.Fprintf(&w.buf, ` %s="%s"`, an, escapeXML(a.Value))
	}
	w.buf.WriteString(decls.String())
	w.buf.WriteString(">")
	if len(el.Children) == 0 {
		w.buf.WriteString(escapeXML(el.Text))
	} else {
		w.buf.WriteString("\r\n\t" + escapeXML(strings.Trim(el.Text, " \t\r\n")) + " ")
		for _, c := range el.Children {
			if !w.element(c, defaultNS) {
				return false
			}
			w.buf.WriteString("\r\n ")
		}
	}
	w.buf.WriteString("</" + name + ">")
	return true
}

func writableName(local string) bool {
	r, _ := utf8.DecodeRuneInString(local)
	return (r == '_' || unicode.IsLetter(r)) && !strings.Contains(local, ":")
}

func escapeXML(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err) // a strings.Builder does not fail
	}
	return b.String()
}

// TestConformanceReserialized holds every conformance message equal to
// itself written the way another peer might write it.
func TestConformanceReserialized(t *testing.T) {
	for _, name := range conformanceFiles(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ncip.Parse(data, ncip.ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var w reserializer
		if !w.element(doc.Root, "") {
			t.Errorf("%s: cannot be re-serialised", name)
			continue
		}
		r, err := Messages(data, w.buf.Bytes(), name, "re-serialised")
		if err != nil || !r.Equal {
			t.Errorf("%s: %v\n%s", name, err, r.Diff)
		}
		checkLines(t, doc)
	}
}
