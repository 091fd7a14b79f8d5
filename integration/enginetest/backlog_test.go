package enginetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/store"
)

// TestOutboxScalesWithBacklog shows why BenchmarkALMAFile100k delivers
// only a few thousand of its 100,000 CheckOutItems in five minutes: the
// sender asks the store for the next due messages (store.Due, 4 at a time)
// before every batch, and WaitIdle counts the pending ones (store.AnyPending)
// after every outcome; both cost time in proportion to the backlog, so
// draining a backlog of n messages costs O(n²). Due is asserted on;
// Pending is reported.
//
// The test measures each query with 1,000 and with 50,000 messages
// pending, in the same store, and wants the cost to stay nearly flat (an
// indexed query grows with log n). A ratio, not a time, so a slow or
// loaded machine does not change the verdict.
func TestOutboxScalesWithBacklog(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	enqueue := func(from, to int) {
		t.Helper()
		now := time.Now()
		err := st.Tx(ctx, func(tx *store.Tx) error {
			for i := from; i < to; i++ {
				if _, err := tx.Enqueue(checkOut(i, now)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// median of 15 runs of a query, so one scheduling hiccup does not count.
	median := func(q func() error) time.Duration {
		t.Helper()
		var ds []time.Duration
		for range 15 {
			start := time.Now()
			if err := q(); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	due := func() error {
		msgs, err := st.Due(ctx, "alma-demo", time.Now(), nil, 4)
		if err == nil && len(msgs) != 4 {
			t.Fatalf("due: %d messages, want 4", len(msgs))
		}
		return err
	}
	pending := func() error { _, err := st.AnyPending(ctx); return err }

	const small, large = 1000, 50000
	enqueue(0, small)
	dueSmall, pendingSmall := median(due), median(pending)
	enqueue(small, large)
	dueLarge, pendingLarge := median(due), median(pending)
	t.Logf("store.Due(4): %v with %d pending, %v with %d pending", dueSmall, small, dueLarge, large)
	t.Logf("store.AnyPending: %v with %d pending, %v with %d pending", pendingSmall, small, pendingLarge, large)
	// 50× the backlog; an indexed lookup stays within a small factor.
	const maxRatio = 5
	if r := float64(dueLarge) / float64(dueSmall); r > maxRatio {
		t.Errorf("store.Due grows with the backlog: %.0f× slower with %d pending than with %d (%v vs %v); "+
			"at 100,000 pending the sender spends its time choosing messages instead of sending them", r, large, small, dueLarge, dueSmall)
	}
	// A count is linear by nature; what matters is that WaitIdle, which
	// only needs to know whether anything is pending, runs it after every
	// outcome. Reported, not asserted, so either fix passes.
	if r := float64(pendingLarge) / float64(pendingSmall); r > maxRatio {
		t.Logf("note: store.AnyPending is %.0f× slower with %d pending; WaitIdle runs it after every outcome", r, large)
	}
}
