package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/mailer"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/smtp"
)

// TestCrashSafetyMail (issue 15): alert emails survive kill -9. Mock ALMA
// exports n requests, half of them for items the facility does not hold
// (denied: one email each), the other half retrieved in a pick list
// (fulfilled once ALMA took the CheckOutItem: one email each). `annex up`
// is killed with SIGKILL several times while the emails leave, once while
// the mail server drops every connection ("SMTP down", lifted after the
// restart). The catcher dedups by Message-ID (ignore_duplicate_ids, as
// Mailpit does). In the end it holds exactly one message for every alert:
// 0 lost, 0 duplicates. A message sent again after a kill that came
// between the server's 250 and the store's commit carries the same
// Message-ID, so the catcher recognises it: the test reports how many,
// and allows at most one per connection the mailer had open (8) per kill.
func TestCrashSafetyMail(t *testing.T) {
	bin := buildAnnex(t)
	seed := crashSeed(t)
	t.Logf("seed %d (repeat with ANNEX_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x3a11))
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	const n, held, kills = 300, 150, 6
	const from, to = "annex@facility.example.edu", "annex-staff@library.example.edu"

	catcher, err := smtp.Start(smtp.Config{Domains: []string{"library.example.edu"}, IgnoreDuplicateIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer catcher.Close()
	as, err := alma.Start(alma.Config{Agencies: []string{"CAIASOFT"}, State: crashALMAState(n), JournalMax: 10 * n, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	dir := t.TempDir()
	facFile := writeCrashConfig(t, dir, as.NCIPURL(), held, 4)
	host, port, _ := net.SplitHostPort(catcher.Addr())
	appendFile(t, facFile, fmt.Sprintf("smtp: {host: %q, port: %s, security: none, timeout: 2s}\n", host, port))
	appendFile(t, filepath.Join(dir, "alma.yaml"), fmt.Sprintf("alerts:\n  email: {to: [%s], from: %s, kinds: [denial, fulfilment], grouping: event}\n", to, from))
	proc := newAnnexProcess(t, bin, "up", "--config", facFile, "--data", filepath.Join(dir, "data"), "--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0")
	if err := proc.start(); err != nil {
		t.Fatal(err)
	}
	defer proc.kill()
	_, engine, sftpAddr, err := proc.up(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := uploadExport(t, sftpAddr, as); got != n {
		t.Fatalf("exported %d requests, want %d", got, n)
	}
	barcodes := make([]string, held)
	for i := range held {
		barcodes[i] = crashBarcode(i)
	}
	body, _ := json.Marshal(map[string][]string{"barcodes": barcodes})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, engine+"/api/floor/v1/picklist", bytes.NewReader(body))
	req.Header.Set("X-API-Key", crashAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pick list: HTTP %d", resp.StatusCode)
	}

	// Kill at random counts of caught mail: wherever the delivery is.
	marks := make([]int, kills)
	for i := range marks {
		marks[i] = 1 + rng.IntN(n-1)
	}
	slices.Sort(marks)
	for i, mark := range marks {
		if _, err := catcher.Wait(ctx, smtp.Filter{}, mark); err != nil {
			t.Fatalf("kill %d: waiting for %d caught messages: %v", i+1, mark, err)
		}
		down := i == kills/2
		var fault smtp.Fault
		if down {
			if fault, err = catcher.AddFault(smtp.Fault{Kind: smtp.Drop, Stage: smtp.StageMail}); err != nil {
				t.Fatal(err)
			}
		}
		if err := proc.kill(); err != nil {
			t.Fatal(err)
		}
		if err := proc.start(); err != nil {
			t.Fatal(err)
		}
		if down {
			removeFault(t, catcher, fault.ID)
		}
	}

	// Every alert's message arrives, however many times it was sent.
	var alerts []store.Alert
	for {
		_, engine, _, err := proc.up(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if alerts, err = apiList[store.Alert](ctx, engine, "/api/alerts/v1", "alerts"); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, a := range alerts {
			if a.Kind == store.AlertDenial || a.Kind == store.AlertFulfilment {
				want["<"+mailer.MessageID(a.ID, "alma-crash", from)+">"] = true
			}
		}
		caught := catcher.Messages(0, 10*n, smtp.Filter{})
		seen := map[string]int{}
		for _, m := range caught {
			seen[m.MessageID]++
		}
		missing := 0
		for id := range want {
			if seen[id] == 0 {
				missing++
			}
		}
		if len(want) == n && missing == 0 {
			unknown, dups := 0, 0
			for id, c := range seen {
				dups += c - 1
				if !want[id] {
					unknown++
				}
			}
			resent := catcher.JournalStats().Duplicates
			t.Logf("%d alerts emailed through %d kills (one with SMTP down): %d messages kept by the catcher, 0 lost, %d duplicates kept; %d resent after a kill and recognised by Message-ID",
				len(want), kills, len(caught), dups, resent)
			if unknown > 0 || dups > 0 || len(caught) != n {
				t.Errorf("the catcher kept %d messages (%d duplicates, %d with no alert); want exactly %d", len(caught), dups, unknown, n)
			}
			if resent > int64(kills*mailer.DefaultConcurrency) {
				t.Errorf("%d messages resent, more than one per connection per kill (%d)", resent, kills*mailer.DefaultConcurrency)
			}
			return
		}
		// Not all there yet: wait for the catcher's next message.
		if _, err := catcher.Wait(ctx, smtp.Filter{}, len(caught)+1); err != nil {
			t.Fatalf("%d of %d alerts emailed, %d owed emails missing (%d alerts recorded): %v", len(want)-missing, n, missing, len(alerts), err)
		}
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func removeFault(t *testing.T, c *smtp.Server, id int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/_sim/faults/%d", c.URL(), id), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove fault %d: HTTP %d", id, resp.StatusCode)
	}
}
