package aleph_test

import (
	"log/slog"
	"testing"

	"github.com/annexlab/annex/internal/httpserve/httpservetest"
	"github.com/annexlab/annex/simulators/aleph"
)

// TestHTTPTimeouts: mock ALEPH's HTTP listener cuts a client that trickles
// its headers or never finishes its NCIP body, at the configured timeouts,
// and serves another meanwhile (issue 11, item 6). The raw port keeps its
// own ReadTimeout.
func TestHTTPTimeouts(t *testing.T) {
	cfg := aleph.DemoConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.HTTPTimeouts = httpservetest.Short()
	s, err := aleph.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	httpservetest.SlowClients(t, s.URL(), "/healthz", "/ncip", cfg.HTTPTimeouts)
}
