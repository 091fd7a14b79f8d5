package conform

import (
	"encoding/xml"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// This test proves the tables ncipgen generated into v2schema_gen.go with a
// reader of its own: it reads the official XSD with encoding/xml and checks
// that every content model and leaf type equals the schema's, and that the
// tables cover exactly the closure of the modelled services.

// xsdNode is any element of the XSD, kept generically.
type xsdNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xsdNode  `xml:",any"`
}

func (n xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n xsdNode) elements(local string) []xsdNode {
	var out []xsdNode
	for _, c := range n.Children {
		if c.XMLName.Local == local {
			out = append(out, c)
		}
	}
	return out
}

const xsNamespace = "http://www.w3.org/2001/XMLSchema"

func readXSD(t *testing.T) (xsdNode, map[string]xsdNode) {
	t.Helper()
	data, err := os.ReadFile(xsdPath)
	if err != nil {
		t.Fatal(err)
	}
	var root xsdNode
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	decls := map[string]xsdNode{}
	for _, e := range root.elements("element") {
		decls[e.attr("name")] = e
	}
	return root, decls
}

func occurs(n xsdNode) (int, int, error) {
	lo, hi := 1, 1
	var err error
	if v := n.attr("minOccurs"); v != "" {
		if lo, err = strconv.Atoi(v); err != nil {
			return 0, 0, err
		}
	}
	switch v := n.attr("maxOccurs"); v {
	case "":
	case "unbounded":
		hi = unbounded
	default:
		if hi, err = strconv.Atoi(v); err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

// xsdParticle converts an xs:sequence, xs:choice, xs:element ref or xs:any to a particle.
func xsdParticle(n xsdNode) (particle, error) {
	if n.XMLName.Space != xsNamespace {
		return particle{}, fmt.Errorf("unexpected %s", n.XMLName.Local)
	}
	lo, hi, err := occurs(n)
	if err != nil {
		return particle{}, err
	}
	p := particle{min: lo, max: hi}
	switch n.XMLName.Local {
	case "element":
		p.kind, p.name = pElement, n.attr("ref")
		if p.name == "" {
			return p, fmt.Errorf("local element declaration %q", n.attr("name"))
		}
	case "any":
		p.kind = pWildcard
		if pc := n.attr("processContents"); pc != "" && pc != "strict" {
			return p, fmt.Errorf("xs:any processContents=%q; the checker assumes strict", pc)
		}
		if ns := n.attr("namespace"); ns != "" && ns != "##any" {
			return p, fmt.Errorf("xs:any namespace=%q; the checker assumes ##any", ns)
		}
	case "sequence", "choice":
		p.kind = pSequence
		if n.XMLName.Local == "choice" {
			p.kind = pChoice
		}
		for _, c := range n.Children {
			q, err := xsdParticle(c)
			if err != nil {
				return p, err
			}
			p.items = append(p.items, q)
		}
	default:
		return p, fmt.Errorf("unsupported %s", n.XMLName.Local)
	}
	return p, nil
}

// render writes a particle in one canonical form, for comparison and for
// readable failures.
func render(p particle) string {
	var s string
	switch p.kind {
	case pElement:
		s = p.name
	case pWildcard:
		s = "any"
	default:
		sep := ", "
		if p.kind == pChoice {
			sep = " | "
		}
		parts := make([]string, len(p.items))
		for i, it := range p.items {
			parts[i] = render(it)
		}
		s = "(" + strings.Join(parts, sep) + ")"
	}
	if p.min != 1 || p.max != 1 {
		s += fmt.Sprintf("{%d,%d}", p.min, p.max)
	}
	return s
}

// xsdContent classifies a global element declaration: its content model
// (for element content) or the kind of its leaf content.
func xsdContent(e xsdNode) (particle, kind, error) {
	switch e.attr("type") {
	case "SchemeValuePair":
		return particle{}, kSchemeValue, nil
	case "xs:string":
		return particle{}, kString, nil
	case "xs:dateTime":
		return particle{}, kDateTime, nil
	case "xs:integer":
		return particle{}, kInteger, nil
	case "xs:nonNegativeInteger":
		return particle{}, kNonNegativeInteger, nil
	case "xs:positiveInteger":
		return particle{}, kPositiveInteger, nil
	case "":
	default:
		return particle{}, 0, fmt.Errorf("type %q is not supported", e.attr("type"))
	}
	cts := e.elements("complexType")
	if len(cts) != 1 {
		return particle{}, 0, fmt.Errorf("no complexType (inline simple type?)")
	}
	var groups []xsdNode
	for _, c := range cts[0].Children {
		if c.XMLName.Local != "attribute" {
			groups = append(groups, c)
		}
	}
	switch len(groups) {
	case 0:
		return particle{}, kEmpty, nil
	case 1:
		p, err := xsdParticle(groups[0])
		return p, kComplex, err
	}
	return particle{}, 0, fmt.Errorf("%d content groups", len(groups))
}

func TestTranscriptionMatchesXSD(t *testing.T) {
	root, decls := readXSD(t)
	if root.attr("targetNamespace") != v2Schema.ns || root.attr("elementFormDefault") != "qualified" ||
		root.attr("attributeFormDefault") != "qualified" {
		t.Fatalf("schema header changed: %v", root.Attrs)
	}

	// Every generated content model equals the XSD's.
	models := v2Models()
	for name, mine := range models {
		e, ok := decls[name]
		if !ok {
			t.Errorf("%s: not declared in the XSD", name)
			continue
		}
		theirs, k, err := xsdContent(e)
		if err != nil || k != kComplex {
			t.Errorf("%s: XSD content is not element content (kind %d, %v)", name, k, err)
			continue
		}
		if render(mine) != render(theirs) {
			t.Errorf("%s:\n mine: %s\n  xsd: %s", name, render(mine), render(theirs))
		}
	}

	// Every leaf has the XSD's type.
	for k, names := range v2Leaves() {
		for _, name := range names {
			e, ok := decls[name]
			if !ok {
				t.Errorf("%s: not declared in the XSD", name)
				continue
			}
			if _, theirs, err := xsdContent(e); err != nil || theirs != k {
				t.Errorf("%s: kind %d here, %d in the XSD (%v)", name, k, theirs, err)
			}
		}
	}

	covered := checkClosure(t, decls, models)

	// The strict wildcard's list is the XSD's global elements.
	var global []string
	for name := range decls {
		global = append(global, name)
	}
	sort.Strings(global)
	if strings.Join(global, " ") != strings.Join(v2GlobalElements(), " ") {
		t.Errorf("v2GlobalElements differs from the XSD's %d global elements", len(global))
	}

	// The only attributes are NCIPMessage's required version and SchemeValuePair's optional Scheme.
	var attrs []string
	var walk func(owner string, n xsdNode)
	walk = func(owner string, n xsdNode) {
		if n.XMLName.Local == "attribute" {
			attrs = append(attrs, fmt.Sprintf("%s@%s:%s:%s", owner, n.attr("name"), n.attr("use"), n.attr("type")))
		}
		for _, c := range n.Children {
			walk(owner, c)
		}
	}
	for _, c := range root.Children {
		walk(c.attr("name"), c)
	}
	sort.Strings(attrs)
	want := "NCIPMessage@version:required:xs:string SchemeValuePair@Scheme::xs:anyURI"
	if got := strings.Join(attrs, " "); got != want {
		t.Errorf("XSD attributes: %s\nwant %s", got, want)
	}
	t.Logf("%d content models and %d leaf elements match the XSD; %d global elements", len(models),
		len(covered)-len(models), len(global))
}

// checkClosure checks that the tables cover exactly the closure of
// NCIPMessage's modelled services, and returns the names they cover.
func checkClosure(t *testing.T, decls map[string]xsdNode, models map[string]particle) map[string]bool {
	t.Helper()
	closure := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if closure[name] {
			return
		}
		closure[name] = true
		p, k, err := xsdContent(decls[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if k != kComplex {
			return
		}
		var refs func(particle)
		refs = func(p particle) {
			if p.kind == pElement && (name != "NCIPMessage" || v2Modelled(p.name) || p.name == "Problem" || p.name == "Ext") {
				visit(p.name)
			}
			for _, it := range p.items {
				refs(it)
			}
		}
		refs(p)
	}
	visit("NCIPMessage")
	covered := map[string]bool{}
	for name := range models {
		covered[name] = true
	}
	for _, names := range v2Leaves() {
		for _, name := range names {
			if covered[name] {
				t.Errorf("%s: declared twice", name)
			}
			covered[name] = true
		}
	}
	for name := range closure {
		if !covered[name] {
			t.Errorf("%s: in the closure of the modelled services but not generated", name)
		}
	}
	for name := range covered {
		if !closure[name] {
			t.Errorf("%s: generated but outside the closure", name)
		}
	}

	return covered
}
