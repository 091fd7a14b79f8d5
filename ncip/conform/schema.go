package conform

import "github.com/annexlab/annex/ncip"

// kind is what an element may contain.
type kind uint8

const (
	kComplex            kind = iota // element content, per a content model
	kSchemeValue                    // NCIP 2 SchemeValuePair: a string with an optional Scheme attribute
	kString                         // xs:string (NCIP 1: #PCDATA)
	kDateTime                       // xs:dateTime
	kInteger                        // xs:integer
	kNonNegativeInteger             // xs:nonNegativeInteger
	kPositiveInteger                // xs:positiveInteger
	kEmpty                          // an empty complex type: a flag, no content at all
	kOpaque                         // NCIP 1 only: content not modelled, not checked
)

// typeName is the XSD type name of a kind, "" for anonymous types.
func (k kind) typeName() string {
	switch k {
	case kSchemeValue:
		return "SchemeValuePair"
	case kString:
		return "string"
	case kDateTime:
		return "dateTime"
	case kInteger:
		return "integer"
	case kNonNegativeInteger:
		return "nonNegativeInteger"
	case kPositiveInteger:
		return "positiveInteger"
	}
	return ""
}

// elemDecl is what the checker knows of an element.
type elemDecl struct {
	kind  kind
	model *automaton // for kComplex
}

// schema is a compiled set of element declarations for one NCIP version.
// It is built once and only read afterwards.
type schema struct {
	version ncip.Version
	rule    string // rule id prefix: "v2" or "v1"
	ns      string // the namespace every element must be in
	decls   map[string]elemDecl
	// global lists the names a strict wildcard accepts (NCIP 2's Ext).
	global map[string]bool
	// services lists the names that may be a message body, modelled or not.
	services map[string]bool
	modelled func(service string) bool
}

var (
	v2Schema = buildSchema(ncip.V2, "v2", ncip.Namespace, v2Models(), v2Leaves(), v2GlobalElements(), v2Modelled)
	v1Schema = buildSchema(ncip.V1, "v1", "", v1Models(), v1Leaves(), nil, v1Modelled)
)

func buildSchema(v ncip.Version, rule, ns string, models map[string]particle, leaves map[kind][]string,
	global []string, modelled func(string) bool) *schema {
	s := &schema{version: v, rule: rule, ns: ns, decls: map[string]elemDecl{}, global: map[string]bool{},
		services: map[string]bool{}, modelled: modelled}
	for name, p := range models {
		s.decls[name] = elemDecl{kind: kComplex, model: compile(p)}
	}
	for k, names := range leaves {
		for _, name := range names {
			s.decls[name] = elemDecl{kind: k}
		}
	}
	for _, name := range global {
		s.global[name] = true
	}
	for name := range s.decls["NCIPMessage"].model.names {
		if name != "Problem" && name != "Ext" {
			s.services[name] = true
		}
	}
	return s
}
