package requestfile

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// alephPrint reads ALEPH request slips (docs/libraries.md, ALEPH), hold-request-slip
// and photo-request-slip: print files whose lines "## - XML_XSL" (first,
// and possibly again before each printout) are not XML, followed by one or
// more <printout> documents, each possibly with its own XML declaration. One printout is one record; a wrapper element
// around printouts is tolerated. A file without any printout is refused.
func (p *parser) alephPrint(r *bufio.Reader) error {
	x := newXMLReader(p, &markerFilter{r: r, lineStart: true})
	var (
		first    string
		anything bool
	)
	records, err := x.records("printout", "text outside a printout", func(t xml.StartElement, _ int) error {
		anything = true
		if first == "" {
			first = t.Name.Local
		}
		return nil
	}, func(n *node) error {
		for _, rec := range p.printoutRecords(n) {
			if err := p.send(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !anything {
		return p.fileErr(0, "no printout: empty or not an XML print file")
	}
	if records == 0 {
		return p.fileErr(0, "no printout element (root element is <%s>)", first)
	}
	return nil
}

// markerFilter blanks the print-file marker lines ("## - XML_XSL"), keeping
// their line breaks so that line numbers still match the file.
type markerFilter struct {
	r         *bufio.Reader
	lineStart bool
	skipping  bool
}

func (f *markerFilter) ReadByte() (byte, error) {
	for {
		if f.lineStart && !f.skipping {
			if b, _ := f.r.Peek(4); string(b) == "## -" {
				f.skipping = true
			}
		}
		c, err := f.r.ReadByte()
		if err != nil {
			return 0, err
		}
		f.lineStart = c == '\n'
		if f.skipping && c != '\n' {
			continue
		}
		f.skipping = false
		return c, nil
	}
}

func (f *markerFilter) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c, err := f.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		p[n] = c
		n++
		// Stop at a line end so that a short read never blocks on more input
		// than the decoder needs.
		if c == '\n' {
			break
		}
	}
	return n, nil
}

// printoutHeader are the elements around the sections that say how the
// slip prints, not what it requests.
func printoutHeader(name string) bool {
	switch name {
	case "form-name", "form-language", "form-format", "form-date", "form-time", "subject", "email-address", "display-format":
		return true
	}
	return false
}

// The slip forms a facility receives (docs/libraries.md, ALEPH).
const (
	formHold  = "hold-request-slip"
	formPhoto = "photo-request-slip"
)

// alephField reports whether a section element is one ALEPH prints: a
// table field (z37 hold, z38 photocopy, z30 item, z13 bibliographic,
// z302–z305 patron, z36 loan, z31, z35, z52 print sequence) or one of the
// computed lines (bib-info, loan-exists). A slip layout may print any table
// field; the ones without a Request field of their own land in Extra.
func alephField(name string) bool {
	for _, t := range []string{"z37-", "z30-", "z13-", "z302-", "z303-", "z304-", "z305-", "z38-", "z36-", "z31-", "z35-", "z52-"} {
		if strings.HasPrefix(name, t) {
			return true
		}
	}
	return name == "loan-exists" || name == "bib-info"
}

// slipFields are the values of one section (or of the sections that share
// a role), by element name, remembering the file order and which fields a
// Request field took, so that the rest can land in Extra.
type slipFields struct {
	order []*node
	by    map[string]*node
	used  map[*node]bool
}

func newSlipFields() *slipFields {
	return &slipFields{by: map[string]*node{}, used: map[*node]bool{}}
}

// get returns the first non-empty value of the names and marks it taken.
func (f *slipFields) get(names ...string) string {
	for _, name := range names {
		if c := f.by[name]; c != nil {
			if v := c.value(); v != "" {
				f.used[c] = true
				return v
			}
		}
	}
	return ""
}

// same marks the names whose value is v as taken: they repeat a value a
// Request field already holds.
func (f *slipFields) same(v string, names ...string) {
	for _, name := range names {
		if c := f.by[name]; c != nil && v != "" && c.value() == v {
			f.used[c] = true
		}
	}
}

// rest appends the non-empty fields no Request field took, in file order.
func (f *slipFields) rest(out []Field) []Field {
	for _, c := range f.order {
		if v := c.value(); v != "" && !f.used[c] {
			out = append(out, Field{Name: c.name, Value: v})
		}
	}
	return out
}

// printoutRecords maps one printout to its records, or to one RecordError
// for the whole printout.
//
//   - hold-request-slip, ALEPH 22 layout: everything in section-01, one Request.
//   - hold-request-slip, older layout: items in repeatable section-02; one
//     Request per item, all with the printout's request id (ALEPH normally
//     holds one item per request, and a slip listing several is taken as
//     the same request for each).
//   - photo-request-slip: bib in section-01, items in section-02, patron and
//     request in section-03; one Request for the first item with
//     loan-exists=N (else the first item), as the integrators of real
//     sites (SpeiBi.pl) pick it: a photocopy is made once.
//
// A hold slip with section-03 or request type "photocopy" (earlier mock
// layouts) is a photocopy request too, one per item as before.
func (p *parser) printoutRecords(n *node) []Record {
	bad := p.deny(n, "printout", "printout")
	fail := bad.fail
	head := newSlipFields()
	var items []*slipFields
	var unknown []string
	formName := ""
	// collect reads one section's fields; a field repeated with another
	// value is ambiguous and denies the printout.
	collect := func(sec *node, into *slipFields) {
		for _, c := range sec.kids {
			if len(c.kids) > 0 || !alephField(c.name) {
				unknown = append(unknown, sec.name+"/"+c.name)
				continue
			}
			if c.over {
				fail(c, c.name, "value longer than 64 KiB")
				continue
			}
			prev := into.by[c.name]
			if prev != nil && prev.value() != "" && c.value() != "" && prev.value() != c.value() {
				fail(c, c.name, "element repeated with another value")
				continue
			}
			if prev == nil || prev.value() == "" {
				into.by[c.name] = c
				into.order = append(into.order, c)
			}
			if strings.HasSuffix(c.name, "-date") {
				if msg := checkDate(c.value()); msg != "" {
					fail(c, c.name, msg)
				}
			}
		}
	}
	photoSections := false
	for _, c := range n.kids {
		switch {
		case c.name == "form-name":
			formName = c.value()
		case c.name == "section-01":
			collect(c, head)
		case c.name == "section-03":
			// The photocopy's patron and request: the same role as a hold
			// slip's section-01 fields, and no name appears in both.
			photoSections = true
			collect(c, head)
		case c.name == "section-02":
			item := newSlipFields()
			collect(c, item)
			items = append(items, item)
		case printoutHeader(c.name):
		default:
			unknown = append(unknown, c.name)
		}
	}
	photo := formName == formPhoto
	// The request id: z38-number on a photocopy slip, z37-request-number
	// on a hold slip. z37-id is the patron in ALEPH's Z37 table, and the
	// request id only in layouts that print no request number.
	idField := "z37-request-number"
	idNames := []string{"z37-request-number", "z38-request-number", "z38-number"}
	if photo {
		idField, idNames = "z38-number", []string{"z38-number", "z38-request-number", "z37-request-number"}
	}
	id := head.get(idNames...)
	z37IDIsRequest := false
	if id == "" {
		id, z37IDIsRequest = head.get("z37-id"), true
	}
	switch {
	case formName == "":
		fail(nil, "form-name", "missing form-name")
	case formName != formHold && !photo:
		fail(nil, "form-name", "form "+strconv.Quote(formName)+" is neither a hold-request-slip nor a photo-request-slip")
	case id == "":
		fail(nil, idField, "missing request id ("+idField+")")
	}
	if bad.err != nil {
		bad.err.ID = id
		return []Record{{Err: bad.err}}
	}
	base := Request{
		Line:    n.line,
		ID:      id,
		Pickup:  head.get("z37-pickup-location", "z38-pickup-location"),
		Library: head.get("z37-filter-sub-library", "z38-filter-sub-library"),
		Title:   head.get("z13-title", "bib-info", "z38-title"),
		Author:  head.get("z13-author", "z38-author"),
		ISBN:    head.get("z13-isbn-issn"),
		// The hold's opening date; z37-request-date (from when the
		// patron wants it) stands in when no opening date is printed.
		RequestDate: head.get("z37-open-date", "z37-request-date", "z38-open-date"),
		PatronID:    head.get("z302-id", "z37-patron-id", "z37-id-of-patron", "z38-id"),
		// ALEPH prints the patron's name as the first address line.
		PatronName:  head.get("z302-name", "z302-address-0", "z303-name"),
		PatronEmail: head.get("z302-email-address", "z304-email-address"),
		PatronPhone: head.get("z302-telephone", "z304-telephone", "z304-telephone-2"),
		Note: joinNonEmpty("; ", head.get("z37-note-1"), head.get("z37-note-2"),
			head.get("z38-note-1"), head.get("z38-note-2")),
		Type:    strings.ToLower(head.get("z37-request-type")),
		Unknown: unknown,
	}
	if base.PatronID == "" && !z37IDIsRequest {
		base.PatronID = head.get("z37-id")
	}
	// Fields that repeat what another field gave are taken too.
	head.same(id, idNames...)
	head.same(base.PatronID, "z37-id", "z38-id", "z302-id")
	headCallNo := head.get("z13-call-no")
	if base.RequestDate == "00000000" {
		base.RequestDate = ""
	}
	base.PatronAddress = joinNonEmpty(", ", head.get("z302-address-1"), head.get("z302-address-2"),
		head.get("z302-address-3"), head.get("z302-address-4"))
	if base.PatronAddress == "" {
		base.PatronAddress = joinNonEmpty(", ", head.get("z304-address-0"), head.get("z304-address-1"),
			head.get("z304-address-2"), head.get("z304-address-3"), head.get("z304-address-4"), head.get("z304-zip"))
	}
	if photo || photoSections || base.Type == "photocopy" {
		base.Type, base.Digitization = "photocopy", true
		base.Pages = head.get("z38-pages")
	}
	if base.Type == "" {
		base.Type = "hold"
	}
	if len(items) == 0 {
		// The ALEPH 22 hold layout prints the item in section-01.
		items = append(items, head)
	}
	if photo && len(items) > 1 {
		items, base.Warnings = pickPhotocopyItem(items)
	}
	recs := make([]Record, 0, len(items))
	for _, it := range items {
		req := base
		req.Unknown = slices.Clone(base.Unknown)
		req.Warnings = slices.Clone(base.Warnings)
		req.Barcode = it.get("z30-barcode")
		req.CallNumber = cmp.Or(it.get("z30-call-no"), headCallNo)
		req.Description = it.get("z30-description")
		req.SubLibraryName = it.get("z30-sub-library")
		req.Location = it.get("z30-collection")
		if req.Location == "" {
			// The collection the hold is limited to, when the item's is not printed.
			req.Location = head.get("z37-filter-collection")
		}
		req.MaterialType = it.get("z30-material")
		req.OnLoan = strings.EqualFold(it.get("loan-exists"), "Y")
		if req.Library == "" && req.SubLibraryName != "" {
			// Older layouts print no sublibrary code: the name stands in,
			// and a translation keyed by codes will not find it.
			req.Library = req.SubLibraryName
			req.Warnings = append(req.Warnings, "no sublibrary code (z37-filter-sub-library) on the slip: the sublibrary name "+
				strconv.Quote(req.SubLibraryName)+" (z30-sub-library) stands in for it")
		}
		if !plausibleBarcode(req.Barcode, "", "") {
			req.Barcode, req.TitleLevel = "", true
		}
		req.Extra = head.rest(nil)
		if it != head {
			req.Extra = it.rest(req.Extra)
		}
		if len(req.Warnings) == 0 {
			req.Warnings = nil
		}
		recs = append(recs, Record{Request: &req})
	}
	return recs
}

// pickPhotocopyItem chooses the one item of a photocopy slip listing
// several: the first that is not on loan (loan-exists=N), else the first.
// The warning names every item, so staff can see what was not chosen.
func pickPhotocopyItem(items []*slipFields) ([]*slipFields, []string) {
	pick := 0
	for i, it := range items {
		if c := it.by["loan-exists"]; c != nil && strings.EqualFold(c.value(), "N") {
			pick = i
			break
		}
	}
	var listed []string
	for _, it := range items {
		b := "(no barcode)"
		if c := it.by["z30-barcode"]; c != nil && c.value() != "" {
			b = c.value()
		}
		if c := it.by["loan-exists"]; c != nil && strings.EqualFold(c.value(), "Y") {
			b += " on loan"
		}
		listed = append(listed, b)
	}
	how := "the first not on loan"
	if c := items[pick].by["loan-exists"]; c == nil || !strings.EqualFold(c.value(), "N") {
		how = "none is free, so the first"
	}
	return items[pick : pick+1], []string{fmt.Sprintf("photocopy slip lists %d items (%s): took %s", len(items), strings.Join(listed, ", "), how)}
}

// checkDate validates an ALEPH date: YYYYMMDD, or 00000000 for none.
func checkDate(v string) string {
	if v == "" || v == "00000000" {
		return ""
	}
	if len(v) != 8 || strings.Trim(v, "0123456789") != "" {
		return "date " + strconv.Quote(v) + " is not YYYYMMDD"
	}
	if _, err := time.Parse("20060102", v); err != nil {
		return "date " + strconv.Quote(v) + " is not a calendar date"
	}
	return ""
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}
