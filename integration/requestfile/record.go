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
//   - rsExport: the patron's address is kept for digitization request
//     types only (containing DIGITIZATION or P2D); unknown elements are
//     listed in Request.Unknown.
//   - ALEPH print: one printout per request; several section-02 items give
//     one Request each with the same ID; section-03 makes a photocopy
//     (Digitization) request; *-date fields must be YYYYMMDD or 00000000.
package requestfile

import "fmt"

// Request is one request read from a file, whatever its format. Fields a
// format does not carry stay empty.
type Request struct {
	// Line is where the record starts in the file (1-based).
	Line int `json:"line"`
	// ID is the library's request id (ALMA requestId, ALEPH z37-request-number / z37-id).
	ID string `json:"id"`
	// Type is the library's request type (HOLD, PHYSICAL_TO_DIGITIZATION, …; ALEPH: hold or photocopy).
	Type string `json:"type,omitempty"`
	// Barcode is the item barcode; empty for a title-level request without a usable barcode.
	Barcode string `json:"barcode,omitempty"`
	// TitleLevel marks a request whose barcode is missing or not a barcode.
	TitleLevel bool `json:"title_level,omitempty"`
	// Pickup is the pickup location code (ALMA) or pickup location name (ALEPH z37-pickup-location).
	Pickup string `json:"pickup,omitempty"`
	// PickupLibrary is ALMA's pickup library.
	PickupLibrary string `json:"pickup_library,omitempty"`
	// Library is ALMA's libraryCode or ALEPH's sublibrary (z30-sub-library / z37-filter-sub-library).
	Library string `json:"library,omitempty"`
	// Location is ALMA's permanent physical location code.
	Location        string `json:"location,omitempty"`
	InstitutionCode string `json:"institution_code,omitempty"`
	MaterialType    string `json:"material_type,omitempty"`
	MMSID           string `json:"mms_id,omitempty"`
	ItemID          string `json:"item_id,omitempty"`
	Title           string `json:"title,omitempty"`
	Author          string `json:"author,omitempty"`
	CallNumber      string `json:"call_number,omitempty"`
	Description     string `json:"description,omitempty"`
	Note            string `json:"note,omitempty"`
	RequestedInfo   string `json:"requested_info,omitempty"`
	// RequestDate is as the file wrote it (ALEPH: YYYYMMDD).
	RequestDate string `json:"request_date,omitempty"`
	PatronID    string `json:"patron_id,omitempty"`
	PatronName  string `json:"patron_name,omitempty"`
	PatronEmail string `json:"patron_email,omitempty"`
	// PatronAddress is sent for digitization requests only.
	PatronAddress string `json:"patron_address,omitempty"`
	// Digitization marks a digitization request (patron info travels with it).
	Digitization bool `json:"digitization,omitempty"`
	// Pages is what an ALEPH photocopy request asks to be copied (z38-pages, text column "pages").
	Pages string `json:"pages,omitempty"`
	// OnLoan is ALEPH's loan-exists=Y: the library believes the item is out on loan.
	OnLoan bool `json:"on_loan,omitempty"`
	// Unknown lists elements the parser did not recognise in the record, as
	// paths below the record element ("patronInfo/patronPhone"). They do not
	// deny the request; they are reported so a changed export layout is noticed.
	Unknown []string `json:"unknown,omitempty"`
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
