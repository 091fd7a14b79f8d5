package engine_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"
)

// A pick list retrieves every item it can in one transaction and reports
// the ones it cannot, each with its own reason, without stopping the rest.
func TestPickList(t *testing.T) {
	w, base := newServedALMAWorld(t)
	key := w.cfg.Facility.APIKey
	w.export(t)

	var out struct {
		Success bool
		Results []struct{ Barcode, Error string }
	}
	postJSON(t, base+"/api/floor/v1/picklist", key, map[string]any{"barcodes": []string{"39015000000001", "nope", "39015000000002", "39015000000001"}},
		http.StatusOK, &out)
	if !out.Success || len(out.Results) != 4 {
		t.Fatalf("reply: %+v", out)
	}
	for i, want := range []string{"", "unknown item", "", "not in storage"} {
		got := out.Results[i].Error
		if (want == "") != (got == "") || (want != "" && !strings.Contains(got, want)) {
			t.Errorf("result %d (%s): error %q, want %q", i, out.Results[i].Barcode, got, want)
		}
	}
	waitIdle(t, w.eng)
	for _, bc := range []string{"39015000000001", "39015000000002"} {
		if m := outboxFor(t, w.eng, "CheckOutItem", bc); m.Status != store.MsgDelivered {
			t.Errorf("CheckOutItem for %s: %+v", bc, m)
		}
		if it := almaItem(t, w.state(t), bc); it.Status != alma.StatusInTransit {
			t.Errorf("item %s in mock ALMA: %+v", bc, it)
		}
	}
	postJSON(t, base+"/api/floor/v1/picklist", key, map[string]any{"barcodes": []string{}}, http.StatusBadRequest, nil)
}
