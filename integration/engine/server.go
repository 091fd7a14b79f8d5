package engine

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/annexlab/annex/internal/lifecycle"
)

// ErrServerClosed is what Serve returns after Shutdown or Close.
var ErrServerClosed = lifecycle.ErrServerClosed

// Start listens on Config.Listen (lifecycle.DefaultListen when empty) and
// serves in the background, as Serve does; a client may connect once it
// returns.
func (e *Engine) Start() error {
	if err := e.gate.Start(e.cfg.Listen, &e.bg, e.log, "serve", e.Serve); err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	return nil
}

// Serve runs the workers (the outbox sender, the mailer, the inbox rescan)
// and serves the REST API on l until Shutdown or Close, and then returns
// ErrServerClosed; it closes l.
func (e *Engine) Serve(l net.Listener) error {
	return e.gate.Serve(l, func(l net.Listener) error {
		e.run()
		return e.http.Serve(l)
	})
}

// Addr is the address of the first listener served, such as 127.0.0.1:7700.
func (e *Engine) Addr() string { return e.gate.Addr() }

// URL is the engine's base URL, such as http://127.0.0.1:7700 (the REST API
// is under /api).
func (e *Engine) URL() string { return "http://" + e.Addr() }

// Shutdown stops listening, waits for the requests in hand (until ctx ends),
// then stops the workers and closes the store as Close does.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.gate.Shut()
	herr := lifecycle.Closed(e.http.Shutdown(ctx))
	if herr != nil {
		herr = errors.Join(herr, lifecycle.Closed(e.http.Close()))
	}
	e.bg.Wait()
	if err := errors.Join(herr, e.stop()); err != nil {
		return fmt.Errorf("shut down engine: %w", err)
	}
	return nil
}
