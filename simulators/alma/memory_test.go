package alma_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"runtime"
	"testing"

	"github.com/annexlab/annex/simulators/alma"
)

// BenchmarkMemory500x1MB posts 500 NCIP bodies of 1 MB to mock ALMA (the
// issue 11 item 7 input that took it to 1.1 GB) and reports the live heap
// after each hundred: it stays near the journal's accounted size, because
// the journal keeps 64 KiB of each body and nothing else keeps the rest.
// It measures memory, not time: run it with -benchtime=1x.
func BenchmarkMemory500x1MB(b *testing.B) {
	for range b.N {
		cfg := alma.DemoConfig()
		cfg.Logger = slog.New(slog.DiscardHandler)
		s, err := alma.Start(cfg)
		if err != nil {
			b.Fatal(err)
		}
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapAlloc) / (1 << 20)
		}
		base := heap()
		var at100 float64
		for i := range 500 {
			body := append([]byte(`<?xml version="1.0"?><NCIPMessage><x>`), bytes.Repeat([]byte{byte('a' + i%26)}, 1_000_000-60)...)
			body = append(body, "</x></NCIPMessage>"...)
			resp, err := http.Post(s.NCIPURL(), "text/xml", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if i == 99 {
				at100 = heap() - base
			}
		}
		at500 := heap() - base
		journal := float64(s.Journal().Bytes()) / (1 << 20)
		b.ReportMetric(at100, "heap-MiB-after-100")
		b.ReportMetric(at500, "heap-MiB-after-500")
		b.ReportMetric(journal, "journal-MiB")
		if at500 > journal+16 {
			b.Errorf("the heap grew %.1f MiB for a journal of %.1f MiB: something keeps the bodies", at500, journal)
		}
		s.Close()
	}
}
