package aleph

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/simulators/journal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// facility plays the facility's /api/requestfile/v1: it checks the key and keeps what it received.
type facility struct {
	srv      *httptest.Server
	received chan received
}

type received struct {
	contentType string
	body        []byte
}

func newFacility(t *testing.T, key string) *facility {
	f := &facility{received: make(chan received, 10)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/requestfile/v1" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("X-API-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"success":false,"error":"bad key"}`)
			return
		}
		b, _ := io.ReadAll(r.Body)
		f.received <- received{r.Header.Get("Content-Type"), b}
		io.WriteString(w, `{"success":true,"error":"","request_count":"2","results":[]}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func postRequests(t *testing.T, s *Server) (int, PostResult) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/_sim/post-requests", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res PostResult
	json.NewDecoder(resp.Body).Decode(&res)
	return resp.StatusCode, res
}

func TestPosterXML(t *testing.T) {
	f := newFacility(t, "demo-key")
	s := start(t, func(c *Config) { c.Poster.URL = f.srv.URL + "/api/requestfile/v1" })
	status, res := postRequests(t, s)
	if status != 200 || res.Status != 200 || res.Posted != 2 || res.Body == "" {
		t.Fatalf("%d %+v", status, res)
	}
	got := <-f.received
	if got.contentType != "application/xml; charset=UTF-8" {
		t.Fatalf("content type %q", got.contentType)
	}
	golden(t, "hold-request-slips.xml.golden", got.body)
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Direction == "out" })
	if string(e.Request) != string(got.body) || e.Status != 200 || e.RequestHeaders["X-Api-Key"][0] != "demo-key" {
		t.Fatalf("journal: %+v", e)
	}
	for _, r := range getState(t, s).Requests {
		if r.Status != RequestPosted {
			t.Fatalf("request %s is %s after a 2xx", r.ID, r.Status)
		}
	}
	// Nothing pending: nothing sent.
	if _, res := postRequests(t, s); res.Posted != 0 {
		t.Fatalf("%+v", res)
	}
}

// TestPosterLayouts: the legacy layout moves the hold's item to
// section-02; photocopies are photo-request-slips in either layout, and a
// photocopy listing several items prints each with its loan-exists.
func TestPosterLayouts(t *testing.T) {
	for _, layout := range []string{LayoutALEPH22, LayoutLegacy} {
		t.Run(layout, func(t *testing.T) {
			f := newFacility(t, "demo-key")
			s := start(t, func(c *Config) {
				c.Poster.URL = f.srv.URL + "/api/requestfile/v1"
				c.Poster.Layout = layout
				c.State.SubLibraries = append(c.State.SubLibraries, "SCI")
				c.State.SubLibraryNames["SCI"] = "Science Library"
				c.State.Items = append(c.State.Items, Item{Barcode: "000000004", SubLibrary: "SCI", Collection: "ANNEX",
					CallNumber: "QD1 .J6", Status: StatusOnLoan, Loan: &Loan{User: "P0009"}})
				c.State.Requests[1].Items = []string{"000000004", "000000002"}
			})
			if _, res := postRequests(t, s); res.Status != 200 || res.Posted != 2 {
				t.Fatalf("%+v", res)
			}
			got := <-f.received
			golden(t, "slips-"+layout+".xml.golden", got.body)
			body := string(got.body)
			photo := body[strings.Index(body, "<form-name>photo-request-slip"):]
			if !strings.Contains(photo, "<z30-barcode>000000004</z30-barcode>\n<z30-sub-library>Science Library</z30-sub-library>") ||
				!strings.Contains(photo, "<loan-exists>Y</loan-exists>") || !strings.Contains(photo, "<z38-pickup-location>SCI</z38-pickup-location>") {
				t.Errorf("photocopy slip:\n%s", photo)
			}
			hold := body[:strings.Index(body, "<form-name>photo-request-slip")]
			if strings.Contains(hold, "<section-02>") != (layout == LayoutLegacy) {
				t.Errorf("%s hold slip:\n%s", layout, hold)
			}
		})
	}
}

func TestPosterBadLayout(t *testing.T) {
	cfg := DemoConfig()
	cfg.Poster.Layout = "aleph18"
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "poster.layout") {
		t.Fatalf("err = %v", err)
	}
}

func TestPosterWrongKey(t *testing.T) {
	f := newFacility(t, "the-real-key")
	s := start(t, func(c *Config) { c.Poster.URL = f.srv.URL + "/api/requestfile/v1" })
	if _, res := postRequests(t, s); res.Status != http.StatusUnauthorized {
		t.Fatalf("%+v", res)
	}
	for _, r := range getState(t, s).Requests {
		if r.Status != RequestPending {
			t.Fatalf("a refused file marked %s posted", r.ID)
		}
	}
}

func TestPosterText(t *testing.T) {
	cols := []TextColumn{{Field: "request_id", Width: 10}, {Field: "barcode", Width: 12}, {Field: "patron_name", Width: 16},
		{Field: "pickup_location", Width: 20}, {Field: "request_date", Width: 8}, {Field: "type", Width: 9}, {Field: "title", Width: 24}}
	for _, c := range []struct {
		name   string
		layout TextLayout
	}{
		{"fixed", TextLayout{Columns: cols}},
		{"delimited", TextLayout{Delimiter: "|", Header: true, Columns: []TextColumn{{Field: "request_id"}, {Field: "barcode"},
			{Field: "patron_id"}, {Field: "pickup_location"}, {Field: "sub_library"}, {Field: "title"}, {Field: "author"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFacility(t, "demo-key")
			s := start(t, func(cfg *Config) {
				cfg.Poster.URL = f.srv.URL + "/api/requestfile/v1"
				cfg.Poster.Format = "text"
				cfg.Poster.Text = c.layout
			})
			if _, res := postRequests(t, s); res.Status != 200 {
				t.Fatalf("%+v", res)
			}
			got := <-f.received
			if got.contentType != "text/plain; charset=UTF-8" {
				t.Fatalf("content type %q", got.contentType)
			}
			golden(t, "hold-requests-"+c.name+".txt.golden", got.body)
		})
	}
}

func TestPosterUnconfigured(t *testing.T) {
	s := start(t, nil)
	if status, _ := postRequests(t, s); status != http.StatusBadGateway {
		t.Fatalf("status %d", status)
	}
}
