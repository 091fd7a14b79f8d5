package requestfile

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/annexlab/annex/formats/rsexport"
)

// rsExport reads ALMA's remote-storage export (docs/libraries.md, ALMA): one record
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
		hasChildElem bool
	)
	records, err := x.records(rsexport.Record, "text outside the root element", func(t xml.StartElement, line int) error {
		if x.depth() == 1 {
			if root != "" {
				return p.fileErr(line, "second root element <%s> after <%s>", t.Name.Local, root)
			}
			root, rootLine = t.Name.Local, line
		} else {
			hasChildElem = true
		}
		return nil
	}, func(n *node) error { return p.send(p.rsExportRecord(n)) })
	if err != nil {
		return err
	}
	if root == "" {
		return p.fileErr(0, "no root element: empty or not an XML file")
	}
	if records == 0 && hasChildElem {
		return p.fileErr(rootLine, "root element <%s> holds no rsExport records", root)
	}
	return nil
}

// rsExportRecord maps one rsExport element to a Request, or to the reason
// it is denied. Unknown elements do not deny the record: they are listed in
// Request.Unknown so that a schema change shows up in the intake report.
func (p *parser) rsExportRecord(n *node) Record {
	req := &Request{Line: n.line}
	bad := p.deny(n, rsexport.Record, "record")
	fail := bad.fail
	// set stores a leaf's value; path names it in errors ("pickup/library").
	set := func(c *node, path string, dst *string) {
		if c.over {
			fail(c, path, "value longer than 64 KiB")
			return
		}
		v := c.value()
		if *dst != "" && v != "" && *dst != v {
			fail(c, path, "element repeated with another value")
			return
		}
		if v != "" {
			*dst = v
		}
	}
	unknown := func(path string) { req.Unknown = append(req.Unknown, path) }
	// leaf stores an element that must hold text only.
	leaf := func(c *node, path string, dst *string) {
		for _, g := range c.kids {
			unknown(path + "/" + g.name)
		}
		set(c, path, dst)
	}
	// parts keeps every child of an open container by name.
	parts := func(c *node, dst *[]Field) {
		for _, g := range c.kids {
			var v string
			leaf(g, c.name+"/"+g.name, &v)
			*dst = append(*dst, Field{Name: g.name, Value: v})
		}
	}
	var ship Address
	for _, c := range n.kids {
		switch {
		case c.name == "pickup" && len(c.kids) == 0:
			// A flat <pickup>CODE</pickup> is read as the pickup location.
			set(c, c.name, &req.Pickup)
		case rsexport.ContainerFields(c.name) != nil:
			for _, g := range c.kids {
				path := c.name + "/" + g.name
				if dst := rsExportField(req, &ship, path); dst != nil {
					leaf(g, path, dst)
				} else {
					unknown(path)
				}
			}
		case c.name == "bibliographicInformation":
			for _, g := range c.kids {
				path := c.name + "/" + g.name
				if dst := rsExportField(req, &ship, path); dst != nil {
					leaf(g, path, dst)
					continue
				}
				var v string
				leaf(g, path, &v)
				req.Bibliographic = append(req.Bibliographic, Field{Name: g.name, Value: v})
			}
		case c.name == "requestedInfo":
			if len(c.kids) == 0 {
				var v string
				set(c, c.name, &v)
				if v != "" {
					req.RequestedInfo = append(req.RequestedInfo, Field{Name: "text", Value: v})
				}
				continue
			}
			parts(c, &req.RequestedInfo)
		default:
			if dst := rsExportField(req, &ship, c.name); dst != nil {
				leaf(c, c.name, dst)
			} else {
				unknown(c.name)
			}
		}
	}
	if ship != (Address{}) {
		req.ShipAddress = &ship
	}
	if req.ID == "" {
		fail(nil, "requestId", "missing request id")
	}
	if bad.err != nil {
		bad.err.ID = req.ID
		return Record{Err: bad.err}
	}
	if !plausibleBarcode(req.Barcode, req.MMSID, req.ItemID) {
		if req.Barcode != req.MMSID && req.Barcode != req.ItemID {
			req.Citation = req.Barcode
		}
		req.Barcode, req.TitleLevel = "", true
	}
	switch rsexport.KindOf(req.Type) {
	case rsexport.Digitization:
		req.Digitization = true
	case rsexport.Unknown:
		t := req.Type
		if t == "" {
			t = "(none)"
		}
		req.Warnings = append(req.Warnings, fmt.Sprintf("request type %s is not one ALMA exports (%s); read as a physical retrieval",
			t, strings.Join(rsexport.Types(), ", ")))
	}
	return Record{Request: req}
}

// rsExportField is where an rsExport field (its path below rsExport) goes;
// nil for an unknown one.
func rsExportField(req *Request, ship *Address, path string) *string {
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
	case "title":
		return &req.Title
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
	case "digitizationDepartmentCode":
		return &req.DigitizationDepartment
	case "pickup/library":
		return &req.PickupLibrary
	case "pickup/desk":
		return &req.PickupDesk
	case "pickup/pickupLocation":
		return &req.Pickup
	case "operationalRecordinformation/call_number_type":
		return &req.CallNumberType
	case "operationalRecordinformation/permanent_call_number":
		return &req.CallNumber
	case "operationalRecordinformation/permanent_physical_location_code":
		return &req.Location
	case "patronInfo/patronName":
		return &req.PatronName
	case "patronInfo/patronIdentifier":
		return &req.PatronID
	case "patronInfo/patronEmail":
		return &req.PatronEmail
	case "patronInfo/patronAddress":
		return &req.PatronAddress
	case "bibliographicInformation/author":
		return &req.Author
	case "bibliographicInformation/isbn":
		return &req.ISBN
	case "bibliographicInformation/issn":
		return &req.ISSN
	case "bibliographicInformation/placeOfPublication":
		return &req.PlaceOfPublication
	case "bibliographicInformation/dateOfPublication":
		return &req.DateOfPublication
	case "shipAddress/line1":
		return &ship.Line1
	case "shipAddress/line2":
		return &ship.Line2
	case "shipAddress/line3":
		return &ship.Line3
	case "shipAddress/line4":
		return &ship.Line4
	case "shipAddress/line5":
		return &ship.Line5
	case "shipAddress/city":
		return &ship.City
	case "shipAddress/stateProvince":
		return &ship.StateProvince
	case "shipAddress/postalCode":
		return &ship.PostalCode
	case "shipAddress/country":
		return &ship.Country
	}
	return nil
}
