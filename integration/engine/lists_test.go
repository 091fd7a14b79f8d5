package engine_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestListPaging: following next through /api/requests/v1, /api/alerts/v1
// and /api/outbox/v1 walks every row exactly once, in order; an unknown
// parameter is refused with what was meant (issue 11, item 7).
func TestListPaging(t *testing.T) {
	w := newALMAWorld(t, nil)
	base := serveAPI(t, w.eng)
	key := w.cfg.Facility.APIKey
	// Barcodes not in storage: each request is denied, raising an alert and
	// owing ALMA a CancelRequestItem, so every listing has rows.
	const n = 23
	var reqs []map[string]string
	for i := range n {
		reqs = append(reqs, map[string]string{"barcode": fmt.Sprintf("NOPE%03d", i), "request_type": "PYR",
			"stop": "MAIN-CIRC", "request_id": fmt.Sprintf("PG-%03d", i)})
	}
	postJSON(t, base+"/api/circrequests/v1", key, map[string]any{"requests": reqs}, http.StatusOK, nil)

	for _, list := range []struct{ path, key string }{
		{"/api/requests/v1", "requests"}, {"/api/alerts/v1", "alerts"}, {"/api/outbox/v1", "messages"},
	} {
		seen := map[string]int{}
		var order []int64
		next, pages := list.path+"?limit=5", 0
		for next != "" {
			var page map[string]any
			getAPI(t, base+next, key, &page)
			pages++
			rows, _ := page[list.key].([]any)
			if page["count"] != fmt.Sprint(len(rows)) {
				t.Errorf("%s: count %v for %d rows", next, page["count"], len(rows))
			}
			for _, r := range rows {
				m := r.(map[string]any)
				id := fmt.Sprint(m["id"])
				seen[id]++
				cur := m["id"]
				if list.key == "requests" {
					cur = m["seq"]
				}
				order = append(order, int64(cur.(float64)))
			}
			next, _ = page["next"].(string)
			if next != "" && len(rows) != 5 {
				t.Errorf("%s: a page before the last has %d rows", list.path, len(rows))
			}
		}
		if len(seen) < n || pages != (len(seen)+4)/5 {
			t.Errorf("%s: %d rows in %d pages, want at least %d in pages of 5", list.path, len(seen), pages, n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%s: row %s seen %d times", list.path, id, c)
			}
		}
		for i := 1; i < len(order); i++ {
			if order[i] <= order[i-1] {
				t.Errorf("%s: cursor goes from %d to %d", list.path, order[i-1], order[i])
			}
		}
	}
	for q, want := range map[string]string{"limt=5": "did you mean limit?", "limit=10001": "from 1 to 10000", "after=x": "last row"} {
		if b := do(t, apiRequest(t, http.MethodGet, base+"/api/requests/v1?"+q, key, nil), http.StatusBadRequest, nil); !strings.Contains(string(b), want) {
			t.Errorf("%s: %s, want %q", q, b, want)
		}
	}
}
