package alma

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/internal/xmllint"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/internal/simtest"
	"github.com/annexlab/annex/simulators/journal"
)

func TestDeleteItemInitiator(t *testing.T) {
	received := make(chan []byte, 1)
	facility := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- body
		m, _, err := ncip.Decode(body, ncip.ParseOptions{})
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		d := m.Body.(*ncip.DeleteItem)
		out, _ := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.DeleteItemResponse{ItemId: &d.ItemId}}, ncip.Style{})
		w.Write(out)
	}))
	defer facility.Close()
	s := start(t, func(c *Config) { c.Facility.NCIPURL = facility.URL + "/ncip" })

	var res DeleteResult
	if st := postJSON(t, s.URL()+"/_sim/items/"+barcode3+"/delete", "", &res); st != 200 || !res.Sent || res.Status != 200 || len(res.Problems) != 0 {
		t.Fatalf("status %d %+v", st, res)
	}
	body := <-received
	if !strings.Contains(string(body), "<ns1:ItemIdentifierValue>"+barcode3+"</ns1:ItemIdentifierValue>") ||
		!strings.Contains(string(body), "<ns1:FromAgencyId><ns1:AgencyId>01ANNEX_INST</ns1:AgencyId></ns1:FromAgencyId>") ||
		!strings.Contains(string(body), "<ns1:ToAgencyId><ns1:AgencyId>CAIASOFT</ns1:AgencyId></ns1:ToAgencyId>") {
		t.Errorf("DeleteItem sent:\n%s", body)
	}
	if _, err := xmllint.Path(); err == nil {
		r, err := xmllint.Validate(context.Background(), xsdPath, body)
		if err != nil || !r.Valid {
			t.Errorf("DeleteItem does not validate: %v %s", err, r.Summary())
		}
	}
	for _, it := range getState(t, s).Items {
		if it.Barcode == barcode3 {
			t.Error("item still in state")
		}
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == "DeleteItem" })
	if e.Direction != "out" || e.Status != 200 || string(e.Request) != string(body) || len(e.Response) == 0 {
		t.Errorf("journal %+v", e)
	}

	// Unknown item: 404 JSON.
	var errRes map[string]string
	if st := postJSON(t, s.URL()+"/_sim/items/"+barcode3+"/delete", "", &errRes); st != 404 || errRes["error"] == "" {
		t.Errorf("second delete: %d %v", st, errRes)
	}
}

func TestDeleteItemFacilityProblem(t *testing.T) {
	facility := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, _ := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.DeleteItemResponse{
			Problems: []ncip.Problem{{ProblemType: ncip.SV("Unknown Item"), ProblemValue: barcode1}}}}, ncip.Style{})
		w.Write(out)
	}))
	defer facility.Close()
	s := start(t, func(c *Config) { c.Facility.NCIPURL = facility.URL })
	res, err := s.DeleteItem(context.Background(), barcode1)
	if err != nil || !res.Sent || len(res.Problems) != 1 || res.Problems[0] != "Unknown Item" {
		t.Fatalf("%v %+v", err, res)
	}
}

// The demo configuration loads from YAML the same as DemoConfig gives it.
func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "alma.yaml")
	os.WriteFile(good, []byte(`listen: 127.0.0.1:0
agencies: [CAIASOFT]
strict: true
state:
  institution: 01PRI_INST
  profiles: [{code: ANNEX, locations: [{library: MAIN, location: ANNEX}]}]
  libraries:
    - code: MAIN
      locations: [{code: ANNEX, remote_storage: true}, {code: STACKS}]
      desks: [CIRC]
  users: [{id: ANNEX-USER}]
  items: [{barcode: "1", library: MAIN, location: ANNEX}]
export:
  every: 5m
  dir: 01PRI_INST/requests
faults:
  - kind: latency
    latency: 150ms
`), 0o644)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.State.Institution != "01PRI_INST" || !cfg.Strict || cfg.Export.Every.Minutes() != 5 || len(cfg.Faults) != 1 || cfg.State.Items[0].Status != StatusInPlace {
		t.Errorf("cfg = %+v", cfg)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown key":    {"state:\n  institution: X\n  colour: red\n", `bad.yaml:3:3: state: unknown field "colour"; the fields here are institution,`},
		"typo":           {"state:\n  institution: X\n  itemz: []\n", `bad.yaml:3:3: state: unknown field "itemz" (did you mean "items"?)`},
		"wrong type":     {"state:\n  institution: X\n  items: {barcode: 1}\n", `bad.yaml:3:10: state.items: want a list, got a mapping`},
		"fault service":  {"state: {institution: X}\nfaults:\n  - {kind: reset, service: CheckOutitem}\n", `bad.yaml:3:5: faults[0]: service: "CheckOutitem" is not a service mock ALMA answers (did you mean "CheckOutItem"?)`},
		"bad reference":  {"state:\n  institution: X\n  items:\n    - barcode: '1'\n      library: NOPE\n", `bad.yaml:5:16: items[0].library: library "NOPE" is not configured`},
		"bad status":     {"state:\n  institution: X\n  libraries: [{code: L, locations: [{code: A}]}]\n  items:\n    - {barcode: '1', library: L, location: A, status: lost}\n", `bad.yaml:5:55: items[0].status: status "lost" is not one of`},
		"syntax":         {"state: [\n", "bad.yaml:2: YAML syntax: did not find expected node content"},
		"fault":          {"state: {institution: X}\nfaults:\n  - kind: nope\n", `bad.yaml:3:11: faults[0].kind: "nope" is not a fault kind`},
		"missing inst":   {"listen: ':0'\n", "institution code is required"},
		"profile not rs": {"state:\n  institution: X\n  libraries: [{code: L, locations: [{code: A}]}]\n  profiles:\n    - code: P\n      locations: [{library: L, location: A}]\n", "bad.yaml:6:42: profiles[0].locations[0].location: location L.A is not marked remote_storage"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(dir, "bad.yaml")
			os.WriteFile(bad, []byte(tc.yaml), 0o644)
			_, err := LoadConfig(bad)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// PUT /_sim/state takes JSON (a snapshot) and YAML; a bad state is a 400 naming the line.
func TestPutState(t *testing.T) {
	s := start(t, nil)
	resp, err := http.Get(s.URL() + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	put := func(body string) (int, string) { return simtest.Do(t, http.MethodPut, s.URL()+"/_sim/state", body) }
	if st, body := put(string(snap)); st != 200 {
		t.Fatalf("snapshot does not load back: %d %s", st, body)
	}
	if st, body := put("institution: X\nitems:\n  - barcode: '1'\n    library: NOPE\n"); st != 400 || !strings.Contains(body, "line 4:14: items[0].library") {
		t.Errorf("%d %s", st, body)
	}
	if st, body := put("institution: 01NEW\n"); st != 200 || !strings.Contains(body, "01NEW") {
		t.Errorf("%d %s", st, body)
	}
	// Reset returns to the configured state.
	if st := postJSON(t, s.URL()+"/_sim/reset", "", nil); st != 204 {
		t.Errorf("reset %d", st)
	}
	if st := getState(t, s); st.Institution != inst {
		t.Errorf("after reset: %s", st.Institution)
	}
}
