package engine_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
)

// caiaWorld is the demo facility with both its library connections: mock
// ALMA and mock ALEPH answer NCIP over HTTP, the engine serves its REST API
// over HTTP, as CaiaSoft's clients reach it.
type caiaWorld struct {
	alma  *alma.Server
	aleph *aleph.Server
	eng   *engine.Engine
	url   string
	// facilityKey opens every endpoint; alephKey is aleph-demo's intake key.
	facilityKey, alephKey string
}

func newCaiaWorld(t testing.TB, mut func(*engine.Config)) *caiaWorld {
	t.Helper()
	fac, profs := profile.DemoFacility()
	acfg := alma.DemoConfig()
	acfg.Clock, acfg.Logger = clock, logger(t)
	as := startServer(t, alma.Start, acfg)
	lcfg := aleph.DemoConfig()
	lcfg.Clock, lcfg.Logger = clock, logger(t)
	ls := startServer(t, aleph.Start, lcfg)
	for i := range profs {
		profs[i].Retry = fastRetry()
	}
	a := *profs[0].ALMA
	a.NCIPURL = as.NCIPURL()
	profs[0].ALMA = &a
	l := *profs[1].ALEPH
	l.NCIPURL = ls.URL() + "/ncip"
	profs[1].ALEPH = &l
	cfg := engine.Config{Facility: fac, Profiles: profs, DataDir: t.TempDir(), Clock: clock, Logger: logger(t)}
	if mut != nil {
		mut(&cfg)
	}
	eng := openEngine(t, cfg)
	url := serveAPI(t, eng)
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	return &caiaWorld{alma: as, aleph: ls, eng: eng, url: url, facilityKey: fac.APIKey, alephKey: profs[1].Intake.APIKey}
}

// call sends a JSON body (raw when a string) with a key and returns the
// status and the reply's bytes.
func (w *caiaWorld) call(t testing.TB, method, path, key string, body any) (int, []byte) {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := apiRequest(t, method, w.url+path, key, rd)
	req.Header.Set("Content-Type", "application/json")
	return roundTrip(t, req)
}

// expect calls an endpoint and compares the reply with the golden JSON
// file testdata/caiasoft/<name>.json byte for byte (-update rewrites it).
func (w *caiaWorld) expect(t *testing.T, name, method, path, key string, body any, status int) []byte {
	t.Helper()
	got, raw := w.call(t, method, path, key, body)
	if got != status {
		t.Errorf("%s %s: status %d, want %d: %s", method, path, got, status, raw)
	}
	goldenJSON(t, name, raw)
	return raw
}

func goldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "caiasoft", name+".json")
	if want := readGolden(t, path, got); !bytes.Equal(want, got) {
		t.Errorf("%s differs from %s:\ngot:  %s\nwant: %s", name, path, got, want)
	}
}

// status is what GET /api/itemstatus/v1/{barcode} answers for an item.
func (w *caiaWorld) status(t *testing.T, barcode string) string {
	t.Helper()
	code, raw := w.call(t, http.MethodGet, "/api/itemstatus/v1/"+barcode, w.facilityKey, nil)
	var r struct {
		Success bool   `json:"success"`
		Barcode string `json:"barcode"`
		Status  string `json:"status"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || code != http.StatusOK || !r.Success || r.Barcode != barcode {
		t.Fatalf("itemstatus %s: %d %s (%v)", barcode, code, raw, err)
	}
	return r.Status
}

// floor runs a floor operation over the API and wants it to succeed.
func (w *caiaWorld) floor(t *testing.T, op string, body map[string]string) {
	t.Helper()
	if code, raw := w.call(t, http.MethodPost, "/api/floor/v1/"+op, w.facilityKey, body); code != http.StatusOK {
		t.Fatalf("floor %s %v: %d %s", op, body, code, raw)
	}
}

// ncipFor waits for the engine's outbox to settle and returns the NCIP
// services a mock received for a barcode, in order, with the Problems it
// answered each with.
func (w *caiaWorld) ncipFor(t *testing.T, j *journal.Journal, barcode string) (services []string, problems [][]string) {
	t.Helper()
	waitIdle(t, w.eng)
	for _, e := range j.All() {
		if e.Direction != "in" || !strings.Contains(string(e.Request), ">"+barcode+"<") {
			continue
		}
		services, problems = append(services, e.Service), append(problems, e.Problems)
	}
	return services, problems
}
