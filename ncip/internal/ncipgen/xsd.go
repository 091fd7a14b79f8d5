package main

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
)

// The XSD is read with encoding/xml into a generic tree, then each global
// element declaration into a content model (for element content) or a leaf
// kind. Only the constructs the NCIP 2.02 schema uses are supported; anything
// else fails generation, so a new schema cannot be half-understood.

const xsNamespace = "http://www.w3.org/2001/XMLSchema"

// node is any element of the XSD.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// unbounded is maxOccurs="unbounded".
const unbounded = -1

type particleKind uint8

const (
	pElement particleKind = iota
	pSequence
	pChoice
	pWildcard
)

// particle is one node of a content model.
type particle struct {
	kind     particleKind
	name     string
	min, max int
	items    []particle
}

// leafKind is the content of an element without element content.
type leafKind uint8

const (
	complexContent leafKind = iota
	schemeValue
	stringValue
	dateTime
	integer
	nonNegativeInteger
	positiveInteger
	empty
)

// decl is one global element declaration.
type decl struct {
	name  string
	kind  leafKind
	model particle // for complexContent
	// err says why the declaration cannot be used; it is only an error
	// when the declaration is in the closure of the modelled services.
	err error
}

// schema is the part of the XSD the generator uses.
type schema struct {
	decls map[string]decl
	names []string // every global element, sorted
}

func readSchema(data []byte) (*schema, error) {
	var root node
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("read xsd: %w", err)
	}
	if root.attr("elementFormDefault") != "qualified" || root.attr("attributeFormDefault") != "qualified" {
		return nil, fmt.Errorf("read xsd: element and attribute forms must be qualified")
	}
	if err := checkAttributes(root); err != nil {
		return nil, err
	}
	s := &schema{decls: map[string]decl{}}
	for _, c := range root.Children {
		if c.XMLName.Space != xsNamespace || c.XMLName.Local != "element" {
			continue
		}
		d, err := readDecl(c)
		if err != nil {
			d.err = fmt.Errorf("read xsd: element %s: %w", c.attr("name"), err)
		}
		s.decls[d.name] = d
		s.names = append(s.names, d.name)
	}
	sort.Strings(s.names)
	return s, nil
}

// checkAttributes holds the checker's assumption that the only attributes
// are NCIPMessage's required version and SchemeValuePair's optional Scheme.
func checkAttributes(root node) error {
	var attrs []string
	var walk func(owner string, n node)
	walk = func(owner string, n node) {
		if n.XMLName.Local == "attribute" {
			attrs = append(attrs, owner+"@"+n.attr("name")+":"+n.attr("use")+":"+n.attr("type"))
		}
		for _, c := range n.Children {
			walk(owner, c)
		}
	}
	for _, c := range root.Children {
		walk(c.attr("name"), c)
	}
	sort.Strings(attrs)
	want := []string{"NCIPMessage@version:required:xs:string", "SchemeValuePair@Scheme::xs:anyURI"}
	if fmt.Sprint(attrs) != fmt.Sprint(want) {
		return fmt.Errorf("read xsd: attributes %v, the checker knows only %v", attrs, want)
	}
	return nil
}

func readDecl(e node) (decl, error) {
	d := decl{name: e.attr("name")}
	switch e.attr("type") {
	case "SchemeValuePair":
		d.kind = schemeValue
	case "xs:string":
		d.kind = stringValue
	case "xs:dateTime":
		d.kind = dateTime
	case "xs:integer":
		d.kind = integer
	case "xs:nonNegativeInteger":
		d.kind = nonNegativeInteger
	case "xs:positiveInteger":
		d.kind = positiveInteger
	case "":
		return readComplex(d, e)
	default:
		return d, fmt.Errorf("type %q is not supported", e.attr("type"))
	}
	return d, nil
}

func readComplex(d decl, e node) (decl, error) {
	if len(e.Children) != 1 || e.Children[0].XMLName.Local != "complexType" {
		return d, fmt.Errorf("no complexType")
	}
	var groups []node
	for _, c := range e.Children[0].Children {
		if c.XMLName.Local != "attribute" {
			groups = append(groups, c)
		}
	}
	switch len(groups) {
	case 0:
		d.kind = empty
		return d, nil
	case 1:
		p, err := readParticle(groups[0])
		d.kind, d.model = complexContent, p
		return d, err
	}
	return d, fmt.Errorf("%d content groups", len(groups))
}

func readOccurs(n node) (lo, hi int, err error) {
	lo, hi = 1, 1
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

// readParticle converts xs:sequence, xs:choice, xs:element ref and xs:any.
func readParticle(n node) (particle, error) {
	if n.XMLName.Space != xsNamespace {
		return particle{}, fmt.Errorf("unexpected %s", n.XMLName.Local)
	}
	lo, hi, err := readOccurs(n)
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
			q, err := readParticle(c)
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

// closure lists the declarations reachable from NCIPMessage through the
// modelled services (and message-level Problem and Ext), sorted.
func (s *schema) closure(modelled map[string]bool) ([]string, error) {
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if seen[name] {
			return nil
		}
		d, ok := s.decls[name]
		if !ok {
			return fmt.Errorf("closure: %s is not declared", name)
		}
		if d.err != nil {
			return d.err
		}
		seen[name] = true
		if d.kind != complexContent {
			return nil
		}
		var err error
		walk(d.model, func(p particle) {
			if err == nil && p.kind == pElement &&
				(name != "NCIPMessage" || modelled[p.name] || p.name == "Problem" || p.name == "Ext") {
				err = visit(p.name)
			}
		})
		return err
	}
	if err := visit("NCIPMessage"); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// walk calls fn for p and every particle inside it, in document order.
func walk(p particle, fn func(particle)) {
	fn(p)
	for _, it := range p.items {
		walk(it, fn)
	}
}
