package enginetest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

// faultSeed makes mock ALMA's fault draws repeatable: the same seed picks
// the same faults for the same sequence of messages (the engine's sending
// order still varies with scheduling, so the counts vary a little).
const faultSeed = 20250314

// TestFaultsExactlyOnce is DESIGN §3 "Nothing lost" against a flaky
// library system: with mock ALMA answering about 30% of NCIP messages with
// a 503, a connection reset or no answer at all, 200 retrievals and 200
// refiles each reach ALMA and are processed there exactly once, and ALMA
// ends with every item back in place. Then an NCIP Problem is final: one
// exchange, an alert, no retry.
func TestFaultsExactlyOnce(t *testing.T) {
	const n = 200
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	acfg := alma.DemoConfig()
	acfg.State = almaState(n, true)
	acfg.FaultSeed = faultSeed
	acfg.JournalMax = 100000
	// A no-answer costs one attempt timeout, so the timeout is short and
	// many attempts are in flight at once. It must still be far above a
	// healthy answer (under a millisecond on loopback, tens of them under
	// -race on a loaded machine): an answer slower than the timeout is
	// resent after ALMA processed it, and would show here as a double
	// processing, which is at-least-once delivery, not a fault of the test.
	retry := profile.Retry{Initial: profile.Duration(2 * time.Millisecond), Max: profile.Duration(20 * time.Millisecond),
		Timeout: profile.Duration(time.Second), Concurrency: 16}
	w, fac := startWorld(t, n, &acfg, retry)

	res, err := w.ALMA.Export(ctx)
	if err != nil || res.Requests != n {
		t.Fatalf("export: %+v, %v", res, err)
	}
	reqs, err := w.Engine.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if accepted := countStatus(reqs, store.RequestAccepted); accepted != n {
		t.Fatalf("%d of %d requests accepted", accepted, n)
	}

	var installed []faults.Fault
	simCall(t, http.MethodPost, w.ALMA.URL()+"/_sim/faults", []faults.Fault{
		{Kind: faults.StatusFault{Status: http.StatusServiceUnavailable}, Probability: 0.1},
		{Kind: faults.ResetFault{}, Probability: 0.1},
		{Kind: faults.NoAnswerFault{}, Probability: 0.1},
	}, http.StatusCreated, &installed)

	for _, phase := range []struct{ op, service, itemStatus string }{
		{"retrieve", "CheckOutItem", alma.StatusInTransit},
		{"refile", "CheckInItem", alma.StatusInPlace},
	} {
		since := w.ALMA.Journal().LastID()
		floorAll(t, ctx, w.EngineURL, fac.APIKey, phase.op, n)
		if err := w.Engine.WaitIdle(ctx); err != nil {
			t.Fatalf("%s: %v", phase.op, err)
		}
		outbox, err := w.Engine.Outbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		delivered := 0
		for _, m := range outbox {
			if m.Service == phase.service && m.Status == store.MsgDelivered {
				delivered++
			}
		}
		if delivered != n {
			t.Errorf("%s: %d of %d %s delivered", phase.op, delivered, n, phase.service)
		}
		exchanges, byKind := 0, map[string]int{}
		done := map[string]int{}
		took := map[string][]time.Duration{} // how long ALMA took, to tell a slow answer resent after the timeout
		for _, e := range w.ALMA.Journal().Since(since) {
			if e.Service != phase.service || e.Direction != "in" {
				continue
			}
			exchanges++
			byKind[e.Fault]++
			if processed(e) {
				done[itemOf(e)]++
				took[itemOf(e)] = append(took[itemOf(e)], e.Duration)
			}
		}
		for i := range n {
			if c := done[barcodeOf(i)]; c != 1 {
				t.Errorf("%s: ALMA processed %s for %s %d times (taking %v; the attempt timeout is %v), want exactly once",
					phase.op, phase.service, barcodeOf(i), c, took[barcodeOf(i)], time.Duration(retry.Timeout))
			}
		}
		t.Logf("%s: %d %s exchanges for %d messages: %d answered, %d 503, %d reset, %d no answer",
			phase.op, exchanges, phase.service, n, byKind[""], byKind[faults.Status], byKind[faults.Reset], byKind[faults.NoAnswer])
		if faulted := exchanges - byKind[""]; faulted < n/10 {
			t.Errorf("%s: only %d of %d exchanges faulted; the fault rules did not apply", phase.op, faulted, exchanges)
		}
		st := w.ALMA.State()
		for _, it := range st.Items {
			if it.Status != phase.itemStatus {
				t.Errorf("%s: ALMA item %s is %s, want %s", phase.op, it.Barcode, it.Status, phase.itemStatus)
			}
		}
	}
	if t.Failed() {
		return
	}

	// A Problem is the library's final word on a message: surfaced, never retried.
	simCall(t, http.MethodDelete, w.ALMA.URL()+"/_sim/faults", nil, http.StatusNoContent, nil)
	simCall(t, http.MethodPost, w.ALMA.URL()+"/_sim/faults", faults.Fault{Count: 1, Service: "CheckOutItem",
		Kind: faults.ProblemFault{ProblemType: "Item Not Checked Out", ProblemDetail: "the item cannot be loaned now"}}, http.StatusCreated, nil)
	since := w.ALMA.Journal().LastID()
	target := barcodeOf(7)
	if err := floor(ctx, w.EngineURL, fac.APIKey, "retrieve", target); err != nil {
		t.Fatal(err)
	}
	if err := w.Engine.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var sent []journal.Exchange
	for _, e := range w.ALMA.Journal().Since(since) {
		if e.Direction == "in" && itemOf(e) == target {
			sent = append(sent, e)
		}
	}
	if len(sent) != 1 || sent[0].Fault != faults.Problem {
		t.Errorf("ALMA saw %d exchanges for the Problem message, want exactly 1 (a Problem is not retried): %+v", len(sent), sent)
	}
	outbox, err := w.Engine.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var last store.Message
	for _, m := range outbox {
		if m.Barcode == target && m.Service == "CheckOutItem" {
			last = m // the newest one, from this retrieval
		}
	}
	if last.Status != store.MsgFailed || last.Attempts != 1 {
		t.Errorf("the CheckOutItem answered with a Problem is %s after %d attempts, want failed after 1", last.Status, last.Attempts)
	}
	alerts, err := w.Engine.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range alerts {
		if a.Kind == store.AlertNCIPProblem && a.Barcode == target && strings.Contains(a.Message, "Item Not Checked Out") {
			found = true
		}
	}
	if !found {
		t.Errorf("no ncip_problem alert naming the Problem for %s in %d alerts", target, len(alerts))
	}
}

func countStatus(reqs []store.Request, status string) int {
	n := 0
	for _, r := range reqs {
		if r.Status == status {
			n++
		}
	}
	return n
}

// floorAll runs one floor operation on items [0, n) through the REST API,
// four callers at a time, as a busy floor would.
func floorAll(t *testing.T, ctx context.Context, engineURL, key, op string, n int) {
	t.Helper()
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				if err := floor(ctx, engineURL, key, op, barcodeOf(i)); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(fmt.Errorf("floor: %w", err))
	}
}
