// Package rsexport states the facts of ALMA's "Send Requests to Remote
// Storage" export file (docs/libraries.md, ALMA) once, for both sides of the wire: the
// engine's parser reads files by them and mock ALMA's export job writes
// files by them. It holds names and rules, no I/O.
package rsexport

import "strings"

// The file's shape as real ALMA sites export it.
const (
	// Namespace is the Ex Libris namespace of the export's elements.
	Namespace = "http://com/exlibris/urm/rep/externalsysremotestorage/xmlbeans"
	// Prefix is the prefix ALMA binds Namespace to.
	Prefix = "xb"
	// Root is the root element; Record is one request in it.
	Root   = "rsExportList"
	Record = "rsExport"
)

// Request types ALMA exports (requestType).
const (
	TypePatronPhysical         = "PATRON_PHYSICAL"
	TypeResourceSharingP2D     = "RESOURCE_SHARING_P2D_SHIPMENT"
	TypePhysicalToDigitization = "PHYSICAL_TO_DIGITIZATION"
	TypeStaffDigitization      = "STAFF_PHYSICAL_DIGITIZATION"
	TypeGeneralDigitization    = "GENERAL_DIGITIZATION"
)

// XSINamespace is the XML Schema instance namespace: ALMA marks an empty
// shipAddress line xsi:nil="true" rather than leaving it out.
const XSINamespace = "http://www.w3.org/2001/XMLSchema-instance"

// RecordFields lists the children of an rsExport record in the order ALMA
// writes them. Not every record has every one: libraryCode is absent for
// digitization and personal delivery, institutionCode often is.
func RecordFields() []string {
	return []string{"requestType", "requestId", "pickup", "operationalRecordinformation", "barcode", "mmsId", "itemId",
		"title", "requestedInfo", "patronInfo", "shipAddress", "libraryCode", "digitizationDepartmentCode", "requestNote",
		"bibliographicInformation", "institutionCode"}
}

// BibliographicFields are the parts of bibliographicInformation mock ALMA
// writes, in order; real files may carry more, which consumers keep by name.
func BibliographicFields() []string {
	return []string{"author", "isbn", "issn", "placeOfPublication", "dateOfPublication"}
}

// RequestedInfoFields are the parts of requestedInfo mock ALMA writes, in
// order; real files may carry more.
func RequestedInfoFields() []string { return []string{"description", "partToDigitize"} }

// PersonalDelivery is what pickup/library holds for a request delivered to
// the patron's address.
const PersonalDelivery = "PERSONAL_DELIVERY"

// Kind is what a request asks the facility to do with the item.
type Kind int

const (
	// Unknown is a request type ALMA is not known to export; the facility
	// reads it as a physical retrieval and says so.
	Unknown Kind = iota
	// Physical sends the item out (CaiaSoft's PYR).
	Physical
	// Digitization pulls the item for scanning and refiles it (ERT).
	Digitization
)

// KindOf classifies a requestType. The assumed legacy type HOLD of earlier
// annex versions is physical.
func KindOf(requestType string) Kind {
	switch strings.ToUpper(strings.TrimSpace(requestType)) {
	case TypePatronPhysical, TypeResourceSharingP2D, "HOLD":
		return Physical
	case TypePhysicalToDigitization, TypeStaffDigitization, TypeGeneralDigitization:
		return Digitization
	}
	return Unknown
}

// Types lists the request types of the real export, physical first.
func Types() []string {
	return []string{TypePatronPhysical, TypeResourceSharingP2D, TypePhysicalToDigitization, TypeStaffDigitization, TypeGeneralDigitization}
}

// ContainerFields returns the known children of a fixed container of a
// record, in the order ALMA writes them, or nil when name is not one. A
// child outside these lists is reported as unknown by the parser.
func ContainerFields(name string) []string {
	switch name {
	case "pickup":
		// pickupLocation is the assumed shape of earlier annex versions.
		return []string{"library", "desk", "pickupLocation"}
	case "operationalRecordinformation":
		return []string{"call_number_type", "permanent_call_number", "permanent_physical_location_code"}
	case "patronInfo":
		return []string{"patronName", "patronIdentifier", "patronEmail", "patronAddress"}
	case "shipAddress":
		return []string{"line1", "line2", "line3", "line4", "line5", "city", "country", "postalCode", "stateProvince"}
	}
	return nil
}

// OpenContainer reports whether a record element holds parts whose set varies by request and site
// (bibliographicInformation: author, isbn, issn, placeOfPublication,
// dateOfPublication, …; requestedInfo: description, partToDigitize, …):
// every child is kept by name, none is unknown.
func OpenContainer(name string) bool {
	return name == "bibliographicInformation" || name == "requestedInfo"
}
