package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/benchkit"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
)

// BenchmarkALMAFile100kProcess is DESIGN §3's big-file target measured on
// the engine alone: `annex up --config` runs the facility as its own
// process, so its peak resident set (VmHWM) is the engine's and nothing
// else's. Mock ALMA, in this process, holds 100,000 items each with a PATRON_PHYSICAL
// request; its export (a 100,000-request rsExport file) is uploaded by
// SFTP, the floor retrieves every item through the REST API in pick lists
// of 1,000, two pickers at once, and the clock stops when mock ALMA has
// received all 100,000 CheckOutItems. Targets: ≤ 30 s, ≤ 150 MB.
//
// The facility's 100,000 items are seeded into its store before annex up
// starts (a facility file lists a demo inventory, not a warehouse).
// ANNEX_BENCH_ITEMS changes the size, ANNEX_BENCH_BUDGET the time allowed.
func BenchmarkALMAFile100kProcess(b *testing.B) {
	n := benchkit.Items(b)
	budget := benchkit.Budget(b)
	bin := buildAnnex(b)
	for b.Loop() {
		b.StopTimer()
		as, err := alma.Start(alma.Config{Agencies: []string{"CAIASOFT"}, State: crashALMAState(n),
			JournalMax: 16, // the journal is not the subject; it numbers every exchange anyway
			Logger:     slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		data := filepath.Join(dir, "data")
		facFile := writeCrashConfig(b, dir, as.NCIPURL(), 0, 64)
		seedInventory(b, facFile, data, n)
		name, file, ids, err := as.BuildExport()
		if err != nil || len(ids) != n {
			b.Fatalf("mock ALMA's export: %d requests, %v", len(ids), err)
		}
		proc := newAnnexProcess(b, bin, "up", "--config", facFile, "--data", data, "--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0")
		if err := proc.start(); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		_, engineURL, sftpAddr, err := proc.up(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		pid := proc.cmd.Process.Pid
		b.StartTimer()

		start := time.Now()
		if err := uploadFile(sftpAddr, name, file); err != nil {
			b.Fatal(err)
		}
		// The SFTP server hands the file to the engine before it answers
		// the close: every request is decided now.
		ingested := time.Since(start)
		var retrieved atomic.Int64
		var wg sync.WaitGroup
		lists := make(chan []string, 4)
		client := &http.Client{Timeout: time.Minute}
		for range 2 {
			wg.Go(func() {
				for list := range lists {
					if ctx.Err() != nil {
						continue
					}
					got, err := postPickList(ctx, client, engineURL, list)
					if err != nil {
						b.Error(err)
					}
					retrieved.Add(int64(got))
				}
			})
		}
		for i := 0; i < n; i += 1000 {
			list := make([]string, 0, 1000)
			for j := i; j < min(i+1000, n); j++ {
				list = append(list, crashBarcode(j))
			}
			lists <- list
		}
		close(lists)
		wg.Wait()
		pickedAt := time.Since(start)
		// Mock ALMA numbers its exchanges: without faults, the id of the
		// last one is the number of CheckOutItems received.
		_, waitErr := as.Journal().Wait(ctx, func(all []journal.Exchange) bool {
			return len(all) > 0 && all[len(all)-1].ID >= int64(n)
		})
		total := time.Since(start)
		b.StopTimer()
		// Read before anything else asks the engine for anything.
		hwm, rss := benchkit.Memory(pid)
		cancel()
		if waitErr != nil {
			b.Errorf("target missed by far: stopped after %v (budget %v, ANNEX_BENCH_BUDGET): %d of %d retrieved, %d CheckOutItems received by mock ALMA",
				total.Round(time.Millisecond), budget, retrieved.Load(), n, as.Journal().LastID())
		}
		inTransit := 0
		for _, it := range as.State().Items {
			if it.Status == alma.StatusInTransit {
				inTransit++
			}
		}
		if waitErr == nil && (retrieved.Load() != int64(n) || inTransit != n) {
			b.Errorf("%d of %d retrieved, %d items in transit in mock ALMA", retrieved.Load(), n, inTransit)
		}
		b.ReportMetric(float64(len(file))/1e6, "file-MB")
		b.ReportMetric(ingested.Seconds(), "s-uploaded-and-ingested")
		b.ReportMetric(pickedAt.Seconds(), "s-to-retrieved")
		b.ReportMetric(total.Seconds(), "s-total")
		b.ReportMetric(float64(hwm)/1e6, "engine-peak-RSS-MB")
		b.Logf("%d requests (%.0f MB file): uploaded and ingested at %v, retrieved at %v, all CheckOutItems at mock ALMA at %v; engine process peak RSS %.0f MB (%.0f MB at the end)",
			n, float64(len(file))/1e6, ingested.Round(time.Millisecond), pickedAt.Round(time.Millisecond), total.Round(time.Millisecond),
			float64(hwm)/1e6, float64(rss)/1e6)
		if _, err := proc.interrupt(); err != nil {
			b.Error(err)
		}
		as.Close()
		b.StartTimer()
	}
}

// seedInventory opens the facility's store once with n items in its
// inventory, as a facility's first start seeds it, and closes it again.
func seedInventory(b *testing.B, facFile, data string, n int) {
	fac, profs, err := profile.LoadFacility(facFile)
	if err != nil {
		b.Fatal(err)
	}
	fac.Inventory = make([]profile.InventoryItem, 0, n)
	for i := range n {
		fac.Inventory = append(fac.Inventory, profile.InventoryItem{Barcode: crashBarcode(i), Collection: "MAIN-ANNEX",
			Material: "BOOK", Tray: fmt.Sprintf("R%02d-S%02d-T%04d", i/100000, i/10000%10, i%10000), Profile: profs[0].Name})
	}
	e, err := engine.Open(context.Background(), engine.Config{Facility: fac, Profiles: profs, DataDir: data,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
}

// postPickList retrieves one pick list through the engine's REST API and
// returns how many of its items were retrieved.
func postPickList(ctx context.Context, client *http.Client, engineURL string, barcodes []string) (int, error) {
	body, _ := json.Marshal(map[string][]string{"barcodes": barcodes})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, engineURL+"/api/floor/v1/picklist", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", crashAPIKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("pick list: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct{ Barcode, Error string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("pick list: HTTP %d: %v", resp.StatusCode, err)
	}
	ok := 0
	for _, r := range out.Results {
		if r.Error != "" {
			return ok, fmt.Errorf("pick list: %s: %s", r.Barcode, r.Error)
		}
		ok++
	}
	return ok, nil
}
