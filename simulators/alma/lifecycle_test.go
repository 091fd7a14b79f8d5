package alma_test

import (
	"testing"

	"github.com/annexlab/annex/internal/lifecycle/lifecycletest"
	"github.com/annexlab/annex/simulators/alma"
)

// TestServerLifecycle: mock ALMA serves a listener it is given, Shutdown
// returns while a client keeps an idle connection, Serve then returns
// ErrServerClosed, and Start listens on 127.0.0.1 by default.
func TestServerLifecycle(t *testing.T) {
	lifecycletest.CheckNew(t, func() (*alma.Server, error) { return alma.New(alma.DemoConfig()) }, lifecycletest.GetHealthz)
}
