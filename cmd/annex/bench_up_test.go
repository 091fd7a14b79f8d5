package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkUpListening is DESIGN §3's start-up target: from starting the
// built annex binary (`annex up` with the embedded demo: engine, SFTP,
// mock ALMA and mock ALEPH, every port ephemeral) to its "ready" line, and
// to the engine answering /healthz. Target: ≤ 300 ms. Each run gets a
// fresh data directory, so it includes creating the store, seeding the
// demo inventory and generating the SFTP host key: a first start.
func BenchmarkUpListening(b *testing.B) {
	bin := buildAnnex(b)
	client := &http.Client{Timeout: 5 * time.Second}
	var toReady, toHealthz time.Duration
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		data := filepath.Join(dir, "data", strconv.Itoa(i))
		proc := newAnnexProcess(b, bin, "up", "--data", data, "--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0",
			"--alma", "127.0.0.1:0", "--aleph", "127.0.0.1:0", "--aleph-port", "127.0.0.1:0", "--mail", "127.0.0.1:0", "--mail-api", "127.0.0.1:0")
		start := time.Now()
		if err := proc.start(); err != nil {
			b.Fatal(err)
		}
		ready := time.Since(start)
		_, engine, _, err := proc.up(b.Context(), 0)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := client.Get(engine + "/healthz")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		healthy := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("healthz: HTTP %d", resp.StatusCode)
		}
		b.StopTimer()
		toReady += ready
		toHealthz += healthy
		if code, err := proc.interrupt(); err != nil || code != exitOK {
			b.Fatalf("annex up after an interrupt: exit %d, %v", code, err)
		}
		os.RemoveAll(data)
		b.StartTimer()
	}
	b.ReportMetric(float64(toReady.Microseconds())/1000/float64(i), "ms-to-ready")
	b.ReportMetric(float64(toHealthz.Microseconds())/1000/float64(i), "ms-to-healthz")
}
