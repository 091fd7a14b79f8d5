package main

// This is the hand-written part of the NCIP tables: which services annex
// models, what each is for, which NCIP 1 also carries, and how NCIP 1 and the
// Go types spell what the XSD names. Everything else — element order,
// cardinality, choices, leaf types — comes from the XSD.

// service is one modelled NCIP service or response.
type service struct {
	name string
	// doc is the Go type's doc comment, without the comment markers.
	doc string
	// v1 reports that annex writes the service in NCIP 1 too (ALEPH).
	v1 bool
}

var services = []service{
	{name: "CheckInItem", v1: true,
		doc: "CheckInItem tells the library an item has come back (refile, accession)."},
	{name: "CheckInItemResponse", v1: true,
		doc: "CheckInItemResponse answers CheckInItem: Problems, or the item."},
	{name: "CheckOutItem", v1: true,
		doc: "CheckOutItem tells the library an item has left (retrieval); the user is\nthe facility's configured circulation user."},
	{name: "CheckOutItemResponse", v1: true,
		doc: "CheckOutItemResponse answers CheckOutItem: Problems, or the loan."},
	{name: "CancelRequestItem",
		doc: "CancelRequestItem cancels a request; the facility sends it when a requested item is not in storage."},
	{name: "CancelRequestItemResponse",
		doc: "CancelRequestItemResponse answers CancelRequestItem."},
	{name: "DeleteItem",
		doc: "DeleteItem tells the facility an item was deleted in the library system."},
	{name: "DeleteItemResponse",
		doc: "DeleteItemResponse answers DeleteItem: Problems, or the item."},
	// LookupItem is how a facility asks ALEPH whether a check-out or check-in
	// whose answer was lost took effect, hence NCIP 1.
	{name: "LookupItem", v1: true,
		doc: "LookupItem asks about one item, by ItemId or by RequestId."},
	{name: "LookupItemResponse", v1: true,
		doc: "LookupItemResponse answers LookupItem."},
}

// parts are generated like services but are not message bodies: the
// headers every service opens with.
var parts = []service{
	{name: "InitiationHeader",
		doc: "InitiationHeader opens every initiation message. FromAgencyId, ToAgencyId\nand OnBehalfOfAgency hold the AgencyId (v2) or UniqueAgencyId (v1) inside."},
	{name: "ResponseHeader",
		doc: "ResponseHeader opens a response; it usually mirrors the initiation header's agencies."},
}

// v1Spelling is how NCIP 1 names an element NCIP 2 renamed.
var v1Spelling = map[string]string{
	"AgencyId":  "UniqueAgencyId",
	"ItemId":    "UniqueItemId",
	"UserId":    "UniqueUserId",
	"RequestId": "UniqueRequestId",
}

// fieldName is the Go field of an element where it is not the element's name.
var fieldName = map[string]string{
	"Problem": "Problems",
}

// component is an element with a hand-written Go type or codec in package
// ncip (message.go, decode.go, encode.go), because its NCIP 1 and NCIP 2
// shapes differ beyond spelling (agencies, identifiers, Problem), or a
// generated part.
type component struct {
	goType string
	// decode is the decoder method, called as d.decode(el, path); it
	// returns a *goType when pointer is set, else a goType.
	decode  string
	pointer bool
	// encode is the writer method for one value (taking a *goType), or for
	// a list when list is set (taking a []goType).
	encode string
	list   bool
	// parentPath: decode takes the parent's path rather than the element's.
	parentPath bool
	// named: encode takes the element's name first, as one Go type serves
	// several elements.
	named bool
	// valueField is the text field that must be set when the component is
	// required: an identifier without its value identifies nothing.
	valueField string
}

var components = map[string]component{
	"InitiationHeader": {goType: "InitiationHeader", decode: "decodeInitiationHeader", pointer: true,
		encode: "encodeInitiationHeader"},
	"ResponseHeader": {goType: "ResponseHeader", decode: "decodeResponseHeader", pointer: true,
		encode: "encodeResponseHeader"},
	// An agency is AgencyId (v2) or UniqueAgencyId (v1) inside the named element.
	"FromAgencyId":        {goType: "SchemeValue", decode: "agency", encode: "agency", named: true},
	"ToAgencyId":          {goType: "SchemeValue", decode: "agency", encode: "agency", named: true},
	"OnBehalfOfAgency":    {goType: "SchemeValue", decode: "agency", encode: "agency", named: true},
	"ItemId":              {goType: "ItemId", decode: "itemID", encode: "itemID", valueField: "ItemIdentifierValue"},
	"UserId":              {goType: "UserId", decode: "userID", encode: "userID", valueField: "UserIdentifierValue"},
	"RequestId":           {goType: "RequestId", decode: "requestID", encode: "requestID", valueField: "RequestIdentifierValue"},
	"AuthenticationInput": {goType: "AuthenticationInput", decode: "authInput", encode: "authInputs", list: true},
	"Problem":             {goType: "Problem", decode: "problem", encode: "problems", list: true, parentPath: true},
}
