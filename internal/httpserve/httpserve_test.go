package httpserve_test

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/httpserve"
	"github.com/annexlab/annex/internal/httpserve/httpservetest"
)

func TestResolved(t *testing.T) {
	got := httpserve.Timeouts{Read: httpserve.Duration(time.Second), Write: -1}.Server(nil)
	if got.ReadHeaderTimeout != httpserve.DefaultReadHeader || got.ReadTimeout != time.Second ||
		got.WriteTimeout != -1 || got.IdleTimeout != httpserve.DefaultIdle {
		t.Errorf("server timeouts: header %v read %v write %v idle %v", got.ReadHeaderTimeout, got.ReadTimeout, got.WriteTimeout, got.IdleTimeout)
	}
	var d httpserve.Duration
	if err := d.UnmarshalText([]byte("2m")); err != nil || time.Duration(d) != 2*time.Minute {
		t.Errorf("2m: %v %v", d, err)
	}
	if err := d.UnmarshalText([]byte("10")); err == nil {
		t.Error("10 (no unit) accepted")
	}
}

// TestSlowClients: a server built by Timeouts.Server cuts slow clients and
// serves others meanwhile.
func TestSlowClients(t *testing.T) {
	to := httpservetest.Short()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("POST /body", func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
	srv := to.Server(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	httpservetest.SlowClients(t, "http://"+ln.Addr().String(), "/ok", "/body", to)
}
