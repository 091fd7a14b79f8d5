package engine_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/store"
)

// benchItems is the size of the inventory the read side's benchmarks search.
const benchItems = 100_000

// bigHistory is an inventory of n accessioned items with real-looking
// bibliographic data (titles of three to six words drawn from a fixed
// vocabulary, seeded, so every run searches the same data).
func bigHistory(n int) []historyItem {
	words := strings.Fields(`history of the american civil war letters journal science chemistry physics
		introduction to modern art music theory law review economics annual report proceedings conference
		poetry collected works volume selected essays medieval europe china japan africa latin america
		statistics handbook engineering mathematics analysis biology ecology river ocean mountain city
		philosophy religion education children literature novel drama theatre film photography maps atlas`)
	authors := strings.Fields(`Smith Jones Brown Garcia Miller Davis Martinez Lopez Wilson Anderson Thomas Taylor Moore Jackson`)
	r := rand.New(rand.NewPCG(12, 2025))
	out := make([]historyItem, n)
	for i := range out {
		title := make([]string, 3+r.IntN(4))
		for j := range title {
			title[j] = words[r.IntN(len(words))]
		}
		title[0] = strings.ToUpper(title[0][:1]) + title[0][1:]
		bc := fmt.Sprintf("3901502%07d", i)
		out[i] = historyItem{item: store.Item{Barcode: bc, Profile: "alma-demo", Collection: "MAIN-ANNEX", Material: "BOOK",
			Tray: fmt.Sprintf("R%02d-S%02d-T%02d", i/10000, i/100%100, i%100), Status: caiasoft.StatusAtRest,
			Title: strings.Join(title, " "), Author: authors[r.IntN(len(authors))] + ", " + string(rune('A'+r.IntN(26))) + ".",
			CallNumber: fmt.Sprintf("QA%d .%c%d", 1+r.IntN(999), 'A'+r.IntN(26), r.IntN(100)), Accessioned: day(10), Updated: day(10)},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", "")}}
	}
	return out
}

// BenchmarkInventoryAPI measures the read side over HTTP on an inventory
// of 100,000 items (DESIGN §1.3, issue 12's targets: union_title ≤ 50 ms):
// a union_title search for a rare word and for a common one (capped at
// caiasoft.MaxSearch items), union_author, union_callnumber, and
// itemsbybarcode with 500 barcodes.
func BenchmarkInventoryAPI(b *testing.B) {
	dir := b.TempDir()
	seedHistory(b, dir, bigHistory(benchItems))
	w := openInventoryWorld(b, dir)
	bcs := make([]string, caiasoft.MaxBatch)
	for i := range bcs {
		bcs[i] = fmt.Sprintf("3901502%07d", i*(benchItems/caiasoft.MaxBatch))
	}
	batch, _ := json.Marshal(map[string][]string{"barcodes": bcs})
	for _, c := range []struct {
		name, method, path, body string
		minItems                 int
	}{
		{"union_title/rare", "POST", "/api/union_title/v1", `{"title":"ology handbook mountain"}`, 1},
		{"union_title/common", "POST", "/api/union_title/v1", `{"title":"history"}`, caiasoft.MaxSearch},
		{"union_author", "POST", "/api/union_author/v1", `{"author":"martinez, q"}`, 1},
		{"union_callnumber", "POST", "/api/union_callnumber/v1", `{"callnumber":"qa12 .b"}`, 1},
		{"itemsbybarcode/500", "POST", "/api/itemsbybarcode/v1", string(batch), caiasoft.MaxBatch},
	} {
		b.Run(c.name, func(b *testing.B) {
			var reply struct {
				Success bool              `json:"success"`
				Items   []json.RawMessage `json:"items"`
			}
			for b.Loop() {
				status, body := w.call(b, c.method, c.path, w.key, c.body)
				if status != http.StatusOK {
					b.Fatalf("status %d: %s", status, body)
				}
				reply.Items = reply.Items[:0]
				if err := json.Unmarshal(body, &reply); err != nil || !reply.Success || len(reply.Items) < c.minItems {
					b.Fatalf("%d items (want ≥ %d), %v: %.300s", len(reply.Items), c.minItems, err, body)
				}
			}
			b.ReportMetric(float64(len(reply.Items)), "items/op")
		})
	}
}
