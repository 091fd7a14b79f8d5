package conform

import (
	"slices"
	"strings"

	"github.com/annexlab/annex/ncip"
)

// NCIP 1 has no public DTD to transcribe. These models are the structure
// docs/libraries.md (ALEPH) describes and ALEPH and its peers' messages follow: no
// namespace, Unique* identifiers built of Scheme/Value pairs, and
// Problem/ProcessingError|MessagingError. Elements deeper than annex needs
// (RoutingInformation, the optional-field wrappers, fee amounts …) are opaque.

// v1Modelled reports whether annex models an NCIP 1 service.
func v1Modelled(service string) bool {
	switch service {
	case "CheckInItem", "CheckInItemResponse", "CheckOutItem", "CheckOutItemResponse":
		return true
	}
	return false
}

// v1Services lists the NCIP 1 message bodies: the NCIP 2 services less those
// NCIP 2 added (DeleteItem, DeleteUser in 2.0; LookupItemSet in 2.02).
func v1Services() []any {
	var out []any
	for _, p := range v2Models()["NCIPMessage"].items[0].items {
		switch strings.TrimSuffix(p.name, "Response") {
		case "DeleteItem", "DeleteUser", "LookupItemSet", "Problem", "Ext":
			continue
		}
		out = append(out, p.name)
	}
	return append(out, "Problem+")
}

// v1Models returns the NCIP 1 content models.
func v1Models() map[string]particle {
	schemeValue := seq("Scheme", "Value")
	return map[string]particle{
		"NCIPMessage": seq(choice(v1Services()...)),
		"InitiationHeader": seq("FromSystemId?", "FromSystemAuthentication?", "FromAgencyId", "FromAgencyAuthentication?",
			"OnBehalfOfAgency?", "ToSystemId?", "ToAgencyId", "ApplicationProfileType?"),
		"ResponseHeader": seq("FromSystemId?", "FromSystemAuthentication?", "FromAgencyId", "FromAgencyAuthentication?",
			"ToSystemId?", "ToAgencyId"),
		"FromAgencyId":     seq("UniqueAgencyId"),
		"ToAgencyId":       seq("UniqueAgencyId"),
		"OnBehalfOfAgency": seq("UniqueAgencyId"),

		"UniqueAgencyId":                     schemeValue,
		"FromSystemId":                       schemeValue,
		"ToSystemId":                         schemeValue,
		"ApplicationProfileType":             schemeValue,
		"AuthenticationDataFormatType":       schemeValue,
		"AuthenticationInputType":            schemeValue,
		"ItemElementType":                    schemeValue,
		"UserElementType":                    schemeValue,
		"AcknowledgedItemUseRestrictionType": schemeValue,
		"RequiredItemUseRestrictionType":     schemeValue,
		"ProcessingErrorType":                schemeValue,
		"MessagingErrorType":                 schemeValue,

		"UniqueItemId":        seq("UniqueAgencyId", "ItemIdentifierValue"),
		"UniqueUserId":        seq("UniqueAgencyId", "UserIdentifierValue"),
		"UniqueRequestId":     seq("UniqueAgencyId", "RequestIdentifierValue"),
		"AuthenticationInput": seq("AuthenticationInputData", "AuthenticationDataFormatType", "AuthenticationInputType"),

		"Problem":                choice("ProcessingError", "MessagingError"),
		"ProcessingError":        seq("ProcessingErrorType", "ProcessingErrorElement?"),
		"ProcessingErrorElement": seq("ElementName", choice("ProcessingErrorValue", "ProcessingErrorElement")),
		"MessagingError":         seq("MessagingErrorType", "MessagingErrorElement?"),
		"MessagingErrorElement":  seq("ElementName", choice("MessagingErrorValue", "MessagingErrorElement")),

		"CheckInItem": seq("InitiationHeader", "UniqueItemId", "ItemElementType*", "UserElementType*"),
		"CheckInItemResponse": seq("ResponseHeader?", choice(
			"Problem+",
			seq("UniqueItemId", "UniqueUserId?", "RoutingInformation?", "FiscalTransactionInformation?",
				"ItemOptionalFields?", "UserOptionalFields?"),
		)),
		"CheckOutItem": seq("InitiationHeader", choice("UniqueUserId", "AuthenticationInput+"), "UniqueItemId",
			"UniqueRequestId?", "AcknowledgedFeeAmount?", "PaidFeeAmount?", "AcknowledgedItemUseRestrictionType*",
			"ShippingInformation?", "ResourceDesired?", "DesiredDateDue?", "ItemElementType*", "UserElementType*"),
		"CheckOutItemResponse": seq("ResponseHeader?", choice(
			seq("Problem+", "RequiredFeeAmount?", "RequiredItemUseRestrictionType*"),
			seq("UniqueItemId", "UniqueUserId", choice("DateDue", "IndeterminateLoanPeriodFlag", "NonReturnableFlag"),
				"RenewalCount?", "ElectronicResource?", "FiscalTransactionInformation?", "ItemOptionalFields?",
				"UserOptionalFields?"),
		)),
	}
}

// v1Leaves returns the NCIP 1 elements with text, flag or unmodelled content.
func v1Leaves() map[kind][]string {
	return map[kind][]string{
		kString: {
			"Scheme", "Value", "ItemIdentifierValue", "UserIdentifierValue", "RequestIdentifierValue",
			"ElementName", "ProcessingErrorValue", "MessagingErrorValue", "AuthenticationInputData",
			"FromSystemAuthentication", "FromAgencyAuthentication",
		},
		kDateTime:           {"DateDue", "DesiredDateDue"},
		kNonNegativeInteger: {"RenewalCount"},
		kEmpty:              {"ResourceDesired", "IndeterminateLoanPeriodFlag", "NonReturnableFlag"},
		kOpaque: {
			"RoutingInformation", "FiscalTransactionInformation", "ItemOptionalFields", "UserOptionalFields",
			"AcknowledgedFeeAmount", "PaidFeeAmount", "RequiredFeeAmount", "ShippingInformation", "ElectronicResource",
		},
	}
}

// checkV1 checks an NCIP 1 message.
func (c *checker) checkV1(doc *ncip.Document) {
	root := doc.Root
	c.root = root
	path := "/" + root.Name
	switch {
	case doc.DocType == "":
		c.add("doctype", ncip.Warning, 0, "", "the message has no DOCTYPE; ALEPH's own NCIP 1 messages carry "+
			`<!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN" %q>`, ncip.VersionV1_0)
	case !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(doc.DocType, "DOCTYPE")), "NCIPMessage"):
		c.add("doctype", ncip.Warning, doc.DocTypeLine, "", "the DOCTYPE does not name NCIPMessage as the root element")
	}
	if !c.rootIsMessage(root, path, 1) {
		return
	}
	c.namespace(root, nil, path)
	found := false
	for _, a := range root.Attrs {
		if a.IsNamespaceDecl() || a.Name != "version" {
			continue
		}
		found = true
		if a.Prefix != "" {
			c.add("version", ncip.Error, root.Line, path,
				"NCIPMessage: NCIP 1 has no namespaces: write version=%q without the %s: prefix", a.Value, a.Prefix)
		}
		if !slices.Contains(ncip.KnownVersionStrings(ncip.V1), a.Value) {
			c.add("version-value", ncip.Warning, root.Line, path,
				"NCIPMessage: version %q is not a known NCIP 1 version string, such as %q", a.Value, ncip.VersionV1_0)
		}
	}
	if !found {
		c.add("version", ncip.Error, root.Line, path, "NCIPMessage: the version attribute is required: add version=%q",
			ncip.VersionV1_0)
	}
	c.attributes(root, kComplex, path)
	c.complex(root, c.s.decls["NCIPMessage"].model, path)
}

// v1Attributes checks an element's attributes: NCIP 1 declares only the
// NCIPMessage version. Without a DTD to confirm it, anything else is a warning.
func (c *checker) v1Attributes(el *ncip.Element, path string) {
	for _, a := range el.Attrs {
		if !a.IsNamespaceDecl() && !(el == c.root && a.Name == "version") && !c.over(ncip.Warning, el.Line) {
			c.add("attribute", ncip.Warning, el.Line, path, "%s: attribute %s is not part of NCIP 1",
				el.Name, qname(a.Prefix, a.Name))
		}
	}
}
