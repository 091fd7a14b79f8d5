package aleph

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkALEPH compares the mock's NCIP round trip with a bare net/http
// handler on the same machine (DESIGN §3: the mock sustains ≥ 60% of the
// bare handler's requests per second). Each mock iteration is a CheckOutItem
// and a CheckInItem of one item, so the state returns to where it was; the
// bare handler reads the body and writes a fixed reply of the same size.
func BenchmarkALEPH(b *testing.B) {
	out := checkOutXML(b, "000000001", msgOpts{})
	in := checkInXML(b, "000000001", msgOpts{})

	client := func() *http.Client {
		return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 0}}
	}
	run := func(b *testing.B, url string, bodies func(i int) [][]byte) {
		c := client()
		defer c.CloseIdleConnections()
		start := time.Now()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				for _, body := range bodies(i) {
					resp, err := c.Post(url, "text/xml", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				i++
			}
		})
		b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "req/s")
	}

	b.Run("bare-net-http", func(b *testing.B) {
		fixed := bytes.Repeat([]byte("x"), 600)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			w.Header().Set("Content-Type", replyContentType)
			w.Write(fixed)
		}))
		defer srv.Close()
		run(b, srv.URL+"/ncip", func(int) [][]byte { return [][]byte{out, in} })
	})

	b.Run("mock-aleph", func(b *testing.B) {
		// One item per parallel worker would need coordination; instead
		// every worker cycles its own barcode, so check-outs never collide.
		s := start(b, func(c *Config) {
			c.State.Items = nil
			for i := range 256 {
				c.State.Items = append(c.State.Items, Item{Barcode: barcodeN(i), SubLibrary: "MAIN", Status: StatusOnShelf})
			}
		})
		msgs := make([][][]byte, 256)
		for i := range msgs {
			msgs[i] = [][]byte{checkOutXML(b, barcodeN(i), msgOpts{}), checkInXML(b, barcodeN(i), msgOpts{})}
		}
		next := make(chan int, 256)
		for i := range 256 {
			next <- i
		}
		c := client()
		defer c.CloseIdleConnections()
		start := time.Now()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			mine := <-next // a barcode of its own for this worker
			for pb.Next() {
				for _, body := range msgs[mine] {
					resp, err := c.Post(s.URL()+"/ncip", "text/xml", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					reply, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if bytes.Contains(reply, []byte("Problem")) {
						b.Errorf("problem: %s", reply)
						return
					}
				}
			}
		})
		b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "req/s")
	})
}

func barcodeN(i int) string {
	return "B" + strconv.Itoa(100000+i)
}
