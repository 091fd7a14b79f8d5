package engine_test

import (
	"net/http"

	"context"
	"github.com/annexlab/annex/integration/api"
	"testing"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/lifecycle/lifecycletest"
)

// TestServerLifecycle: the engine serves its REST API on a listener it is given,
// Shutdown returns while a client keeps an idle connection and closes the
// store, Serve then returns ErrServerClosed, and Start listens on 127.0.0.1
// by default.
func TestServerLifecycle(t *testing.T) {
	open := func() *engine.Engine {
		eng, err := engine.Open(t.Context(), engine.Config{Facility: profile.Facility{APIKey: "k"}, DataDir: t.TempDir(),
			API: func(e *engine.Engine) http.Handler { return api.ForEngine(e, nil) }})
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	eng := open()
	lifecycletest.Check(t, eng, lifecycletest.GetHealthz)
	if _, err := eng.Requests(context.Background()); err == nil {
		t.Error("the store still answers after Shutdown")
	}
	lifecycletest.CheckStart(t, func() lifecycletest.Starter { return open() })
}
