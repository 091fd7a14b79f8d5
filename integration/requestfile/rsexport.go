package requestfile

import (
	"encoding/xml"
	"io"
	"strconv"
)

// rsExport reads ALMA's remote-storage export (DESIGN §1.1): one record
// per rsExport element, wherever it sits and whatever the root, namespace
// or prefix are called, since those are not public and vary by site.
//
// The file is refused (FileError) when it is not well-formed, has no root
// element, has a second root, has text outside the root, or has a root
// with child elements none of which is an rsExport (a wrong file, such as
// an NCIP message or an ALEPH slip). A root with no children at all is an
// empty export: no records, no error.
func (p *parser) rsExport(r io.Reader) error {
	x := newXMLReader(p, r)
	var (
		root         string
		rootLine     int
		records      int
		hasChildElem bool
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
			if x.depth() == 1 {
				if root != "" {
					return p.fileErr(line, "second root element <%s> after <%s>", t.Name.Local, root)
				}
				root, rootLine = t.Name.Local, line
			} else {
				hasChildElem = true
			}
			if t.Name.Local == "rsExport" {
				n, err := x.readTree(t, line)
				if err != nil {
					return finish(err)
				}
				records++
				if err := p.send(p.rsExportRecord(n)); err != nil {
					return finish(err)
				}
				continue
			}
		case xml.CharData:
			if x.depth() == 0 && !isSpace(t) {
				return p.fileErr(textLine(line, t), "text outside the root element")
			}
		}
	}
	if root == "" {
		return p.fileErr(0, "no root element: empty or not an XML file")
	}
	if records == 0 && hasChildElem {
		return p.fileErr(rootLine, "root element <%s> holds no rsExport records", root)
	}
	return nil
}

// rsExportContainer reports whether an rsExport child holds other fields.
func rsExportContainer(name string) bool {
	return name == "pickup" || name == "operationalRecordinformation" || name == "patronInfo"
}

// rsExportRecord maps one rsExport element to a Request, or to the reason
// it is denied. Unknown elements do not deny the record: they are listed in
// Request.Unknown so that a schema change shows up in the intake report.
func (p *parser) rsExportRecord(n *node) Record {
	req := &Request{Line: n.line}
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
		fail(nil, "rsExport", "record has more than 10000 elements")
	}
	set := func(c *node, dst *string) {
		if c.over {
			fail(c, c.name, "value longer than 64 KiB")
			return
		}
		v := c.value()
		if *dst != "" && v != "" && *dst != v {
			fail(c, c.name, "element repeated with another value")
			return
		}
		if v != "" {
			*dst = v
		}
	}
	var address string
	unknown := func(path string) { req.Unknown = append(req.Unknown, path) }
	for _, c := range n.kids {
		if rsExportContainer(c.name) {
			if c.name == "pickup" && len(c.kids) == 0 {
				// A flat <pickup>CODE</pickup> is read as the pickup location.
				set(c, &req.Pickup)
				continue
			}
			for _, g := range c.kids {
				dst := rsExportField(req, c.name+"/"+g.name, &address)
				if dst == nil {
					unknown(c.name + "/" + g.name)
					continue
				}
				for _, gg := range g.kids {
					unknown(c.name + "/" + g.name + "/" + gg.name)
				}
				set(g, dst)
			}
			continue
		}
		dst := rsExportField(req, c.name, &address)
		if dst == nil {
			unknown(c.name)
			continue
		}
		for _, g := range c.kids {
			unknown(c.name + "/" + g.name)
		}
		set(c, dst)
	}
	if req.ID == "" && bad == nil {
		fail(nil, "requestId", "missing request id")
	}
	if bad != nil {
		bad.ID = req.ID
		return Record{Err: bad}
	}
	if !plausibleBarcode(req.Barcode, req.MMSID, req.ItemID) {
		req.Barcode, req.TitleLevel = "", true
	}
	if isDigitization(req.Type) {
		req.Digitization = true
		req.PatronAddress = address
	}
	return Record{Request: req}
}

// rsExportField is where an rsExport field (path below rsExport) goes; nil
// for an unknown one. The patron's address goes to addr first because it
// is only kept for digitization requests.
func rsExportField(req *Request, path string, addr *string) *string {
	switch path {
	case "requestType":
		return &req.Type
	case "requestId":
		return &req.ID
	case "barcode":
		return &req.Barcode
	case "mmsId":
		return &req.MMSID
	case "itemId":
		return &req.ItemID
	case "requestedInfo":
		return &req.RequestedInfo
	case "institutionCode":
		return &req.InstitutionCode
	case "libraryCode":
		return &req.Library
	case "description":
		return &req.Description
	case "requestNote":
		return &req.Note
	case "materialType":
		return &req.MaterialType
	case "pickup/library":
		return &req.PickupLibrary
	case "pickup/pickupLocation":
		return &req.Pickup
	case "operationalRecordinformation/permanent_physical_location_code":
		return &req.Location
	case "patronInfo/patronName":
		return &req.PatronName
	case "patronInfo/patronIdentifier":
		return &req.PatronID
	case "patronInfo/patronEmail":
		return &req.PatronEmail
	case "patronInfo/patronAddress":
		return addr
	}
	return nil
}
