package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/benchkit"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
)

// pickers work pick lists of pickList items at once.
const (
	pickers  = 2
	pickList = 1000
)

// BenchmarkALMAFile100k is DESIGN §3's big-file target: a 100,000-request
// ALMA export lands in the inbox → FileArrived → all accepted → 100,000
// retrievals → every CheckOutItem delivered to mock ALMA. Targets: ≤ 30 s,
// ≤ 150 MB peak.
//
// The engine and mock ALMA share this process, so memory is reported three
// ways: peak-heap-MB (sampled HeapInuse, everything), engine-heap-MB (that
// peak less the heap in use before the file arrived: mock ALMA's 100,000
// items, the engine's seeded store, the test's own data) and peak-RSS-MB
// (VmHWM, reset before the file arrives, so it is the timed part's peak
// resident set of the whole process). ANNEX_BENCH_ITEMS sets another
// size (benchkit.Items).
func BenchmarkALMAFile100k(b *testing.B) {
	n := benchkit.Items(b)
	ctx := context.Background()
	iter := 0
	for b.Loop() {
		b.StopTimer()
		iter++
		batch := fmt.Sprintf("B%d", iter)
		acfg := alma.DemoConfig()
		// Requests unknown to ALMA: each CheckOutItem is a Scan In that puts
		// the item in place, in O(1). Marked requested first, so the count
		// of items in place afterwards is the count ALMA acted on.
		acfg.State = almaState(n, false)
		for i := range acfg.State.Items {
			acfg.State.Items[i].Status = alma.StatusRequested
		}
		acfg.JournalMax = 16 // the journal is not the subject; 100,000 exchanges would be ~300 MB
		w, _ := startWorld(b, n, &acfg, profile.Retry{Concurrency: 64})
		inbox := w.Engine.InboxDir("alma-demo")
		name := "01ANNEX_INST_ANNEX_requests_" + batch + ".xml"
		// Written under a hidden name and renamed in, as an SFTP upload lands.
		tmp := filepath.Join(inbox, "."+name)
		f, err := os.Create(tmp)
		if err != nil {
			b.Fatal(err)
		}
		if err := writeRSExport(f, batch, 0, n); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(tmp)
		if err := os.Rename(tmp, filepath.Join(inbox, name)); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		base := heapInuse()
		benchkit.ResetPeak(b)
		peak := sampleHeap()
		b.StartTimer()

		start := time.Now()
		budget, cancel := context.WithTimeout(ctx, benchkit.Budget(b))
		if err := w.Engine.FileArrived(budget, filepath.Join(inbox, name)); err != nil {
			b.Fatal(err)
		}
		intake := time.Since(start)
		var retrievedN atomic.Int64
		var wg sync.WaitGroup
		next := make(chan []string, 4)
		// The floor works pick lists, as a facility does with a big file:
		// each list is retrieved in one transaction (engine.RetrieveMany).
		for range pickers {
			wg.Go(func() {
				for list := range next {
					if budget.Err() != nil {
						continue
					}
					errs, err := w.Engine.RetrieveMany(budget, list)
					if err != nil {
						if budget.Err() == nil {
							b.Error(err)
						}
						continue
					}
					for _, e := range errs {
						if e != nil {
							b.Error(e)
							continue
						}
						retrievedN.Add(1)
					}
				}
			})
		}
		for i := 0; i < n; i += pickList {
			list := make([]string, 0, pickList)
			for j := i; j < min(i+pickList, n); j++ {
				list = append(list, barcodeOf(j))
			}
			next <- list
		}
		close(next)
		wg.Wait()
		retrieved := time.Since(start)
		// Mock ALMA's journal numbers its exchanges, so the id of the last
		// one counts them all (there are no faults: one exchange per
		// message); the journal keeps only a few, which keeps each wake cheap.
		_, waitErr := w.ALMA.Journal().Wait(budget, func(all []journal.Exchange) bool {
			return len(all) > 0 && all[len(all)-1].ID >= int64(n)
		})
		if waitErr == nil {
			waitErr = w.Engine.WaitIdle(budget) // the last outcomes recorded
		}
		total := time.Since(start)
		cancel()
		if waitErr != nil {
			b.Errorf("target missed by far: stopped after %v (budget %v, ANNEX_BENCH_BUDGET): %d of %d retrieved, %d CheckOutItems received by ALMA",
				total.Round(time.Millisecond), benchkit.Budget(b), retrievedN.Load(), n, w.ALMA.Journal().LastID())
		}

		b.StopTimer()
		peakHeap := peak()
		hwm, _ := benchkit.Memory(0)
		b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
		b.ReportMetric(intake.Seconds(), "s-intake")
		b.ReportMetric(retrieved.Seconds(), "s-to-retrieved")
		b.ReportMetric(total.Seconds(), "s-total")
		b.ReportMetric(float64(peakHeap)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(peakHeap-min(base, peakHeap))/1e6, "engine-heap-MB")
		if hwm > 0 {
			b.ReportMetric(float64(hwm)/1e6, "peak-RSS-MB")
		}
		// Checked after the clock stopped: the listings are large.
		reqs, err := w.Engine.Requests(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got := countStatus(reqs, store.RequestRetrieved); waitErr == nil && got != n {
			b.Errorf("%d of %d requests retrieved", got, n)
		}
		reqs = nil
		outbox, err := w.Engine.Outbox(ctx)
		if err != nil {
			b.Fatal(err)
		}
		delivered := 0
		for _, m := range outbox {
			if m.Service == "CheckOutItem" && m.Status == store.MsgDelivered {
				delivered++
			}
		}
		outbox = nil
		placed := 0
		for _, it := range w.ALMA.State().Items {
			if it.Status == alma.StatusInPlace {
				placed++
			}
		}
		b.ReportMetric(float64(delivered), "delivered")
		if waitErr == nil && (delivered != n || placed != n) {
			b.Errorf("%d of %d CheckOutItem delivered, %d items scanned in by ALMA", delivered, n, placed)
		}
		b.Logf("%d requests (%.0f MB file): intake %v, retrieved at %v, delivered at %v (%d delivered, %d scanned in by ALMA); heap peak %.0f MB (%.0f MB before), VmHWM %.0f MB",
			n, float64(fi.Size())/1e6, intake.Round(time.Millisecond), retrieved.Round(time.Millisecond), total.Round(time.Millisecond),
			delivered, placed, float64(peakHeap)/1e6, float64(base)/1e6, float64(hwm)/1e6)
		closeWorld(b, w)
		b.StartTimer()
	}
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// sampleHeap samples HeapInuse every 20ms until the returned function is
// called, which stops it and returns the peak. A sampler has to tick: the
// heap has no event to wait on.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	peak.Store(heapInuse())
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h := heapInuse(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		if h := heapInuse(); h > peak.Load() {
			peak.Store(h)
		}
		return peak.Load()
	}
}

// BenchmarkSFTP1000Files is DESIGN §3's upload target end to end: 1,000
// small rsExport files (one request each) uploaded over one SFTP session to
// the facility's SFTP server, each ingested by the engine. Target: ≤ 2 s.
func BenchmarkSFTP1000Files(b *testing.B) {
	const files = 1000
	w, _ := startWorld(b, files, nil, profile.Retry{})
	_, profs := profile.DemoFacility()
	acct := profs[0].Intake.SFTP
	client := dialSFTP(b, w.SFTP.Addr(), acct.Account, acct.Password)
	if err := client.MkdirAll(acct.Directory); err != nil {
		b.Fatal(err)
	}
	// Built before the clock starts: the subject is the transfer and the intake.
	var bodies [][]byte
	fill := func(batch string) {
		bodies = bodies[:0]
		for i := range files {
			var buf bytes.Buffer
			writeRSExport(&buf, batch, i, 1)
			bodies = append(bodies, buf.Bytes())
		}
	}
	ctx := context.Background()
	iter := 0
	for b.Loop() {
		b.StopTimer()
		iter++
		batch := fmt.Sprintf("S%d", iter)
		fill(batch)
		b.StartTimer()
		for i, body := range bodies {
			f, err := client.Create(fmt.Sprintf("%s/%s-%04d.xml", acct.Directory, batch, i))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Write(body); err != nil {
				b.Fatal(err)
			}
			// The SFTP server hands the file to the engine before the close
			// is answered, so when the last close returns all are ingested.
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reqs, err := w.Engine.Requests(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got := countStatus(reqs, store.RequestAccepted); got != files*iter {
			b.Fatalf("after %d uploads, %d requests accepted, want %d", files*iter, got, files*iter)
		}
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1000files")
}

func dialSFTP(b *testing.B, addr, user, password string) *sftp.Client {
	b.Helper()
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
		// The server's key was generated for this test a moment ago; there is nothing to pin it to.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
	conn, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	c, err := sftp.NewClient(conn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
