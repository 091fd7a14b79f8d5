package alma

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServletInProcess measures the servlet's own cost per request, without sockets.
func BenchmarkServletInProcess(b *testing.B) {
	cfg := DemoConfig()
	cfg.Clock = testClock
	cfg.JournalMax = 64
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	out := encode(b, checkOut(hdr(), annexUser, barcode3))
	in := encode(b, checkIn(hdr(), barcode3))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		msg := out
		if i%2 == 1 {
			msg = in
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, NCIPPath, bytes.NewReader(msg)))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
