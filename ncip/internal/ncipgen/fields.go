package main

import (
	"fmt"
	"strings"
)

// fieldKind is how a Go field holds an element.
type fieldKind uint8

const (
	fComponent fieldKind = iota // a hand-written type (components)
	fSchemeValue
	fText // xs:string, xs:dateTime and the integer types, as written
	fFlag // an empty element: present or absent
	fRaw  // a subtree annex does not act on, kept as *Element
)

// cardinality is how many times a field's element may occur in a service.
type cardinality uint8

const (
	optional cardinality = iota
	required
	list
)

// field is one Go field of a service type: one element name of its content model.
type field struct {
	elem  string // the XSD element name
	name  string // the Go field name
	kind  fieldKind
	card  cardinality
	comp  component
	leaf  leafKind
	doc   string
	goTyp string
}

// fields derives a service's Go fields from its content model: one per
// element name, in the order of first appearance. An element is required
// when it is a required item of the top-level sequence, a list when it or a
// group around it may repeat, optional otherwise.
func fields(s *schema, svc string) ([]field, error) {
	d := s.decls[svc]
	if d.kind != complexContent || d.model.kind != pSequence || d.model.min != 1 || d.model.max != 1 {
		return nil, fmt.Errorf("%s: content is not a sequence", svc)
	}
	var out []field
	index := map[string]int{}
	var visit func(p particle, top, many bool) error
	visit = func(p particle, top, many bool) error {
		many = many || p.max != 1
		switch p.kind {
		case pWildcard:
			return fmt.Errorf("%s: a wildcard in service content is not supported", svc)
		case pSequence, pChoice:
			for _, it := range p.items {
				if err := visit(it, false, many); err != nil {
					return err
				}
			}
			return nil
		}
		card := optional
		switch {
		case many:
			card = list
		case top && p.min >= 1:
			card = required
		}
		if i, ok := index[p.name]; ok {
			if out[i].card == list || card == list {
				out[i].card = list
			} else {
				out[i].card = optional
			}
			return nil
		}
		index[p.name] = len(out)
		out = append(out, field{elem: p.name, card: card})
		return nil
	}
	for _, it := range d.model.items {
		if err := visit(it, true, false); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if err := s.typeField(svc, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// typeField chooses a field's Go name, kind and type.
func (s *schema) typeField(svc string, f *field) error {
	f.name = f.elem
	if n, ok := fieldName[f.elem]; ok {
		f.name = n
	}
	d, ok := s.decls[f.elem]
	if !ok {
		return fmt.Errorf("%s: %s is not declared", svc, f.elem)
	}
	if d.err != nil {
		return d.err
	}
	f.leaf = d.kind
	base := ""
	switch comp, isComp := components[f.elem]; {
	case isComp:
		f.kind, f.comp, base = fComponent, comp, comp.goType
		if (f.card == list) != comp.list || (f.card == required && comp.pointer) {
			return fmt.Errorf("%s: %s occurs in a way its hand-written codec does not support", svc, f.elem)
		}
	case d.kind == schemeValue:
		f.kind, base = fSchemeValue, "SchemeValue"
	case d.kind == empty:
		f.kind, base = fFlag, "bool"
	case d.kind == complexContent:
		f.kind, base = fRaw, "*Element"
	default:
		f.kind, base = fText, "string"
		if d.kind != stringValue {
			f.doc = textDoc(f.name, d.kind)
		}
	}
	switch {
	case f.card == list && (f.kind == fText || f.kind == fFlag || f.kind == fRaw):
		return fmt.Errorf("%s: %s repeats; only coded values and components may", svc, f.elem)
	case f.card == list:
		f.goTyp = "[]" + base
	case f.kind == fComponent && (f.card == optional || f.comp.pointer), f.card == optional && f.kind == fSchemeValue:
		f.goTyp = "*" + base
	default:
		f.goTyp = base
	}
	return nil
}

func textDoc(name string, k leafKind) string {
	switch k {
	case dateTime:
		return name + " is an xs:dateTime; see FormatDateTime and ParseDateTime."
	case integer:
		return name + " is an xs:integer, kept as written."
	case nonNegativeInteger:
		return name + " is an xs:nonNegativeInteger, kept as written."
	}
	return name + " is an xs:positiveInteger, kept as written."
}

// spellings is the case label of an element: its NCIP 2 name and, where
// NCIP 1 differs, its NCIP 1 name; decoding accepts either in either version,
// since peers mix them.
func spellings(elem string) string {
	if v1, ok := v1Spelling[elem]; ok {
		return fmt.Sprintf("%q, %q", elem, v1)
	}
	return fmt.Sprintf("%q", elem)
}

// decodeStmt assigns a child element c to the field of m.
func (f field) decodeStmt() string {
	m := "m." + f.name
	switch f.kind {
	case fComponent:
		path := `path+"/"+c.Name`
		if f.comp.parentPath {
			path = "path"
		}
		call := fmt.Sprintf("d.%s(c, %s)", f.comp.decode, path)
		switch {
		case f.card == list:
			return fmt.Sprintf("%s = append(%s, %s)", m, m, call)
		case f.card == optional && !f.comp.pointer:
			return fmt.Sprintf("%s = ptr(%s)", m, call)
		}
		return m + " = " + call
	case fSchemeValue:
		switch f.card {
		case list:
			return fmt.Sprintf("%s = append(%s, d.sv(c))", m, m)
		case optional:
			return m + " = ptr(d.sv(c))"
		}
		return m + " = d.sv(c)"
	case fText:
		return m + " = text(c)"
	case fFlag:
		return m + " = true"
	}
	return m + " = plain(c)"
}

// encodeStmt writes the field of m.
func (f field) encodeStmt() string {
	m := "m." + f.name
	switch f.kind {
	case fComponent:
		if f.card == required {
			m = "&" + m
		}
		if f.comp.named {
			return fmt.Sprintf("w.%s(%q, %s)", f.comp.encode, f.elem, m)
		}
		return fmt.Sprintf("w.%s(%s)", f.comp.encode, m)
	case fSchemeValue:
		fn := map[cardinality]string{list: "svList", optional: "optSV", required: "sv"}[f.card]
		return fmt.Sprintf("w.%s(%q, %s)", fn, f.elem, m)
	case fText:
		if f.card == required {
			return fmt.Sprintf("w.leaf(%q, %s)", f.elem, m)
		}
		return fmt.Sprintf("w.optLeaf(%q, %s)", f.elem, m)
	case fFlag:
		return fmt.Sprintf("w.flag(%q, %s)", f.elem, m)
	}
	return "w.raw(" + m + ")"
}

// presence is the Go test that the field holds a value (for choosing a
// branch of a choice) and its negation, the field's kind decided once.
func (f field) presence() (set, unset string) {
	m := "m." + f.name
	switch {
	case f.card == list:
		return "len(" + m + ") > 0", "len(" + m + ") == 0"
	case f.kind == fFlag:
		return m, "!" + m
	case f.kind == fText:
		return m + ` != ""`, m + ` == ""`
	case strings.HasPrefix(f.goTyp, "*"):
		return m + " != nil", m + " == nil"
	}
	return "true", "false"
}

// setExpr reports whether the field holds a value.
func (f field) setExpr() string {
	set, _ := f.presence()
	return set
}

// unsetExpr is the negation of setExpr.
func (f field) unsetExpr() string {
	_, unset := f.presence()
	return unset
}
