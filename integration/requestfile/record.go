// Package requestfile reads the request files libraries send the facility:
// ALMA's remote-storage export XML, ALEPH's hold-request print XML, and
// ALEPH text layouts. Parsers stream: a 100,000-request file is read record
// by record, never held whole.
//
// Parse is the entry point. A file either fails whole (*FileError: not
// well-formed, truncated, oversized, undecodable, not the expected kind of
// file) or yields one Record per request in file order, each a Request or a
// RecordError that denies that request only.
//
// Rules the formats share:
//   - XML elements are matched by local name: any namespace URI or prefix
//     passes, as does none; the declared charset may be UTF-8 or ISO-8859-1.
//   - A barcode that is empty, holds white space or control characters, is
//     longer than 64 characters, equals the record's MMS id or item id, or
//     looks like an MMS id (15+ digits starting with 99) is not a barcode:
//     the request is title-level (TitleLevel, Barcode "").
//   - A field longer than MaxFieldSize denies its record.
//   - rsExport (formats/rsexport): every element of a real export lands in
//     a field (bibliographicInformation's and requestedInfo's parts by
//     name); unknown elements are listed in Request.Unknown; an unknown
//     request type is read as physical with a warning.
//   - ALEPH print: one printout per request. hold-request-slip in the ALEPH
//     22 layout (all in section-01) gives one Request; the older layout's
//     several section-02 items give one Request each with the same ID.
//     photo-request-slip (bib section-01, items section-02, patron and
//     request section-03) gives one Digitization Request for the first item
//     with loan-exists=N. The sublibrary code (z37/z38-filter-sub-library)
//     is Library; z30-sub-library is a name. Table fields without a field
//     of their own land in Extra; *-date fields must be YYYYMMDD or 00000000.
package requestfile

import "fmt"

// Request is one request read from a file, whatever its format. Fields a
// format does not carry stay empty. Every element of a real file lands in a
// field; what the parser does not know is listed in Unknown.
type Request struct {
	// Line is where the record starts in the file (1-based).
	Line int `json:"line"`
	// ID is the library's request id (ALMA requestId, ALEPH z37-request-number / z38-number).
	ID string `json:"id"`
	// Type is the library's request type as written (PATRON_PHYSICAL,
	// PHYSICAL_TO_DIGITIZATION, …; ALEPH: hold or photocopy).
	Type string `json:"type,omitempty"`
	// Barcode is the item barcode; empty for a title-level request without a usable barcode.
	Barcode string `json:"barcode,omitempty"`
	// TitleLevel marks a request whose barcode is missing or not a barcode.
	TitleLevel bool `json:"title_level,omitempty"`
	// Citation is what a title-level request carried where the barcode goes
	// (ALMA writes the citation there: "Volume 96; Issue 4; …").
	Citation string `json:"citation,omitempty"`
	// Pickup is the pickup location: the assumed pickup/pickupLocation of
	// earlier annex exports, ALEPH's z37-pickup-location (a name) or
	// z38-pickup-location (a code).
	Pickup string `json:"pickup,omitempty"`
	// PickupLibrary is ALMA's pickup/library: the pickup library's name,
	// PERSONAL_DELIVERY, or for digitization the institution's name.
	PickupLibrary string `json:"pickup_library,omitempty"`
	// PickupDesk is ALMA's pickup/desk: a desk name ("Digitization Department For Institution").
	PickupDesk string `json:"pickup_desk,omitempty"`
	// Library is ALMA's libraryCode (the pickup library's code) or ALEPH's
	// sublibrary code (z37-filter-sub-library, z38-filter-sub-library).
	Library string `json:"library,omitempty"`
	// SubLibraryName is ALEPH's z30-sub-library, a name.
	SubLibraryName string `json:"sub_library_name,omitempty"`
	// Location is ALMA's permanent_physical_location_code, ALEPH's z30-collection.
	Location        string `json:"location,omitempty"`
	InstitutionCode string `json:"institution_code,omitempty"`
	MaterialType    string `json:"material_type,omitempty"`
	MMSID           string `json:"mms_id,omitempty"`
	ItemID          string `json:"item_id,omitempty"`
	Title           string `json:"title,omitempty"`
	Author          string `json:"author,omitempty"`
	// ISBN, ISSN, PlaceOfPublication and DateOfPublication come from ALMA's
	// bibliographicInformation (ALEPH: z13-isbn-issn in ISBN).
	ISBN               string `json:"isbn,omitempty"`
	ISSN               string `json:"issn,omitempty"`
	PlaceOfPublication string `json:"place_of_publication,omitempty"`
	DateOfPublication  string `json:"date_of_publication,omitempty"`
	// Bibliographic holds the other parts of bibliographicInformation, in file order.
	Bibliographic []Field `json:"bibliographic,omitempty"`
	CallNumber    string  `json:"call_number,omitempty"`
	// CallNumberType is ALMA's call_number_type (0 = LC, …).
	CallNumberType string `json:"call_number_type,omitempty"`
	Description    string `json:"description,omitempty"`
	Note           string `json:"note,omitempty"`
	// RequestedInfo holds requestedInfo's parts (description, partToDigitize,
	// …) in file order; a requestedInfo with plain text is one part named
	// "text".
	RequestedInfo []Field `json:"requested_info,omitempty"`
	// DigitizationDepartment is ALMA's digitizationDepartmentCode.
	DigitizationDepartment string `json:"digitization_department,omitempty"`
	// ShipAddress is ALMA's shipAddress; nil when the record has none or it is empty.
	ShipAddress *Address `json:"ship_address,omitempty"`
	// RequestDate is as the file wrote it (ALEPH: YYYYMMDD).
	RequestDate   string `json:"request_date,omitempty"`
	PatronID      string `json:"patron_id,omitempty"`
	PatronName    string `json:"patron_name,omitempty"`
	PatronEmail   string `json:"patron_email,omitempty"`
	PatronPhone   string `json:"patron_phone,omitempty"`
	PatronAddress string `json:"patron_address,omitempty"`
	// Digitization marks a request for a scan (the item is pulled, scanned and refiled).
	Digitization bool `json:"digitization,omitempty"`
	// Pages is what an ALEPH photocopy request asks to be copied (z38-pages, text column "pages").
	Pages string `json:"pages,omitempty"`
	// OnLoan is ALEPH's loan-exists=Y: the library believes the item is out on loan.
	OnLoan bool `json:"on_loan,omitempty"`
	// Extra holds the fields of a real file that have no field of their own
	// above, by their name in the file and in file order (ALEPH: the table
	// fields a slip layout prints besides those read, such as
	// z37-filter-collection, z52-seq-number or z30-item-status). They are
	// known, so they are not Unknown; they are kept so nothing is dropped.
	Extra []Field `json:"extra,omitempty"`
	// Warnings say what the parser read in a way the file did not say
	// outright (an unknown request type read as physical, …).
	Warnings []string `json:"warnings,omitempty"`
	// Unknown lists elements the parser did not recognise in the record, as
	// paths below the record element ("patronInfo/patronPhone"). They do not
	// deny the request; they are reported so a changed export layout is noticed.
	Unknown []string `json:"unknown,omitempty"`
}

// Field is one named part of an open container (bibliographicInformation, requestedInfo).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Address is a postal address as ALMA's shipAddress writes it; a line
// marked xsi:nil is empty.
type Address struct {
	Line1         string `json:"line1,omitempty"`
	Line2         string `json:"line2,omitempty"`
	Line3         string `json:"line3,omitempty"`
	Line4         string `json:"line4,omitempty"`
	Line5         string `json:"line5,omitempty"`
	City          string `json:"city,omitempty"`
	StateProvince string `json:"state_province,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Country       string `json:"country,omitempty"`
}

// RecordError is a record the parser could read as a record but not accept:
// it is denied with this reason while the rest of the file proceeds.
type RecordError struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	// ID is the record's request id when it could be read.
	ID  string `json:"id,omitempty"`
	Msg string `json:"message"`
}

func (e *RecordError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// FileError rejects a whole file: structurally broken, oversized, wrongly
// encoded. Nothing from it is processed.
type FileError struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Record is what a parser emits for each entry: a Request, or the reason it was denied.
type Record struct {
	Request *Request
	Err     *RecordError
}
