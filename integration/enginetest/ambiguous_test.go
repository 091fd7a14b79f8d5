package enginetest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/faults"
)

// TestIssue11NoDoubleEffectAfterAmbiguousFailure is issue 11, item 11:
// mock ALMA processes a CheckOutItem and answers only after the engine's
// attempt timeout (a latency fault after processing), so the engine cannot
// know the item is already in transit. Before the fix it resent, and the
// second CheckOutItem found no open request and loaned the item out: a
// second business effect. Now the engine asks first (LookupItem), sees the
// item in transit and records the message delivered, reconciled: every
// item is in transit exactly once, and the lookups are in ALMA's journal.
func TestIssue11NoDoubleEffectAfterAmbiguousFailure(t *testing.T) {
	const n, late = 20, 5
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	acfg := alma.DemoConfig()
	acfg.State = almaState(n, true)
	acfg.JournalMax = 10000
	// The late answer would come long after the attempt timeout; ALMA's
	// handler gives up as soon as the engine does, so nobody waits for it.
	timeout := 500 * time.Millisecond
	retry := profile.Retry{Initial: profile.Duration(time.Millisecond), Max: profile.Duration(5 * time.Millisecond),
		Timeout: profile.Duration(timeout), Concurrency: 4}
	w, fac := startWorld(t, n, &acfg, retry)
	if res, err := w.ALMA.Export(ctx); err != nil || res.Requests != n {
		t.Fatalf("export: %+v, %v", res, err)
	}
	simCall(t, http.MethodPost, w.ALMA.URL()+"/_sim/faults", faults.Fault{Service: "CheckOutItem", Count: late,
		AfterProcessing: true, Kind: faults.LatencyFault{Latency: faults.Duration(time.Hour)}}, http.StatusCreated, nil)
	since := w.ALMA.Journal().LastID()
	floorAll(t, ctx, w.EngineURL, fac.APIKey, "retrieve", n)
	if err := w.Engine.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}

	for _, it := range w.ALMA.State().Items {
		if it.Status != alma.StatusInTransit {
			t.Errorf("ALMA item %s is %s (loan %+v), want in_transit: a CheckOutItem took effect twice", it.Barcode, it.Status, it.Loan)
		}
	}
	outbox, err := w.Engine.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reconciled := map[string]bool{}
	for _, m := range outbox {
		if m.Service != "CheckOutItem" {
			continue
		}
		if m.Status != store.MsgDelivered {
			t.Errorf("CheckOutItem for %s is %s, want delivered", m.Barcode, m.Status)
		}
		if m.Reconciled {
			reconciled[m.Barcode] = true
		}
	}
	if len(reconciled) != late {
		t.Errorf("%d CheckOutItems recorded delivered after reconciliation, want %d (one per late answer)", len(reconciled), late)
	}
	lookedUp := map[string]int{}
	for _, e := range w.ALMA.Journal().Since(since) {
		if e.Direction != "in" || e.Service != "LookupItem" {
			continue
		}
		msg, _, err := ncip.Decode(e.Request, ncip.ParseOptions{})
		if err != nil {
			t.Fatalf("journal: LookupItem does not decode: %v", err)
		}
		q := msg.Body.(*ncip.LookupItem)
		lookedUp[q.ItemId.ItemIdentifierValue]++
		if len(e.Problems) > 0 {
			t.Errorf("ALMA answered the LookupItem for %s with %v", q.ItemId.ItemIdentifierValue, e.Problems)
		}
	}
	for b := range reconciled {
		if lookedUp[b] == 0 {
			t.Errorf("%s is recorded reconciled, but ALMA's journal has no LookupItem for it", b)
		}
	}
	t.Logf("%d retrievals, %d late answers: %d reconciled by %d LookupItems", n, late, len(reconciled), len(lookedUp))
}
