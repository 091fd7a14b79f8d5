package alma_test

import (
	"log/slog"
	"testing"

	"github.com/annexlab/annex/internal/httpserve/httpservetest"
	"github.com/annexlab/annex/simulators/alma"
)

// TestHTTPTimeouts: mock ALMA's listener cuts a client that trickles its
// headers or never finishes its NCIP body, at the configured timeouts,
// and serves another meanwhile (issue 11, item 6).
func TestHTTPTimeouts(t *testing.T) {
	cfg := alma.DemoConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.HTTPTimeouts = httpservetest.Short()
	s, err := alma.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	httpservetest.SlowClients(t, s.URL(), "/healthz", alma.NCIPPath, cfg.HTTPTimeouts)
}
