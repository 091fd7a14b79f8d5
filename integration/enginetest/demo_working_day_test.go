package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/simulators/alma"
)

// TestDemoWorkingDayExport is issue 10's "the demo configuration and
// `annex up --demo-auto` use them": the working day that `annex up` gives
// mock ALMA exports the requests of fixtures/requests/alma-working-day.xml,
// field for field as the engine reads them (the fixture's repeated request
// id aside, which no export job writes twice in one file).
func TestDemoWorkingDayExport(t *testing.T) {
	s, err := alma.Start(alma.DemoWorkingDayConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	name, data, _, err := s.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	got := readRequests(t, name, data)
	fixture, err := os.ReadFile("../../fixtures/requests/alma-working-day.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := readRequests(t, "alma-working-day.xml", fixture)
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("request %s (%s) of the fixture is not in the demo's export", id, w.Type)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("request %s differs:\n demo    %+v\n fixture %+v", id, g, w)
		}
	}
	// The demo's own two holds come on top of the working day.
	if len(got) != len(want)+2 {
		t.Errorf("the demo exports %d requests, want the fixture's %d and REQ-1, REQ-2", len(got), len(want))
	}
}

// exportedFields is what a request of the export says that the facility
// acts on or shows: who asked for what, where it goes, and the title.
type exportedFields struct {
	Type, Barcode, Citation                       string
	TitleLevel, Digitization                      bool
	PickupLibrary, PickupDesk, Library, Location  string
	MMSID, ItemID, Title, Author, ISBN, ISSN      string
	Place, Date, CallNumber, CallNumberType, Note string
	RequestedInfo                                 string
	DigitizationDepartment                        string
	PatronID, PatronName, PatronEmail, PatronAddr string
	ShipLine1, ShipLine2                          string
}

func readRequests(t *testing.T, name string, data []byte) map[string]exportedFields {
	t.Helper()
	out := map[string]exportedFields{}
	err := requestfile.Parse(context.Background(), profile.FormatRSExport, name, bytes.NewReader(data), requestfile.Options{},
		func(r requestfile.Record) error {
			if r.Err != nil {
				return fmt.Errorf("%s: record denied: %v", name, r.Err)
			}
			q := r.Request
			if len(q.Unknown) > 0 {
				return fmt.Errorf("%s: request %s: unknown elements %v", name, q.ID, q.Unknown)
			}
			f := exportedFields{Type: q.Type, Barcode: q.Barcode, Citation: q.Citation, TitleLevel: q.TitleLevel,
				Digitization: q.Digitization, PickupLibrary: q.PickupLibrary, PickupDesk: q.PickupDesk, Library: q.Library,
				Location: q.Location, MMSID: q.MMSID, ItemID: q.ItemID, Title: q.Title, Author: q.Author, ISBN: q.ISBN,
				ISSN: q.ISSN, Place: q.PlaceOfPublication, Date: q.DateOfPublication, CallNumber: q.CallNumber,
				CallNumberType: q.CallNumberType, Note: q.Note, RequestedInfo: fmt.Sprint(q.RequestedInfo),
				DigitizationDepartment: q.DigitizationDepartment, PatronID: q.PatronID, PatronName: q.PatronName,
				PatronEmail: q.PatronEmail, PatronAddr: q.PatronAddress}
			if q.ShipAddress != nil && q.PickupLibrary == "PERSONAL_DELIVERY" {
				f.ShipLine1, f.ShipLine2 = q.ShipAddress.Line1, q.ShipAddress.Line2
			}
			out[q.ID] = f
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
