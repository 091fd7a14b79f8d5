package requestfile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/integration/profile"
)

// TestWorkingDayALMAExport reads fixtures/requests/alma-working-day.xml,
// a day of ALMA's export in the real shape (DESIGN §1.1: blank line before
// the declaration, rsExportList in the Ex Libris namespace, names in
// pickup/library, desks for digitization, xsi:nil address lines,
// citations in barcode), and checks that every element lands in a field.
func TestWorkingDayALMAExport(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "requests", "alma-working-day.xml"))
	if err != nil {
		t.Fatal(err)
	}
	res := parseBytes(t, profile.FormatRSExport, "alma-working-day.xml", data, Options{})
	if res.err != nil || len(res.errs) != 0 {
		t.Fatalf("err %v, record errors %+v", res.err, res.errs)
	}
	if len(res.reqs) != 13 {
		t.Fatalf("%d requests, want 13: %v", len(res.reqs), ids(res.reqs))
	}
	for _, r := range res.reqs {
		if len(r.Unknown) != 0 || len(r.Warnings) != 0 {
			t.Errorf("%s: unknown %v, warnings %v", r.ID, r.Unknown, r.Warnings)
		}
		if r.Title == "" || r.PatronName == "" || r.Location == "" || r.PickupLibrary == "" {
			t.Errorf("%s lost a field: %+v", r.ID, r)
		}
	}
	first := res.reqs[0]
	want := Request{Line: 5, ID: "2410000010001", Type: "PATRON_PHYSICAL", Barcode: "39015000000011", PickupLibrary: "Main Library",
		Library: "MAIN", Location: "ANNEX", MMSID: "991000000110101", ItemID: "231000000110101",
		Title: "The quest for immortality : science at the frontiers of aging", Author: "Olshansky, Stuart Jay,", ISBN: "9780393048360",
		PlaceOfPublication: "New York :", DateOfPublication: "c2001.", CallNumber: "QP85 .O474 2001", CallNumberType: "0",
		Note: "Needed for HIST 201", ShipAddress: &Address{Line1: "Annex University Main Library", Line2: "1 College Green",
			City: "Springfield", StateProvince: "MA", PostalCode: "01101", Country: "USA"},
		PatronID: "P000123", PatronName: "Reader, Ada", PatronEmail: "ada.reader@annex.example.edu",
		PatronAddress: "Annex University Box 1234 Department of History"}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first request:\n got %+v\nwant %+v", first, want)
	}
	byID := map[string]Request{}
	for _, r := range res.reqs {
		if _, dup := byID[r.ID]; !dup {
			byID[r.ID] = r
		}
	}
	if r := byID["2410000010004"]; r.PickupLibrary != "PERSONAL_DELIVERY" || r.Library != "" || r.ShipAddress == nil ||
		r.ShipAddress.Line1 != "Zoë Žáková" || r.ShipAddress.Line4 != "" || r.Title != "Dějiny české literatury : 1945-1989" {
		t.Errorf("personal delivery: %+v %+v", r, r.ShipAddress)
	}
	for _, id := range []string{"2410000010005", "2410000010006", "2410000010007"} {
		r := byID[id]
		if !r.Digitization || r.PickupDesk != "Digitization Department For Institution" || r.PickupLibrary != "Annex University" ||
			r.DigitizationDepartment != "DIGI_DEPT_INST" || r.Library != "" || r.ShipAddress != nil || len(r.RequestedInfo) != 2 {
			t.Errorf("digitization %s: %+v", id, r)
		}
	}
	if ri := byID["2410000010006"].RequestedInfo; !reflect.DeepEqual(ri, []Field{{"description", "v.1 (1947-1948)"}, {"partToDigitize", "Table of contents and pages 1-12"}}) {
		t.Errorf("requestedInfo parts: %+v", ri)
	}
	if r := byID["2410000010011"]; r.Digitization || r.Type != "RESOURCE_SHARING_P2D_SHIPMENT" {
		t.Errorf("a resource-sharing shipment is a physical retrieval: %+v", r)
	}
	for id, citation := range map[string]string{"2410000010008": "Volume 96; Issue 4; Publication Date 1989", "2410000010013": "The economics of remote storage: a review"} {
		if r := byID[id]; !r.TitleLevel || r.Barcode != "" || r.Citation != citation {
			t.Errorf("title-level %s: %+v", id, r)
		}
	}
}

// TestRSExportEveryContainerFieldIsRead: each child formats/rsexport names
// for a fixed container has a field in Request, so none of them can fall
// into Unknown.
func TestRSExportEveryContainerFieldIsRead(t *testing.T) {
	for _, c := range []string{"pickup", "operationalRecordinformation", "patronInfo", "shipAddress"} {
		for _, f := range rsexportContainerFields(c) {
			if rsExportField(&Request{}, &Address{}, c+"/"+f) == nil {
				t.Errorf("%s/%s has no field in Request", c, f)
			}
		}
	}
}

// TestRSExportUnknownIsReported: an element nobody knows is listed, not dropped.
func TestRSExportUnknownIsReported(t *testing.T) {
	data := []byte(`<xb:rsExportList xmlns:xb="http://com/exlibris/urm/rep/externalsysremotestorage/xmlbeans"><xb:rsExport>
<xb:requestType>WORK_ORDER</xb:requestType><xb:requestId>1</xb:requestId><xb:barcode>3901</xb:barcode>
<xb:patronInfo><xb:patronPhone>555</xb:patronPhone></xb:patronInfo><xb:holdShelf>A</xb:holdShelf>
<xb:bibliographicInformation><xb:edition>2nd</xb:edition></xb:bibliographicInformation></xb:rsExport></xb:rsExportList>`)
	res := parseBytes(t, profile.FormatRSExport, "u.xml", data, Options{})
	if res.err != nil || len(res.reqs) != 1 {
		t.Fatalf("err %v reqs %+v", res.err, res.reqs)
	}
	r := res.reqs[0]
	if !reflect.DeepEqual(r.Unknown, []string{"patronInfo/patronPhone", "holdShelf"}) {
		t.Errorf("unknown = %v", r.Unknown)
	}
	if !reflect.DeepEqual(r.Bibliographic, []Field{{"edition", "2nd"}}) {
		t.Errorf("bibliographic = %v", r.Bibliographic)
	}
	if len(r.Warnings) != 1 || r.Digitization {
		t.Errorf("an unknown request type is physical with a warning: %+v", r)
	}
}

func rsexportContainerFields(name string) []string { return rsexport.ContainerFields(name) }

// TestCitationWithColonIsTitleLevel: consumers of real exports tell a
// citation from a barcode by a space or a colon.
func TestCitationWithColonIsTitleLevel(t *testing.T) {
	data := []byte(`<rsExportList><rsExport><requestType>GENERAL_DIGITIZATION</requestType><requestId>9</requestId>
<barcode>Shelving:a-review</barcode></rsExport></rsExportList>`)
	res := parseBytes(t, profile.FormatRSExport, "c.xml", data, Options{})
	if res.err != nil || len(res.reqs) != 1 {
		t.Fatalf("err %v reqs %+v", res.err, res.reqs)
	}
	if r := res.reqs[0]; !r.TitleLevel || r.Citation != "Shelving:a-review" || r.Barcode != "" {
		t.Errorf("%+v", r)
	}
}
