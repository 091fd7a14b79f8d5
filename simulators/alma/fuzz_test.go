package alma

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/annexlab/annex/ncip"
)

// FuzzNCIPServlet: whatever arrives, the servlet answers HTTP 200 with a
// reply ncip.Decode reads. The seed corpus in testdata/fuzz/FuzzNCIPServlet
// holds the third-party conformance messages.
func FuzzNCIPServlet(f *testing.F) {
	f.Add([]byte("<"))
	f.Add(encode(f, checkOut(hdr(), annexUser, barcode1)))
	f.Add(encode(f, checkIn(hdr(), barcode1)))
	f.Add(encode(f, &ncip.CancelRequestItem{InitiationHeader: hdr(), UserId: &ncip.UserId{UserIdentifierValue: annexUser},
		RequestId: &ncip.RequestId{RequestIdentifierValue: "REQ-2"}, RequestType: ncip.SV("Hold")}))
	s, err := Start(fuzzConfig())
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, NCIPPath, bytes.NewReader(data))
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d for %q", rec.Code, data)
		}
		if _, _, err := ncip.Decode(rec.Body.Bytes(), ncip.ParseOptions{}); err != nil {
			t.Fatalf("reply does not decode: %v\n%s", err, rec.Body.Bytes())
		}
	})
}

func fuzzConfig() Config {
	cfg := DemoConfig()
	cfg.Clock = testClock
	// The journal is bounded; keep it small so a long fuzz run stays small.
	cfg.JournalMax = 16
	return cfg
}

// FuzzLoadState: state documents and configurations never panic, and a
// state that loads can be snapshotted and loaded back.
func FuzzLoadState(f *testing.F) {
	f.Add([]byte("institution: X\n"))
	f.Add([]byte(`{"institution":"01ANNEX_INST","libraries":[{"code":"MAIN","locations":[{"code":"ANNEX","remote_storage":true}],"desks":["CIRC"]}],"items":[{"barcode":"1","library":"MAIN","location":"ANNEX"}]}`))
	f.Add([]byte("state:\n  institution: X\n  items: [{barcode: '1', library: L}]\nexport: {every: 5m}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseConfig("fuzz.yaml", data)
		st, err := ParseState(data)
		if err != nil {
			return
		}
		if _, err := ParseState(mustJSON(t, st)); err != nil {
			t.Fatalf("a loaded state does not load back: %v\n%s", err, mustJSON(t, st))
		}
	})
}
