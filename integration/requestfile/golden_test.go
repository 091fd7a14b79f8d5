package requestfile

import (
	"os"
	"reflect"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

// The simulators' golden files are what mock ALMA and mock ALEPH really
// send; the parsers must read them.
const (
	almaGolden           = "../../simulators/alma/testdata/export/rsexport-requests.xml"
	almaLegacyGolden     = "../../simulators/alma/testdata/export/legacy-requests.xml"
	alephSlipsGolden     = "../../simulators/aleph/testdata/hold-request-slips.xml.golden"
	alephLegacyGolden    = "../../simulators/aleph/testdata/slips-legacy.xml.golden"
	alephDelimitedGolden = "../../simulators/aleph/testdata/hold-requests-delimited.txt.golden"
	alephFixedGolden     = "../../simulators/aleph/testdata/hold-requests-fixed.txt.golden"
)

func readGolden(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGoldenALMAExport reads mock ALMA's export in the real shape, its default.
func TestGoldenALMAExport(t *testing.T) {
	res := parseBytes(t, profile.FormatRSExport, "rsexport-requests.xml", readGolden(t, almaGolden), Options{})
	if res.err != nil || len(res.errs) != 0 {
		t.Fatalf("err %v, record errors %+v", res.err, res.errs)
	}
	if got := ids(res.reqs); !reflect.DeepEqual(got, []string{"REQ-0", "REQ-1", "REQ-2", "REQ-3", "REQ-4"}) {
		t.Fatalf("ids = %v", got)
	}
	for _, r := range res.reqs {
		if len(r.Unknown) != 0 || len(r.Warnings) != 0 || r.PickupLibrary == "" || r.Location == "" || r.Title == "" {
			t.Errorf("request %s = %+v", r.ID, r)
		}
	}
	if r := res.reqs[0]; !r.TitleLevel || r.Citation != "Volume 96; Issue 4; Publication Date 1989" {
		t.Errorf("REQ-0 should be title-level with its citation: %+v", r)
	}
	if r := res.reqs[1]; r.Barcode != "39015000000001" || r.PickupLibrary != "Main Library" || r.Library != "MAIN" {
		t.Errorf("REQ-1 = %+v", r)
	}
	if r := res.reqs[3]; !r.Digitization || r.PickupDesk != "Digitization Department For Institution" || r.Library != "" {
		t.Errorf("REQ-3 = %+v", r)
	}
	if r := res.reqs[4]; r.PickupLibrary != "PERSONAL_DELIVERY" || r.ShipAddress == nil {
		t.Errorf("REQ-4 = %+v", r)
	}
}

// TestGoldenALMALegacyExport reads the assumed shape of earlier annex
// versions, still an export option of mock ALMA.
func TestGoldenALMALegacyExport(t *testing.T) {
	res := parseBytes(t, profile.FormatRSExport, "legacy-requests.xml", readGolden(t, almaLegacyGolden), Options{})
	if res.err != nil || len(res.errs) != 0 {
		t.Fatalf("err %v, record errors %+v", res.err, res.errs)
	}
	if got := ids(res.reqs); !reflect.DeepEqual(got, []string{"REQ-0", "REQ-1", "REQ-2", "REQ-3"}) {
		t.Fatalf("ids = %v", got)
	}
	for _, r := range res.reqs {
		if len(r.Unknown) != 0 || r.Pickup == "" || r.Library != "MAIN" || r.Location != "ANNEX" || r.InstitutionCode != "01ANNEX_INST" {
			t.Errorf("request %s = %+v", r.ID, r)
		}
	}
	if r := res.reqs[0]; !r.TitleLevel || r.Barcode != "" || r.MMSID != "991000000000301" {
		t.Errorf("REQ-0 should be title-level: %+v", r)
	}
	if r := res.reqs[1]; r.TitleLevel || r.Barcode != "39015000000001" || r.PatronName != "Ada Reader" || r.Description != "v.1" {
		t.Errorf("REQ-1 = %+v", r)
	}
	if r := res.reqs[2]; r.Note != "please hold until Friday" || r.PatronAddress != "" || r.Digitization {
		t.Errorf("REQ-2 = %+v", r)
	}
	if r := res.reqs[3]; !r.Digitization || r.PatronAddress != "1 Main St & Co, Springfield" || r.Pickup != "DIGI" ||
		r.Description != "pp. 10-20 <ch. 2>" || len(r.RequestedInfo) != 1 || r.RequestedInfo[0].Value != "2022-05-20" || r.PatronEmail != "cleo@example.org" {
		t.Errorf("REQ-3 = %+v", r)
	}
}

// TestGoldenALEPHSlips reads mock ALEPH's print files in both hold
// layouts: the hold and the photocopy (a photo-request-slip) read the same
// either way, with nothing unknown.
func TestGoldenALEPHSlips(t *testing.T) {
	hold := Request{Line: 3, ID: "000000101", Type: "hold", Barcode: "000000001", Pickup: "Main Library Circulation Desk",
		Library: "MAIN", SubLibraryName: "Main Library", Location: "ANNEX", Title: "The Go programming language",
		Author: "Donovan, Alan A. A.", ISBN: "9780134190440", CallNumber: "QA76.73.G63 D66 2015", RequestDate: "20250102",
		PatronID: "P0001", PatronName: "Müller, Anna", PatronEmail: "anna.mueller@example.org",
		PatronAddress: "Gartenstraße 12, 79098 Freiburg",
		Extra: []Field{{"bib-info", "The Go programming language / Donovan, Alan A. A."}, {"z37-request-date", "20250102"},
			{"z37-filter-collection", "ANNEX"}, {"z52-seq-number", "000000001"}}}
	photo := Request{ID: "000000102", Type: "photocopy", Digitization: true, Barcode: "000000002", Pickup: "SCI",
		Library: "MAIN", SubLibraryName: "Main Library", Location: "ANNEX", Title: "Peanuts", Author: "Schulz, Charles M.",
		CallNumber: "PN6728.P4 S3 2000", Description: "v.1", PatronID: "P0002", PatronName: "Smith, John",
		PatronEmail: "jsmith@example.com", PatronPhone: "555-0102", Pages: "1-12",
		Extra: []Field{{"bib-info", "Peanuts / Schulz, Charles M."}, {"z38-title", "Peanuts"}, {"z38-author", "Schulz, Charles M."}}}
	cases := []struct {
		name, path string
		photoLine  int
		photoWarn  []string
	}{
		{"aleph22", alephSlipsGolden, 38, nil},
		{"legacy", alephLegacyGolden, 41, []string{"photocopy slip lists 2 items (000000004 on loan, 000000002): took the first not on loan"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseBytes(t, profile.FormatALEPHPrint, "slips.xml", readGolden(t, c.path), Options{})
			if res.err != nil || len(res.errs) != 0 {
				t.Fatalf("err %v, record errors %+v", res.err, res.errs)
			}
			p := photo
			p.Line, p.Warnings = c.photoLine, c.photoWarn
			assertGolden(t, res.reqs, []Request{hold, p})
		})
	}
}

// assertGolden compares what the parser read with what the golden file
// holds. Pickup is only required to be there: the simulators' fixtures
// still move their requests between pickup desks.
func assertGolden(t *testing.T, got, want []Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests %v, want %d", len(got), ids(got), len(want))
	}
	for i := range want {
		g := got[i]
		if g.Pickup == "" {
			t.Errorf("request %s has no pickup", g.ID)
		}
		g.Pickup = want[i].Pickup
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestGoldenALEPHText(t *testing.T) {
	delimited := &profile.TextLayout{Delimiter: "|", HeaderLines: 1, Columns: []profile.TextColumn{
		{Field: "request_id"}, {Field: "barcode"}, {Field: "patron_id"}, {Field: "pickup_location"},
		{Field: "sub_library"}, {Field: "title"}, {Field: "author"}}}
	fixed := &profile.TextLayout{Columns: []profile.TextColumn{
		{Field: "request_id", Width: 10}, {Field: "barcode", Width: 12}, {Field: "patron_name", Width: 16},
		{Field: "pickup_location", Width: 20}, {Field: "request_date", Width: 8}, {Field: "type", Width: 9},
		{Field: "title", Width: 24}}}
	cases := []struct {
		name, path string
		layout     *profile.TextLayout
		want       []Request
	}{
		{"delimited", alephDelimitedGolden, delimited, []Request{
			{Line: 2, ID: "000000101", Type: "hold", Barcode: "000000001", PatronID: "P0001",
				Pickup: "Main Library Circulation Desk", Library: "MAIN", Title: "The Go programming language",
				Author: "Donovan, Alan A. A."},
			{Line: 3, ID: "000000102", Type: "hold", Barcode: "000000002", PatronID: "P0002",
				Pickup: "Main Library Circulation Desk", Library: "MAIN", Title: "Peanuts", Author: "Schulz, Charles M."},
		}},
		{"fixed", alephFixedGolden, fixed, []Request{
			{Line: 1, ID: "000000101", Type: "hold", Barcode: "000000001", PatronName: "Müller, Anna",
				Pickup: "Main Library Circula", RequestDate: "20250102", Title: "The Go programming langu"},
			{Line: 2, ID: "000000102", Type: "photocopy", Digitization: true, Barcode: "000000002",
				PatronName: "Smith, John", Pickup: "Main Library Circula", RequestDate: "20250103", Title: "Peanuts"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseBytes(t, profile.FormatALEPHText, c.name, readGolden(t, c.path), Options{Layout: c.layout})
			if res.err != nil || len(res.errs) != 0 {
				t.Fatalf("err %v, record errors %+v", res.err, res.errs)
			}
			assertGolden(t, res.reqs, c.want)
		})
	}
}
