package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
)

// BenchmarkItemStatusList500 is one POST /api/itemstatuslist/v1 of 500
// barcodes (CaiaSoft's batch limit) over HTTP, against an inventory of
// 100,000 items. Target: ≤ 20 ms per call.
func BenchmarkItemStatusList500(b *testing.B) {
	const inventory = 100_000
	w := newCaiaWorld(b, func(c *engine.Config) {
		for i := range inventory {
			c.Facility.Inventory = append(c.Facility.Inventory, profile.InventoryItem{Barcode: fmt.Sprintf("3901580%07d", i),
				Collection: "MAIN-ANNEX", Profile: "alma-demo"})
		}
	})
	barcodes := make([]string, caiasoft.MaxBatch)
	for i := range barcodes {
		barcodes[i] = fmt.Sprintf("3901580%07d", i*(inventory/caiasoft.MaxBatch)+7)
	}
	body, _ := json.Marshal(map[string]any{"barcodes": barcodes})
	b.ReportAllocs()
	for b.Loop() {
		code, raw := w.call(b, http.MethodPost, "/api/itemstatuslist/v1", w.facilityKey, string(body))
		if code != http.StatusOK {
			b.Fatalf("%d %s", code, raw)
		}
	}
	var reply caiasoft.ItemStatusListReply
	_, raw := w.call(b, http.MethodPost, "/api/itemstatuslist/v1", w.facilityKey, string(body))
	if err := json.Unmarshal(raw, &reply); err != nil || reply.ItemCount != "500" || reply.Items[499].Status != caiasoft.StatusAtRest {
		b.Fatalf("reply: %v %.200s", err, raw)
	}
}
