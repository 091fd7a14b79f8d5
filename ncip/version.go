package ncip

import (
	"fmt"
	"strings"
)

// Version is the NCIP protocol version of a message.
type Version int

// The two NCIP versions annex speaks.
const (
	V2 Version = 2 // NCIP 2.0x, XML Schema, namespace http://www.niso.org/2008/ncip (ALMA)
	V1 Version = 1 // NCIP 1.0x, DTD, no namespace, Unique* elements (ALEPH)
)

func (v Version) String() string {
	switch v {
	case V1:
		return "NCIP 1"
	case V2:
		return "NCIP 2"
	}
	return fmt.Sprintf("NCIP version %d", int(v))
}

// Version strings seen in the wild (docs/libraries.md).
const (
	VersionV2_0Imp1  = "http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd"
	VersionV2_0      = "http://www.niso.org/schemas/ncip/v2_0/ncip_v2_0.xsd"
	VersionV2_02     = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
	VersionV2_02Imp1 = "http://www.niso.org/schemas/ncip/v2_02/imp1/xsd/ncip_v2_02.xsd"
	VersionV1_0      = "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"
	VersionV1_01     = "http://www.niso.org/ncip/v1_01/imp1/dtd/ncip_v1_01.dtd"
)

// KnownVersionStrings returns the version attribute values real peers send for v.
func KnownVersionStrings(v Version) []string {
	if v == V1 {
		return []string{VersionV1_0, VersionV1_01}
	}
	return []string{VersionV2_0Imp1, VersionV2_0, VersionV2_02, VersionV2_02Imp1}
}

// VersionAttr returns the NCIPMessage version attribute, qualified or not, and whether it was qualified.
func VersionAttr(root *Element) (value string, qualified, ok bool) {
	for _, a := range root.Attrs {
		if a.Name == "version" && !a.IsNamespaceDecl() {
			return a.Value, a.Space != "", true
		}
	}
	return "", false, false
}

// DetectVersion decides whether a parsed message is NCIP 1 or NCIP 2, the way
// tolerant peers do: the NCIP 2 namespace means v2; else an NCIP DOCTYPE means
// v1; else the version string decides; failing all, Unique* elements
// mean v1. The finding says how it decided when the message did not say so plainly.
func DetectVersion(doc *Document) (Version, []Finding) {
	root := doc.Root
	ver, _, _ := VersionAttr(root)
	switch {
	case root.Space == Namespace:
		return V2, nil
	case strings.Contains(doc.DocType, "NCIP"):
		return V1, nil
	case strings.Contains(ver, "/ncip/v1"):
		return V1, nil
	case strings.Contains(ver, "/ncip/v2"):
		return V2, nil
	}
	v := V2
	root.Walk(func(el *Element, _ string) {
		if strings.HasPrefix(el.Name, "Unique") && strings.HasSuffix(el.Name, "Id") {
			v = V1
		}
	})
	return v, []Finding{{Rule: "version.guessed", Severity: Warning, Line: root.Line, Path: "/" + root.Name,
		Message: fmt.Sprintf("the message declares neither a namespace, a DOCTYPE nor a known version string; read as %s", v)}}
}

// ServiceElement returns the service (or response) element of an NCIPMessage:
// its first child that is not a bare Problem or Ext, or nil.
func ServiceElement(root *Element) *Element {
	for _, c := range root.Children {
		if c.Name != "Problem" && c.Name != "Ext" {
			return c
		}
	}
	return nil
}
