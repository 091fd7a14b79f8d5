package alma

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annexlab/annex/ncip"
)

// BenchmarkALMA compares the mock with a bare net/http handler that reads
// the body and writes a fixed reply, both over real HTTP with keep-alive
// clients (DESIGN §3: the mock sustains ≥ 60% of bare).
func BenchmarkALMA(b *testing.B) {
	client := func() *http.Client {
		return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	}
	reply, _ := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.CheckOutItemResponse{
		ItemId: &ncip.ItemId{ItemIdentifierValue: barcode3}, UserId: &ncip.UserId{UserIdentifierValue: annexUser},
		DateDue: "2022-06-20T00:00:00.000Z"}}, Style())
	req := encode(b, checkOut(hdr(), annexUser, barcode3))

	b.Run("bare-net-http", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", ReplyContentType)
			w.Write(reply)
		}))
		defer srv.Close()
		c := client()
		t0 := time.Now()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				roundTrip(b, c, srv.URL, req)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "req/s")
	})

	b.Run("mock-alma", func(b *testing.B) {
		cfg := DemoConfig()
		cfg.Clock = testClock
		// Above b.N: the journal copies all of itself on each Add once full (reported).
		cfg.JournalMax = 64
		// One item per parallel client, so CheckOut → CheckIn pairs keep the state valid.
		for i := range 256 {
			cfg.State.Items = append(cfg.State.Items, Item{Barcode: fmt.Sprintf("B%05d", i), Library: "MAIN", Location: "ANNEX"})
		}
		s, err := Start(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		c := client()
		var next atomic.Int64
		t0 := time.Now()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			bc := fmt.Sprintf("B%05d", next.Add(1)%256)
			out := encode(b, checkOut(hdr(), annexUser, bc))
			in := encode(b, checkIn(hdr(), bc))
			for i := 0; pb.Next(); i++ {
				msg := out
				if i%2 == 1 {
					msg = in
				}
				if body := roundTrip(b, c, s.NCIPURL(), msg); bytes.Contains(body, []byte("Problem")) {
					b.Fatalf("Problem: %s", body)
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "req/s")
	})
}

func roundTrip(b *testing.B, c *http.Client, url string, body []byte) []byte {
	resp, err := c.Post(url, "text/xml", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("status %d %v", resp.StatusCode, err)
	}
	return out
}
