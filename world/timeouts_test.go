package world_test

import (
	"log/slog"
	"testing"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/httpserve/httpservetest"
	"github.com/annexlab/annex/world"
)

// TestEngineHTTPTimeouts: the engine's REST API listener takes the
// facility's http_timeouts, so a client that trickles its headers or never
// finishes its body is cut while another is served (issue 11, item 6).
func TestEngineHTTPTimeouts(t *testing.T) {
	fac, profs := profile.DemoFacility()
	fac.HTTPTimeouts = httpservetest.Short()
	w, err := world.Start(t.Context(), world.Options{Facility: fac, Profiles: profs, DataDir: t.TempDir(), Ephemeral: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	httpservetest.SlowClients(t, w.EngineURL, "/healthz", "/api/ncip", fac.HTTPTimeouts)
}
