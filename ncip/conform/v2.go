package conform

import (
	"slices"
	"strings"

	"github.com/annexlab/annex/ncip"
)

// xsiNamespace is the XML Schema instance namespace (xsi:schemaLocation …).
const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// checkV2 checks an NCIP 2 message.
func (c *checker) checkV2(doc *ncip.Document) {
	root := doc.Root
	c.root = root
	path := "/" + root.Name
	if !c.rootIsMessage(root, path, 2) {
		return
	}
	c.namespace(root, nil, path)
	c.version(root, path)
	c.attributes(root, kComplex, path)
	c.complex(root, c.s.decls["NCIPMessage"].model, path)
}

// version checks the NCIPMessage version attribute, which the schema
// requires and qualifies (attributeFormDefault="qualified").
func (c *checker) version(root *ncip.Element, path string) {
	prefix, declared := ncipPrefix(root)
	found := false
	for _, a := range root.Attrs {
		if a.IsNamespaceDecl() || a.Name != "version" {
			continue
		}
		switch a.Space {
		case ncip.Namespace:
			found = true
		case "":
			found = true
			c.add("version", ncip.Error, root.Line, path,
				"NCIPMessage: the version attribute must be namespace-qualified: write %s:version=%q%s",
				prefix, a.Value, declareHint(prefix, declared))
		default:
			// Reported as a stray attribute by attributes; the NCIP one is still missing.
			continue
		}
		if !slices.Contains(ncip.KnownVersionStrings(ncip.V2), a.Value) {
			c.add("version-value", ncip.Warning, root.Line, path,
				"NCIPMessage: version %q is not a known NCIP 2 version string, such as %q", a.Value, ncip.VersionV2_02)
		}
	}
	if !found {
		c.add("version", ncip.Error, root.Line, path,
			"NCIPMessage: the version attribute is required: add %s:version=%q%s",
			prefix, ncip.VersionV2_02, declareHint(prefix, declared))
	}
}

// ncipPrefix finds a prefix bound to the NCIP namespace on the root, to
// write advice in the message's own terms; "ns1" (undeclared) otherwise.
func ncipPrefix(root *ncip.Element) (prefix string, declared bool) {
	if root.Prefix != "" && root.Space == ncip.Namespace {
		return root.Prefix, true
	}
	for _, a := range root.Attrs {
		if a.Prefix == "xmlns" && a.Value == ncip.Namespace {
			return a.Name, true
		}
	}
	return "ns1", false
}

func declareHint(prefix string, declared bool) string {
	if declared {
		return ""
	}
	return " and declare xmlns:" + prefix + "=\"" + ncip.Namespace + "\""
}

// v2Attributes checks an element's attributes against its declaration: NCIP 2
// declares only NCIPMessage's version and SchemeValuePair's Scheme, both
// qualified; xsi:schemaLocation and xsi:noNamespaceSchemaLocation are allowed
// anywhere, as a schema validator allows them.
func (c *checker) v2Attributes(el *ncip.Element, k kind, path string) {
	for _, a := range el.Attrs {
		if a.IsNamespaceDecl() {
			continue
		}
		switch {
		case a.Space == xsiNamespace:
			c.xsi(el, a, k, path)
		case el == c.root && a.Name == "version" && (a.Space == ncip.Namespace || a.Space == ""):
			// Checked by version.
		case k == kSchemeValue && a.Name == "Scheme" && a.Space == ncip.Namespace:
			if checkAnyURI(a.Value) == valueInvalid {
				c.add("value", ncip.Error, el.Line, path, "%s: Scheme %q is not a valid URI (xs:anyURI)", el.Name, a.Value)
			}
		case k == kSchemeValue && a.Name == "Scheme" && a.Space == "":
			prefix, declared := ncipPrefix(c.root)
			if el.Prefix != "" && el.Space == ncip.Namespace {
				prefix, declared = el.Prefix, true
			}
			c.add("attribute", ncip.Error, el.Line, path,
				"%s: the Scheme attribute must be namespace-qualified (the schema's attributeFormDefault is qualified): write %s:Scheme=%q%s",
				el.Name, prefix, a.Value, declareHint(prefix, declared))
		case c.over(ncip.Error, el.Line):
			// The report is full; only counted.
		default:
			allowed := "no attributes"
			switch {
			case k == kSchemeValue:
				allowed = "only a qualified Scheme attribute"
			case el == c.root:
				allowed = "only a qualified version attribute"
			}
			c.add("attribute", ncip.Error, el.Line, path, "%s: attribute %s is not allowed; %s takes %s",
				el.Name, qname(a.Prefix, a.Name), el.Name, allowed)
		}
	}
}

// xsi checks an xsi: attribute the way a schema validator treats it.
func (c *checker) xsi(el *ncip.Element, a ncip.Attr, k kind, path string) {
	switch a.Name {
	case "schemaLocation", "noNamespaceSchemaLocation":
	case "nil":
		c.add("attribute", ncip.Error, el.Line, path, "%s: xsi:nil is not allowed; no NCIP element is nillable", el.Name)
	case "type":
		local := a.Value[strings.LastIndexByte(a.Value, ':')+1:]
		if local != k.typeName() || local == "" {
			c.add("attribute", ncip.Error, el.Line, path, "%s: xsi:type=%q does not name the type of %s; remove it",
				el.Name, a.Value, el.Name)
		}
	default:
		c.add("attribute", ncip.Error, el.Line, path, "%s: attribute %s is not allowed", el.Name, qname(a.Prefix, a.Name))
	}
}
