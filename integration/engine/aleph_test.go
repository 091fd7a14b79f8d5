package engine_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/journal"
)

func alephItem(t *testing.T, w *alephWorld, barcode string) aleph.Item {
	t.Helper()
	var st aleph.State
	getJSON(t, w.aleph.URL()+"/_sim/state", &st)
	for _, it := range st.Items {
		if it.Barcode == barcode {
			return it
		}
	}
	t.Fatalf("mock ALEPH has no item %s", barcode)
	return aleph.Item{}
}

// TestALEPHFlow: mock ALEPH posts its print file to the REST API → accepted
// → CheckOutItem with the stop's CAIAUSER → loan → CheckInItem with
// CAIAPROFILE → loan closed; over HTTP and over the raw NCIP port, and with
// the requests in a registered text layout instead of print XML. The
// messages are the same bytes whichever way the requests came.
func TestALEPHFlow(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tcp       bool
		file      alephFile
		transport string
	}{{"http", false, printXML, "http"}, {"tcp", true, printXML, "tcp"}, {"text-layout", false, textLayout, "http"}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newALEPHWorld(t, tc.tcp, tc.file)
			var posted aleph.PostResult
			postJSON(t, w.aleph.URL()+"/_sim/post-requests", "", nil, http.StatusOK, &posted)
			if posted.Status != http.StatusOK || posted.Posted != 2 {
				t.Fatalf("post-requests: %+v", posted)
			}
			var env struct {
				Success      bool   `json:"success"`
				RequestCount string `json:"request_count"`
				Results      []struct{ Item, Deny, IStatus string }
			}
			if err := json.Unmarshal([]byte(posted.Body), &env); err != nil || !env.Success || env.RequestCount != "2" {
				t.Fatalf("reply %s (%v)", posted.Body, err)
			}
			for _, r := range env.Results {
				if r.Deny != "N" || r.IStatus != "Item Requested" {
					t.Errorf("result %+v", r)
				}
			}
			if r := requestByID(t, w.eng, "000000101"); r.Status != store.RequestAccepted || r.Stop != "MAIN-CIRC" {
				t.Fatalf("request: %+v", r)
			}
			if err := w.eng.Retrieve(t.Context(), "000000001"); err != nil {
				t.Fatal(err)
			}
			out := waitService(t, w.aleph.Journal(), "CheckOutItem", 1)[0]
			if len(out.Problems) > 0 || out.Transport != tc.transport {
				t.Fatalf("CheckOutItem over %s: %v %s", out.Transport, out.Problems, out.Response)
			}
			body := xmlOf(out)
			golden(t, "aleph-checkout.xml", body)
			if !bytes.Contains(body, []byte("<UserIdentifierValue>CAIAUSER</UserIdentifierValue>")) || bytes.Contains(body, []byte("ApplicationProfileType")) {
				t.Errorf("CheckOutItem must name CAIAUSER and carry no ApplicationProfileType:\n%s", body)
			}
			waitIdle(t, w.eng)
			if it := alephItem(t, w, "000000001"); it.Status != aleph.StatusOnLoan || it.Loan == nil || it.Loan.User != "CAIAUSER" {
				t.Errorf("after CheckOutItem: %+v", it)
			}
			if err := w.eng.Refile(t.Context(), "000000001"); err != nil {
				t.Fatal(err)
			}
			in := answered(t, w.aleph.Journal(), "CheckInItem")
			body = xmlOf(in)
			golden(t, "aleph-checkin.xml", body)
			if !bytes.Contains(body, []byte("CAIAPROFILE")) {
				t.Errorf("CheckInItem must carry CAIAPROFILE:\n%s", body)
			}
			waitIdle(t, w.eng)
			if it := alephItem(t, w, "000000001"); it.Status != aleph.StatusOnShelf || it.Loan != nil {
				t.Errorf("after CheckInItem: %+v", it)
			}
		})
	}
}

// xmlOf is the NCIP document of an exchange, without the HTTP framing of the raw port.
func xmlOf(e journal.Exchange) []byte {
	if _, body, ok := bytes.Cut(e.Request, []byte("\r\n\r\n")); ok && e.Transport == "tcp" {
		return body
	}
	return e.Request
}
