package engine_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/aleph"
)

// alephGolden names a golden file under fixtures/ncip/aleph for golden(),
// which reads below testdata/golden: the scenario library shares these.
func alephGolden(name string) string {
	return filepath.Join("..", "..", "..", "..", "fixtures", "ncip", "aleph", name)
}

// TestALEPHSlipForms: each slip form (hold-request-slip, photo-request-slip)
// in each hold layout (ALEPH 22: everything in section-01; legacy: items
// in section-02) goes from mock ALEPH's poster through the REST intake to
// CheckOutItem and CheckInItem. The NCIP bytes do not depend on how the
// slip was printed, so both layouts compare with the same golden files.
// The photocopy slip lists two items, the first on loan: the facility
// retrieves the second, and its pickup code SCI (z38-pickup-location)
// translates to SCI-CIRC, whose user is CAIAUSER2.
func TestALEPHSlipForms(t *testing.T) {
	type slip struct {
		form, id, barcode, stop, user string
		checkout, checkin             string
	}
	hold := slip{"hold-request-slip", "000000101", "000000001", "MAIN-CIRC", "CAIAUSER", "checkout-000000101.xml", "checkin-000000001.xml"}
	photo := slip{"photo-request-slip", "000000102", "000000002", "SCI-CIRC", "CAIAUSER2", "checkout-000000102.xml", "checkin-000000002.xml"}
	for _, layout := range []string{aleph.LayoutALEPH22, aleph.LayoutLegacy} {
		for _, s := range []slip{hold, photo} {
			t.Run(layout+"/"+s.form, func(t *testing.T) {
				w := newALEPHWorld(t, false, printXML, func(p *profile.Profile, a *aleph.Config) {
					a.Poster.Layout = layout
					// A photocopy slip names its pickup by code.
					p.Translation.Stops.PickupLocations["SCI"] = "SCI-CIRC"
					a.State.Items = append(a.State.Items, aleph.Item{Barcode: "000000004", SubLibrary: "MAIN", Collection: "ANNEX",
						Status: aleph.StatusOnLoan, Loan: &aleph.Loan{User: "P0009"}})
					a.State.Requests[1].Items = []string{"000000004", "000000002"}
				})
				var posted aleph.PostResult
				postJSON(t, w.aleph.URL()+"/_sim/post-requests", "", nil, http.StatusOK, &posted)
				if posted.Status != http.StatusOK || posted.Posted != 2 {
					t.Fatalf("post-requests: %+v", posted)
				}
				q := requestByID(t, w.eng, s.id)
				if q.Status != store.RequestAccepted || q.Stop != s.stop || q.Barcode != s.barcode {
					t.Fatalf("request: %+v", q)
				}
				var r requestfile.Request
				if err := json.Unmarshal(q.Raw, &r); err != nil {
					t.Fatal(err)
				}
				if len(r.Unknown) != 0 || r.SubLibraryName != "Main Library" || r.Library != "MAIN" || r.PatronEmail == "" ||
					r.Digitization != (s.form == "photo-request-slip") {
					t.Errorf("the slip as the engine read it: %+v", r)
				}
				if err := w.eng.Retrieve(t.Context(), s.barcode); err != nil {
					t.Fatal(err)
				}
				out := answered(t, w.aleph.Journal(), "CheckOutItem")
				golden(t, alephGolden(s.checkout), xmlOf(out))
				waitIdle(t, w.eng)
				if it := alephItem(t, w, s.barcode); it.Status != aleph.StatusOnLoan || it.Loan == nil || it.Loan.User != s.user {
					t.Errorf("after CheckOutItem: %+v", it)
				}
				if err := w.eng.Refile(t.Context(), s.barcode); err != nil {
					t.Fatal(err)
				}
				in := answered(t, w.aleph.Journal(), "CheckInItem")
				golden(t, alephGolden(s.checkin), xmlOf(in))
				waitIdle(t, w.eng)
				if it := alephItem(t, w, s.barcode); it.Status != aleph.StatusOnShelf || it.Loan != nil {
					t.Errorf("after CheckInItem: %+v", it)
				}
			})
		}
	}
}
