package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
)

// overLimit is a list of MaxBatch+1 entries made by one.
func overLimit(one func(i int) any) []any {
	out := make([]any, caiasoft.MaxBatch+1)
	for i := range out {
		out[i] = one(i)
	}
	return out
}

// TestCircRequestsAPI: POST /api/circrequests/v1 answers in CaiaSoft's
// shape; the key identifies the connection and the stop the profile.
func TestCircRequestsAPI(t *testing.T) {
	w := newCaiaWorld(t, nil)
	const path = "/api/circrequests/v1"

	t.Run("profile key posts for its own profile", func(t *testing.T) {
		w.expect(t, "circrequests-profile-key", http.MethodPost, path, w.alephKey, `{"requests":[
			{"barcode":"000000001","request_type":"PYR","stop":"SCI-CIRC","request_id":"CS-1","requestor":null,"patron_id":"P0001",
			 "title":null,"author":null,"volume":null,"call_number":null,"article_title":null,"article_author":null,"article_pages":null,"details":null}]}`,
			http.StatusOK)
		if r := requestByID(t, w.eng, "CS-1"); r.Profile != "aleph-demo" || r.Status != store.RequestAccepted || r.Stop != "SCI-CIRC" {
			t.Errorf("CS-1: %+v", r)
		}
		if got := w.status(t, "000000001"); got != caiasoft.StatusQueuePhysical {
			t.Errorf("000000001 is %q", got)
		}
	})

	t.Run("facility key: the stop picks the profile", func(t *testing.T) {
		w.expect(t, "circrequests-by-stop", http.MethodPost, path, w.facilityKey, `{"requests":[
			{"barcode":"39015000000021","request_type":null,"stop":"Law Library circulation desk","request_id":"CS-2","patron_id":null,"pickup_note":"front desk"},
			{"barcode":"39015000000013","request_type":"PYR","stop":"MAIN-CIRC","request_id":"CS-3"},
			{"barcode":"39015000000014","request_type":"PYR","stop":"NOPE","request_id":"CS-4"},
			{"barcode":"39015999999999","request_type":"PYR","stop":"law-circ","request_id":"CS-5"},
			{"barcode":"39015000000015","request_type":"XYZ","stop":"LAW-CIRC","request_id":"CS-6"}]}`,
			http.StatusOK)
		r := requestByID(t, w.eng, "CS-2")
		if r.Profile != "alma-demo" || r.Status != store.RequestAccepted || r.Stop != "LAW-CIRC" || r.Job != caiasoft.JobPhysical {
			t.Errorf("CS-2: %+v", r)
		}
		// MAIN-CIRC is served by both connections, NOPE by none: denied, not refused.
		for _, id := range []string{"CS-3", "CS-4"} {
			if r := requestByID(t, w.eng, id); r.Status != store.RequestDenied || !strings.HasPrefix(r.Reason, caiasoft.DenyInvalidStop) {
				t.Errorf("%s: %+v", id, r)
			}
		}
		if got := w.status(t, "39015000000013"); got != caiasoft.StatusAtRest {
			t.Errorf("an item denied for its stop is %q", got)
		}
	})

	t.Run("each denial names its cause by code", func(t *testing.T) {
		// Issue 14: CS-3 and CS-4 share the istatus "Invalid Stop Code" and
		// CS-7 answers it too, for three different causes.
		if got, raw := w.call(t, http.MethodPost, path, w.facilityKey, `{"requests":[
			{"barcode":"39015000000016","request_type":"PYR","stop":"","request_id":"CS-7"}]}`); got != http.StatusOK ||
			!strings.Contains(string(raw), `"istatus":"`+caiasoft.DenyInvalidStop+`"`) {
			t.Fatalf("CS-7: %d %s", got, raw)
		}
		var page struct {
			Requests []store.SeqRequest `json:"requests"`
		}
		_, raw := w.call(t, http.MethodGet, "/api/requests/v1", w.facilityKey, nil)
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
		want := map[string]caiasoft.DenialCode{"CS-3": caiasoft.DenialUnroutedStop, "CS-4": caiasoft.DenialUnknownStop,
			"CS-5": caiasoft.DenialNotInStorage, "CS-6": caiasoft.DenialInvalidRecord, "CS-7": caiasoft.DenialNoStop}
		for _, q := range page.Requests {
			code, ok := want[q.ID]
			if !ok {
				continue
			}
			delete(want, q.ID)
			if q.Code != code || !strings.HasPrefix(q.Reason, code.IStatus()+": ") {
				t.Errorf("%s: code %q, reason %q; want code %q, the reason its istatus and detail", q.ID, q.Code, q.Reason, code)
			}
		}
		if len(want) > 0 {
			t.Errorf("not listed: %v", want)
		}
	})

	t.Run("unknown fields are recorded on the request", func(t *testing.T) {
		var page struct {
			Requests []store.SeqRequest `json:"requests"`
		}
		_, raw := w.call(t, http.MethodGet, "/api/requests/v1", w.facilityKey, nil)
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(page.Requests, func(q store.SeqRequest) bool { return q.ID == "CS-2" })
		if i < 0 {
			t.Fatalf("CS-2 not listed: %s", raw)
		}
		q := page.Requests[i]
		if !slices.Contains(q.Warnings, `unknown field "pickup_note" ignored`) || !strings.Contains(string(q.Raw), `"pickup_note":"front desk"`) {
			t.Errorf("CS-2 as listed: warnings %q raw %s", q.Warnings, q.Raw)
		}
	})

	t.Run("an item out of the facility", func(t *testing.T) {
		w.floor(t, "retrieve", map[string]string{"barcode": "39015000000021"})
		w.expect(t, "circrequests-out", http.MethodPost, path, w.facilityKey,
			`{"requests":[{"barcode":"39015000000021","request_type":"PYR","stop":"LAW-CIRC","request_id":"CS-7"}]}`, http.StatusOK)
	})

	t.Run("duplicate request ids are skipped", func(t *testing.T) {
		w.expect(t, "circrequests-duplicate", http.MethodPost, path, w.facilityKey,
			`{"requests":[{"barcode":"39015000000022","request_type":"PYR","stop":"LAW-CIRC","request_id":"CS-2"}]}`, http.StatusOK)
		if got := w.status(t, "39015000000022"); got != caiasoft.StatusAtRest {
			t.Errorf("a skipped duplicate moved its item: %q", got)
		}
	})

	t.Run("batch limit", func(t *testing.T) {
		body := map[string]any{"requests": overLimit(func(i int) any {
			return map[string]string{"barcode": "39015000000022", "stop": "LAW-CIRC", "request_id": fmt.Sprintf("BIG-%d", i)}
		})}
		w.expect(t, "circrequests-batch-limit", http.MethodPost, path, w.facilityKey, body, http.StatusRequestEntityTooLarge)
	})

	t.Run("not JSON", func(t *testing.T) {
		w.expect(t, "circrequests-bad-body", http.MethodPost, path, w.facilityKey, `{"requests":{}}`, http.StatusBadRequest)
	})

	t.Run("no key", func(t *testing.T) {
		w.expect(t, "circrequests-no-key", http.MethodPost, path, "", `{"requests":[]}`, http.StatusUnauthorized)
	})
}

// TestItemStatusAPI: itemstatus and itemstatuslist answer CaiaSoft's status
// strings, "Item not Found" for an unknown barcode, and to a profile's key
// "Item Restricted from this API Key" for another connection's item.
func TestItemStatusAPI(t *testing.T) {
	w := newCaiaWorld(t, nil)
	w.expect(t, "itemstatus", http.MethodGet, "/api/itemstatus/v1/39015000000001", w.facilityKey, nil, http.StatusOK)
	w.expect(t, "itemstatus-unknown", http.MethodGet, "/api/itemstatus/v1/39015999999999", w.facilityKey, nil, http.StatusOK)
	w.expect(t, "itemstatus-restricted", http.MethodGet, "/api/itemstatus/v1/39015000000001", w.alephKey, nil, http.StatusOK)
	w.expect(t, "itemstatus-no-key", http.MethodGet, "/api/itemstatus/v1/39015000000001", "", nil, http.StatusUnauthorized)

	w.floor(t, "retrieve", map[string]string{"barcode": "39015000000002"})
	w.expect(t, "itemstatuslist", http.MethodPost, "/api/itemstatuslist/v1", w.alephKey,
		`{"barcodes":["000000001","39015000000002","39015999999999",null],"page":null}`, http.StatusOK)
	w.expect(t, "itemstatuslist-facility", http.MethodPost, "/api/itemstatuslist/v1", w.facilityKey,
		`{"barcodes":["000000001","39015000000002"]}`, http.StatusOK)
	w.expect(t, "itemstatuslist-batch-limit", http.MethodPost, "/api/itemstatuslist/v1", w.facilityKey,
		map[string]any{"barcodes": overLimit(func(i int) any { return fmt.Sprint(i) })}, http.StatusRequestEntityTooLarge)
}

// TestIncomingItemsAPI: incomingitems puts items with their bibliographic
// data on the accession stream; the collection picks the profile.
func TestIncomingItemsAPI(t *testing.T) {
	w := newCaiaWorld(t, nil)
	w.expect(t, "incomingitems", http.MethodPost, "/api/incomingitems/v1", w.facilityKey, `{"incoming":[
		{"barcode":"39015000000004","title":"Remote Storage Law","author":"Counsel, Carla","volume":"v.2","call_number":"KF240 .C68 2021",
		 "collection":"LAW-ANNEX","material":"BOOK","isbn":"9780000000002","issn":null,"lccn":null,"oclc":"12345","tray":null,"donor":"Estate"},
		{"barcode":"39015000000031","title":null,"author":null,"collection":"NOWHERE"},
		{"barcode":"39015000000001","collection":"MAIN-ANNEX"},
		{"barcode":null,"collection":"MAIN-ANNEX"},
		{"barcode":"000000009","collection":"ALEPH-MAIN","title":"Aleph Incoming"}]}`, http.StatusOK)
	if got := w.status(t, "39015000000004"); got != caiasoft.StatusWaitingAccession {
		t.Errorf("39015000000004 is %q", got)
	}
	it, err := w.eng.ItemStatus(t.Context(), "39015000000004")
	if err != nil {
		t.Fatal(err)
	}
	if it.Profile != "alma-demo" || it.Title != "Remote Storage Law" || it.CallNumber != "KF240 .C68 2021" || it.ISBN != "9780000000002" ||
		it.OCLC != "12345" || it.Volume != "v.2" || it.Library != "LAW" || !it.Accessioned.IsZero() {
		t.Errorf("incoming item: %+v", it)
	}
	if it, _ := w.eng.ItemStatus(t.Context(), "000000009"); it.Profile != "aleph-demo" {
		t.Errorf("000000009: %+v", it)
	}
	// A profile's key announces items for itself, whatever the collection says.
	w.expect(t, "incomingitems-profile-key", http.MethodPost, "/api/incomingitems/v1", w.alephKey,
		`{"incoming":[{"barcode":"000000010","collection":"LAW-ANNEX"}]}`, http.StatusOK)
	w.expect(t, "incomingitems-batch-limit", http.MethodPost, "/api/incomingitems/v1", w.facilityKey,
		map[string]any{"incoming": overLimit(func(i int) any { return map[string]string{"barcode": fmt.Sprint(i)} })}, http.StatusRequestEntityTooLarge)
}

// TestItemUpdatesAPI: a blank value never overwrites, CLEARFIELD clears,
// and a profile's key changes its own items only.
func TestItemUpdatesAPI(t *testing.T) {
	w := newCaiaWorld(t, nil)
	w.expect(t, "itemupdates-setup", http.MethodPost, "/api/incomingitems/v1", w.facilityKey, `{"incoming":[
		{"barcode":"39015000000004","title":"Old Title","author":"Author, A","volume":"v.1","call_number":"KF1","isbn":"111","collection":"LAW-ANNEX"}]}`,
		http.StatusOK)
	w.expect(t, "itemupdates", http.MethodPost, "/api/itemupdates/v1", w.facilityKey, `{"items":[
		{"barcode":"39015000000004","title":"New Title","author":"","volume":null,"call_number":"CLEARFIELD","isbn":"CLEARFIELD*","lccn":"2021000001","color":"red"},
		{"barcode":"39015000000001","title":"","author":null},
		{"barcode":"39015999999999","title":"x"},
		{"barcode":null,"title":"x"}]}`, http.StatusOK)
	it, err := w.eng.ItemStatus(t.Context(), "39015000000004")
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "New Title" || it.Author != "Author, A" || it.Volume != "v.1" || it.CallNumber != "" || it.ISBN != "" || it.LCCN != "2021000001" {
		t.Errorf("updated item: %+v", it)
	}
	w.expect(t, "itemupdates-restricted", http.MethodPost, "/api/itemupdates/v1", w.alephKey,
		`{"items":[{"barcode":"39015000000004","title":"Hijacked"},{"barcode":"000000001","title":"Aleph Title"}]}`, http.StatusOK)
	if it, _ := w.eng.ItemStatus(t.Context(), "39015000000004"); it.Title != "New Title" {
		t.Errorf("another connection's key changed the item: %+v", it)
	}
	w.expect(t, "itemupdates-batch-limit", http.MethodPost, "/api/itemupdates/v1", w.facilityKey,
		map[string]any{"items": overLimit(func(i int) any { return map[string]string{"barcode": fmt.Sprint(i)} })}, http.StatusRequestEntityTooLarge)
}

// TestRequestFileAPI: POST /api/requestfile/v1 answers in circrequests'
// shape; a profile's key posts for its own profile with no parameter, and
// the facility key names one, or the file's format picks it.
func TestRequestFileAPI(t *testing.T) {
	w := newCaiaWorld(t, nil)
	slips, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "requests", "aleph-slips.xml"))
	if err != nil {
		t.Fatal(err)
	}
	w.expect(t, "requestfile-profile-key", http.MethodPost, "/api/requestfile/v1", w.alephKey, string(slips), http.StatusOK)
	if got := w.status(t, "000000001"); got != caiasoft.StatusQueuePhysical {
		t.Errorf("000000001 is %q", got)
	}
	// With the facility key and no ?profile=, the file's format picks the
	// one profile that reads it; a file whose format its content does not
	// tell is refused, saying what to add. Under the test's fixed clock the
	// ALMA file is claimed under the same name as the ALEPH one before it:
	// files were keyed by name alone, so it was taken for that one and moved
	// to processed/ unread (0 results).
	w.expect(t, "requestfile-by-format", http.MethodPost, "/api/requestfile/v1", w.facilityKey, string(workingDay(t)), http.StatusOK)
	w.expect(t, "requestfile-which-profile", http.MethodPost, "/api/requestfile/v1", w.facilityKey, "REQ-9|000000003|MAIN-CIRC\n", http.StatusBadRequest)
	w.expect(t, "requestfile-facility-key", http.MethodPost, "/api/requestfile/v1?profile=aleph-demo", w.facilityKey, string(slips), http.StatusOK)
}

// TestStopDenialCodes: the causes the istatus "Invalid Stop Code" covers
// are told apart by code (issue 14): a stop the facility does not have, an
// inactive one, and an ALEPH stop without its CAIAUSER.
func TestStopDenialCodes(t *testing.T) {
	w := newCaiaWorld(t, func(c *engine.Config) {
		c.Facility.Stops = slices.Clone(c.Facility.Stops)
		for i := range c.Facility.Stops {
			if c.Facility.Stops[i].Code == "MAIN-CIRC" {
				c.Facility.Stops[i].Active = false
			}
		}
		l := *c.Profiles[1].ALEPH
		l.Users = map[string]string{"MAIN-CIRC": "CAIAUSER"} // SCI-CIRC has none
		c.Profiles[1].ALEPH = &l
	})
	code, raw := w.call(t, http.MethodPost, "/api/circrequests/v1", w.alephKey, `{"requests":[
		{"barcode":"000000001","request_type":"PYR","stop":"NOPE","request_id":"ST-1"},
		{"barcode":"000000002","request_type":"PYR","stop":"MAIN-CIRC","request_id":"ST-2"},
		{"barcode":"000000003","request_type":"PYR","stop":"SCI-CIRC","request_id":"ST-3"}]}`)
	if code != http.StatusOK {
		t.Fatalf("circrequests: %d %s", code, raw)
	}
	for id, want := range map[string]caiasoft.DenialCode{"ST-1": caiasoft.DenialUnknownStop, "ST-2": caiasoft.DenialInactiveStop,
		"ST-3": caiasoft.DenialNoALEPHUser} {
		r := requestByID(t, w.eng, id)
		if r.Status != store.RequestDenied || r.Code != want || !strings.HasPrefix(r.Reason, caiasoft.DenyInvalidStop+": ") {
			t.Errorf("%s: %s %q %q, want denied %s with istatus %q", id, r.Status, r.Code, r.Reason, want, caiasoft.DenyInvalidStop)
		}
	}
}
