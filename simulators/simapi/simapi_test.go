package simapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

type nopSim struct{}

func (nopSim) Snapshot() any          { return struct{}{} }
func (nopSim) LoadState([]byte) error { return nil }
func (nopSim) ResetState()            {}

func newServer(t *testing.T, j *journal.Journal) *httptest.Server {
	mux := routes.New()
	API{Sim: nopSim{}, Journal: j, Faults: faults.NewSet(1)}.Register("test", mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// Following the Link header walks every exchange exactly once, with the
// service filter kept from page to page.
func TestJournalPaging(t *testing.T) {
	j := journal.New(0)
	for i := range 23 {
		j.Add(journal.Exchange{Service: []string{"CheckInItem", "CheckOutItem"}[i%2]})
	}
	srv := newServer(t, j)
	for _, tc := range []struct {
		path string
		want int
	}{{"/_sim/journal?limit=5", 23}, {"/_sim/journal?service=CheckOutItem&limit=4", 11}, {"/_sim/journal?since=20", 3}} {
		seen := map[int64]int{}
		path := tc.path
		for path != "" {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			var page []journal.Exchange
			if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: HTTP %d, %v", path, resp.StatusCode, err)
			}
			resp.Body.Close()
			for _, e := range page {
				seen[e.ID]++
				if strings.Contains(tc.path, "service") && e.Service != "CheckOutItem" {
					t.Errorf("%s: filter lost: %s", path, e.Service)
				}
			}
			path = ""
			if m := nextLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
				path = m[1]
			}
		}
		if len(seen) != tc.want {
			t.Errorf("%s: walked %d exchanges, want %d", tc.path, len(seen), tc.want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s: exchange %d seen %d times", tc.path, id, n)
			}
		}
	}
}

// Unknown and bad parameters are refused with 400 and what was meant.
func TestJournalQueryRefused(t *testing.T) {
	srv := newServer(t, journal.New(0))
	for q, want := range map[string]string{
		"servce=CheckOutItem": "did you mean service?",
		"limit=0":             "from 1 to 10000",
		"after=1&since=1":     "not both",
		"since=x":             "want an exchange id",
	} {
		resp, err := http.Get(srv.URL + "/_sim/journal?" + q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), want) {
			t.Errorf("%s: HTTP %d %s, want 400 with %q", q, resp.StatusCode, b, want)
		}
	}
	resp, err := http.Get(srv.URL + "/_sim/journal")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("empty journal: %q", b)
	}
}

// A follower's request waits for the next exchange instead of polling:
// asked after the newest id, it is answered with the exchange added while
// it waited (issue 13 finding 20).
func TestJournalWait(t *testing.T) {
	j := journal.New(0)
	j.Add(journal.Exchange{Service: "CheckInItem"})
	srv := newServer(t, j)
	resp, err := http.Get(srv.URL + "/_sim/journal?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	last := resp.Header.Get("Journal-Last-Id")
	if last != "1" {
		t.Fatalf("Journal-Last-Id %q, want 1", last)
	}
	type answer struct {
		page []journal.Exchange
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/_sim/journal?service=CheckOutItem&wait=30s&after=" + last)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var a answer
		a.err = json.NewDecoder(resp.Body).Decode(&a.page)
		got <- a
	}()
	j.Add(journal.Exchange{Service: "CheckInItem"}) // filtered out: the request keeps waiting
	j.Add(journal.Exchange{Service: "CheckOutItem"})
	a := <-got
	if a.err != nil || len(a.page) != 1 || a.page[0].Service != "CheckOutItem" || a.page[0].ID != 3 {
		t.Fatalf("waited for %+v, %v", a.page, a.err)
	}
	for _, bad := range []string{"wait=forever", "wait=2h", "wiat=1s"} {
		resp, err := http.Get(srv.URL + "/_sim/journal?" + bad)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d %s", bad, resp.StatusCode, b)
		}
	}
	// Nothing comes: the wait ends empty.
	resp, err = http.Get(srv.URL + "/_sim/journal?wait=1ms&after=3")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("empty wait: HTTP %d %s", resp.StatusCode, b)
	}
}
