package engine_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"

	"github.com/annexlab/annex/formats/caiasoft"
)

type envelope struct {
	Success      bool   `json:"success"`
	Error        string `json:"error"`
	RequestCount string `json:"request_count"`
	Results      []struct {
		Item    string `json:"item"`
		Deny    string `json:"deny"`
		IStatus string `json:"istatus"`
	} `json:"results"`
}

// TestAPI drives the REST API and the DeleteItem responder over HTTP.
func TestAPI(t *testing.T) {
	w, base := newServedALMAWorld(t)
	key := w.cfg.Facility.APIKey

	t.Run("auth", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/alerts/v1", nil)
		do(t, req, http.StatusUnauthorized, nil)
		req.Header.Set("X-API-Key", key+"x")
		do(t, req, http.StatusUnauthorized, nil)
		req.Header.Set("X-API-Key", key)
		do(t, req, http.StatusOK, nil)
	})

	t.Run("circrequests", func(t *testing.T) {
		body := map[string]any{"requests": []map[string]string{
			{"barcode": "39015000000003", "request_type": "PYR", "stop": "MAIN-CIRC", "request_id": "CR-1", "patron_id": "P1"},
			{"barcode": "39015000000011", "request_type": "PYR", "stop": "NOPE", "request_id": "CR-2"},
		}}
		var env envelope
		raw := postJSON(t, base+"/api/circrequests/v1", key, body, http.StatusOK, &env)
		if !env.Success || env.RequestCount != "2" || len(env.Results) != 2 ||
			env.Results[0].Deny != "N" || env.Results[0].IStatus != "Item Requested" ||
			env.Results[1].Deny != "Y" || env.Results[1].IStatus != "Invalid Stop Code" {
			t.Fatalf("reply %s", raw)
		}
		if !bytes.Contains(raw, []byte(`"success":true`)) || !bytes.Contains(raw, []byte(`"request_count":"2"`)) {
			t.Errorf("envelope types: %s", raw)
		}
		postJSON(t, base+"/api/circrequests/v1", key, body, http.StatusOK, &env)
		if env.Results[0].IStatus != caiasoft.IStatusDuplicateSkip {
			t.Errorf("duplicate: %+v", env.Results)
		}
		postJSON(t, base+"/api/circrequests/v1", key, map[string]any{"nope": 1}, http.StatusBadRequest, nil)
	})

	t.Run("itemstatus and stops", func(t *testing.T) {
		var st map[string]any
		getAPI(t, base+"/api/itemstatus/v1/39015000000003", key, &st)
		if st["status"] != caiasoft.StatusQueuePhysical {
			t.Errorf("itemstatus: %v", st)
		}
		var stops struct {
			Count string `json:"count"`
		}
		getAPI(t, base+"/api/circstoplist/v1/ACTIVE", key, &stops)
		if want := strconv.Itoa(len(w.cfg.Facility.Stops)); stops.Count != want {
			t.Errorf("stops: %+v, want %s", stops, want)
		}
	})

	t.Run("floor", func(t *testing.T) {
		postJSON(t, base+"/api/floor/v1/retrieve", key, map[string]string{"barcode": "39015000000003"}, http.StatusOK, nil)
		postJSON(t, base+"/api/floor/v1/retrieve", key, map[string]string{"barcode": "39015000000003"}, http.StatusConflict, nil)
		postJSON(t, base+"/api/floor/v1/retrieve", key, map[string]string{"barcode": "nope"}, http.StatusNotFound, nil)
		waitIdle(t, w.eng)
		if m := outboxFor(t, w.eng, "CheckOutItem", "39015000000003"); m.Status != store.MsgDelivered || m.RequestID != "CR-1" {
			t.Errorf("CheckOutItem: %+v", m)
		}
		// An accessioned item ALMA does not know: its CheckInItem gets a Problem, surfaced as an alert.
		postJSON(t, base+"/api/floor/v1/accession", key, map[string]string{"barcode": "39015000000009", "collection": "MAIN-ANNEX",
			"profile": "alma-demo", "tray": "R09"}, http.StatusOK, nil)
		waitIdle(t, w.eng)
		if m := outboxFor(t, w.eng, "CheckInItem", "39015000000009"); m.Status != store.MsgFailed {
			t.Errorf("CheckInItem of an unknown item: %+v", m)
		}
		if len(alertsOf(t, w.eng, store.AlertNCIPProblem)) != 1 {
			t.Errorf("alerts: %+v", alertsOf(t, w.eng, store.AlertNCIPProblem))
		}
	})

	t.Run("missing", func(t *testing.T) {
		w.export(t)
		postJSON(t, base+"/api/floor/v1/missing", key, map[string]string{"barcode": "39015000000002"}, http.StatusOK, nil)
		waitIdle(t, w.eng)
		if r := requestByID(t, w.eng, "REQ-2"); r.Status != store.RequestCancelled || r.Code != caiasoft.DenialMissing {
			t.Errorf("REQ-2: %+v", r)
		}
		if it := almaItem(t, w.state(t), "39015000000002"); it.Status != alma.StatusMissing {
			t.Errorf("ALMA item: %+v", it)
		}
	})

	t.Run("DeleteItem", func(t *testing.T) {
		var res alma.DeleteResult
		postJSON(t, w.alma.URL()+"/_sim/items/39015000000001/delete", "", nil, http.StatusOK, &res)
		if !res.Sent || res.Status != http.StatusOK || len(res.Problems) != 0 {
			t.Fatalf("DeleteItem: %+v", res)
		}
		if _, err := w.eng.ItemStatus(t.Context(), "39015000000001"); err == nil {
			t.Error("the item is still in the inventory")
		}
		msg := `<?xml version="1.0"?><NCIPMessage xmlns="http://www.niso.org/2008/ncip" version="x"><DeleteItem><InitiationHeader>` +
			`<FromAgencyId><AgencyId>01ANNEX_INST</AgencyId></FromAgencyId><ToAgencyId><AgencyId>CAIASOFT</AgencyId></ToAgencyId>` +
			`</InitiationHeader><ItemId><ItemIdentifierValue>nope</ItemIdentifierValue></ItemId></DeleteItem></NCIPMessage>`
		resp, err := http.Post(base+"/api/ncip", "text/xml", strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(b.String(), "Unknown Item") {
			t.Errorf("unknown item: %d %s", resp.StatusCode, b.String())
		}
		resp2, err := http.Post(base+"/api/ncip", "text/xml", strings.NewReader(strings.ReplaceAll(msg, "01ANNEX_INST", "EVIL")))
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		b.ReadFrom(resp2.Body)
		resp2.Body.Close()
		if !strings.Contains(b.String(), "Unknown Agency") {
			t.Errorf("wrong agency: %s", b.String())
		}
	})
}

// The floor API refuses a body it would misread in the body's terms, not
// Go's (issue 13 finding 13: "cannot unmarshal number into Go struct field
// InventoryItem.barcode of type string").
func TestFloorAPIErrorsInJSONTerms(t *testing.T) {
	w := newALMAWorld(t, nil)
	base := serveAPI(t, w.eng)
	for _, tc := range []struct{ path, body, want string }{
		{"/api/floor/v1/retrieve", `{"barcode": 39015000000003}`, `decode body: line 1:13: barcode: want a string, got the number 39015000000003`},
		{"/api/floor/v1/retrieve", `{"barcod": "39015000000003"}`, `decode body: line 1:2: unknown field "barcod" (did you mean "barcode"?)`},
		{"/api/floor/v1/accession", "{\"barcode\": \"1\",\n \"colection\": \"MAIN-ANNEX\"}", `decode body: line 2:2: unknown field "colection" (did you mean "collection"?)`},
		{"/api/floor/v1/picklist", `{"barcodes": "39015000000003"}`, `decode body: line 1:14: barcodes: want a list, got "39015000000003"`},
		{"/api/floor/v1/picklist", `{"barcodes": ["1",}`, `decode body: line 1:19: not valid JSON`},
	} {
		var env envelope
		do(t, apiRequest(t, http.MethodPost, base+tc.path, w.cfg.Facility.APIKey, strings.NewReader(tc.body)), http.StatusBadRequest, &env)
		if env.Error != tc.want && !strings.HasPrefix(env.Error, tc.want) {
			t.Errorf("%s %s: error %q, want %q", tc.path, tc.body, env.Error, tc.want)
		}
		if strings.Contains(env.Error, "Go struct") || strings.Contains(env.Error, "profile.") {
			t.Errorf("%s: the message speaks Go: %s", tc.body, env.Error)
		}
	}
}
