package requestfile

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
)

// alephPrint reads ALEPH hold-request slips (DESIGN §1.2): print files whose
// lines "## - XML_XSL" (first, and possibly again before each printout) are
// not XML, followed by one or more <printout> documents, each possibly with
// its own XML declaration. One printout is one record; a wrapper element
// around printouts is tolerated. A file without any printout is refused.
func (p *parser) alephPrint(r *bufio.Reader) error {
	x := newXMLReader(p, &markerFilter{r: r, lineStart: true})
	var (
		records  int
		first    string
		anything bool
	)
	for {
		tok, line, err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return finish(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			anything = true
			if first == "" {
				first = t.Name.Local
			}
			if t.Name.Local == "printout" {
				n, err := x.readTree(t, line)
				if err != nil {
					return finish(err)
				}
				records++
				for _, rec := range p.printoutRecords(n) {
					if err := p.send(rec); err != nil {
						return finish(err)
					}
				}
				continue
			}
		case xml.CharData:
			if x.depth() == 0 && !isSpace(t) {
				return p.fileErr(textLine(line, t), "text outside a printout")
			}
		}
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

// alephTable reports whether a section field is an ALEPH table field
// (z37 hold, z30 item, z13 bibliographic, z302/z303/z304/z305 patron, z38
// photocopy, z36 loan). A slip layout may print any of them; the ones the
// facility does not use are not worth reporting.
func alephTable(name string) bool {
	for _, t := range []string{"z37-", "z30-", "z13-", "z302-", "z303-", "z304-", "z305-", "z38-", "z36-", "z31-", "z35-"} {
		if strings.HasPrefix(name, t) {
			return true
		}
	}
	return name == "loan-exists"
}

// slipFields are the values of one section, by element name.
type slipFields map[string]*node

// printoutRecords maps one printout to its records: one Request per
// section-02 item (all with the printout's request id: ALEPH normally holds
// one item per request, and a slip listing several is taken as the same
// request for each), one title-level Request when there is no item, or one
// RecordError for the whole printout.
func (p *parser) printoutRecords(n *node) []Record {
	var bad *RecordError
	fail := func(c *node, field, msg string) {
		if bad == nil {
			bad = p.recordErr(n.line, field, "", "%s", msg).Err
			if c != nil && c.line != n.line {
				bad.Msg += " (line " + strconv.Itoa(c.line) + ")"
			}
		}
	}
	if n.many {
		fail(nil, "printout", "printout has more than 10000 elements")
	}
	head := slipFields{}
	var items []slipFields
	var unknown []string
	formName := ""
	// collect reads one section's fields; a field repeated with another
	// value is ambiguous and denies the printout.
	collect := func(sec *node, into slipFields) {
		for _, c := range sec.kids {
			if len(c.kids) > 0 || !alephTable(c.name) {
				unknown = append(unknown, sec.name+"/"+c.name)
				continue
			}
			if c.over {
				fail(c, c.name, "value longer than 64 KiB")
				continue
			}
			if prev := into[c.name]; prev != nil && prev.value() != "" && c.value() != "" && prev.value() != c.value() {
				fail(c, c.name, "element repeated with another value")
				continue
			}
			if prev := into[c.name]; prev == nil || prev.value() == "" {
				into[c.name] = c
			}
			if strings.HasSuffix(c.name, "-date") {
				if msg := checkDate(c.value()); msg != "" {
					fail(c, c.name, msg)
				}
			}
		}
	}
	for _, c := range n.kids {
		switch {
		case c.name == "form-name":
			formName = c.value()
		case c.name == "section-01", c.name == "section-03":
			collect(c, head)
		case c.name == "section-02":
			item := slipFields{}
			collect(c, item)
			items = append(items, item)
		case printoutHeader(c.name):
		default:
			unknown = append(unknown, c.name)
		}
	}
	get := func(f slipFields, names ...string) string {
		for _, name := range names {
			if c := f[name]; c != nil {
				if v := c.value(); v != "" {
					return v
				}
			}
		}
		return ""
	}
	// z37-request-number is the request; z37-id is the patron in ALEPH's
	// Z37 table, but DESIGN §1.2 also lists it as the request id, so it is
	// the request id only when no request number is printed.
	id := get(head, "z37-request-number", "z38-request-number")
	patronFallback := get(head, "z37-id")
	if id == "" {
		id, patronFallback = get(head, "z37-id"), ""
	}
	switch {
	case formName == "":
		fail(nil, "form-name", "missing form-name")
	case formName != "hold-request-slip":
		fail(nil, "form-name", "form "+strconv.Quote(formName)+" is not a hold-request-slip")
	}
	if id == "" {
		fail(nil, "z37-request-number", "missing request id (z37-request-number)")
	}
	if bad != nil {
		bad.ID = id
		return []Record{{Err: bad}}
	}
	base := Request{
		Line:        n.line,
		ID:          id,
		Pickup:      get(head, "z37-pickup-location"),
		Title:       get(head, "z13-title", "z38-title"),
		Author:      get(head, "z13-author", "z38-author"),
		CallNumber:  get(head, "z13-call-no"),
		RequestDate: get(head, "z37-open-date", "z37-request-date", "z38-open-date"),
		PatronID:    cmp.Or(get(head, "z302-id", "z37-patron-id", "z37-id-of-patron", "z38-id"), patronFallback),
		PatronName:  get(head, "z302-name", "z303-name"),
		PatronEmail: get(head, "z304-email-address"),
		Note:        joinNonEmpty("; ", get(head, "z37-note-1"), get(head, "z37-note-2"), get(head, "z38-note-1"), get(head, "z38-note-2")),
		Type:        strings.ToLower(get(head, "z37-request-type")),
		Unknown:     unknown,
	}
	if base.RequestDate == "00000000" {
		base.RequestDate = ""
	}
	if hasSection(n, "section-03") || base.Type == "photocopy" {
		base.Type, base.Digitization = "photocopy", true
		base.Pages = get(head, "z38-pages")
		base.PatronAddress = joinNonEmpty(", ", get(head, "z304-address-0"), get(head, "z304-address-1"),
			get(head, "z304-address-2"), get(head, "z304-address-3"), get(head, "z304-address-4"), get(head, "z304-zip"))
	}
	if base.Type == "" {
		base.Type = "hold"
	}
	if len(items) == 0 {
		// Some layouts print the item in section-01.
		items = append(items, head)
	}
	recs := make([]Record, 0, len(items))
	for _, it := range items {
		req := base
		req.Unknown = append([]string(nil), base.Unknown...)
		req.Barcode = get(it, "z30-barcode")
		req.CallNumber = cmp.Or(get(it, "z30-call-no"), base.CallNumber)
		req.Description = get(it, "z30-description")
		req.Library = cmp.Or(get(it, "z30-sub-library"), get(head, "z37-filter-sub-library"))
		req.Location = get(it, "z30-collection")
		req.MaterialType = get(it, "z30-material")
		req.OnLoan = strings.EqualFold(get(it, "loan-exists"), "Y")
		if !plausibleBarcode(req.Barcode, "", "") {
			req.Barcode, req.TitleLevel = "", true
		}
		recs = append(recs, Record{Request: &req})
	}
	return recs
}

func hasSection(n *node, name string) bool {
	for _, c := range n.kids {
		if c.name == name {
			return true
		}
	}
	return false
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
