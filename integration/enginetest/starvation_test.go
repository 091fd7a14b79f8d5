package enginetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/store"
)

// TestStoreWritersAreNotStarved shows why BenchmarkALMAFile100k saw
// "retrieve: begin: database is locked (5) (SQLITE_BUSY)": the store
// leaves concurrent writers to SQLite's busy handler, which polls with
// growing sleeps (up to 100ms) while the others take turns, so under
// steady load one writer can lose every race for the whole busy_timeout
// (10 s) and fail, and others wait seconds. A floor operation, an intake
// and the outbox's outcome records all write; on a busy floor they are
// concurrent.
//
// Twelve writers commit as fast as they can for three seconds; with fair
// turns each waits about twelve commits (tens of milliseconds). The test
// wants no transaction to wait a second or to fail.
func TestStoreWritersAreNotStarved(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const writers = 12
	stop := make(chan struct{})
	// A timer bounds the load; the writers' progress is what is measured.
	time.AfterFunc(3*time.Second, func() { close(stop) })
	var commits, failures atomic.Int64
	var worst atomic.Int64
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				err := st.Tx(ctx, func(tx *store.Tx) error {
					_, err := tx.Enqueue(checkOut(g*1000000+i, start))
					return err
				})
				if d := int64(time.Since(start)); d > worst.Load() {
					worst.Store(d) // racy maximum, good enough: only the order of magnitude matters
				}
				if err != nil {
					failures.Add(1)
					t.Errorf("writer %d: %v", g, err)
					continue
				}
				commits.Add(1)
			}
		})
	}
	wg.Wait()
	w := time.Duration(worst.Load())
	t.Logf("%d writers: %d commits, %d failures, longest transaction %v", writers, commits.Load(), failures.Load(), w.Round(time.Millisecond))
	if w > time.Second {
		t.Errorf("a writer waited %v for its turn while %d others committed %d transactions: writers are starved, not queued",
			w.Round(time.Millisecond), writers-1, commits.Load())
	}
}
