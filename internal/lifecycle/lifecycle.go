// Package lifecycle is what every annex server shares in starting and
// stopping — mock ALMA, mock ALEPH, the SFTP server, the mail catcher and
// the facility engine — so that all of them read like net/http.Server and
// httptest:
//
//	New(cfg)          builds without listening (the engine: Open(ctx, cfg), which opens its store)
//	Config.Listen     the one name for the listen address; "" means DefaultListen
//	s.Serve(l)        serves a listener the caller made; blocks
//	s.Start()         listens on Config.Listen and serves in the background
//	Start(cfg)        New then s.Start, as httptest.NewServer (the simulators)
//	s.Addr(), s.URL() where it listens
//	s.Shutdown(ctx)   stops accepting and waits for the work in hand
//	s.Close()         stops at once
//	ErrServerClosed   what Serve returns once Shutdown or Close has run
//
// Package lifecycletest checks a server against this contract.
package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
)

// DefaultListen is the address a server listens on when its Listen is "":
// a free port on the loopback interface, as httptest does.
const DefaultListen = "127.0.0.1:0"

// ErrServerClosed is what Serve returns once Shutdown or Close has run.
// Every server package exports it under the same name.
var ErrServerClosed = errors.New("server closed")

// Listen listens on addr, DefaultListen when addr is "".
func Listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", cmp.Or(addr, DefaultListen))
}

// Closed drops the error of a server's Close or Shutdown that only says a
// listener was closed already: the Gate closes them first.
func Closed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Wait waits for wg, or returns ctx's error once ctx ends first.
func Wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Gate keeps the listeners a server serves on and whether it is shut, so
// that Serve after Shutdown or Close is refused and Shutdown closes every
// listener, including those handed to Serve. The zero value is open.
type Gate struct {
	mu     sync.Mutex
	shut   bool
	first  net.Addr
	listen map[net.Listener]struct{}
}

// Enter registers l for serving. After Shut it closes l and returns
// ErrServerClosed.
func (g *Gate) Enter(l net.Listener) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		l.Close()
		return ErrServerClosed
	}
	if g.listen == nil {
		g.listen = map[net.Listener]struct{}{}
	}
	g.listen[l] = struct{}{}
	if g.first == nil {
		g.first = l.Addr()
	}
	return nil
}

// Serve enters l and runs serve on it. Whatever serve returns once the
// gate is shut (net/http's ErrServerClosed, an accept on a closed listener,
// go-smtp's nil) is ErrServerClosed; l is closed when Serve returns.
func (g *Gate) Serve(l net.Listener, serve func(net.Listener) error) error {
	if err := g.Enter(l); err != nil {
		return err
	}
	err := serve(l)
	if g.IsShut() {
		return ErrServerClosed
	}
	l.Close()
	return err
}

// Shut closes every registered listener; it reports whether this was the
// first call, so a server tears down only once.
func (g *Gate) Shut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	first := !g.shut
	g.shut = true
	for l := range g.listen {
		l.Close()
	}
	g.listen = nil
	return first
}

// Listen listens on addr (DefaultListen when "") and enters the listener,
// so that Shut closes it; after Shut it returns ErrServerClosed.
func (g *Gate) Listen(addr string) (net.Listener, error) {
	ln, err := Listen(addr)
	if err != nil {
		return nil, err
	}
	if err := g.Enter(ln); err != nil {
		return nil, err
	}
	return ln, nil
}

// Start listens on addr as Listen does and serves the listener with serve
// in the background as Go does: the whole of a server's Start.
func (g *Gate) Start(addr string, wg *sync.WaitGroup, log *slog.Logger, msg string, serve func(net.Listener) error) error {
	ln, err := g.Listen(addr)
	if err != nil {
		return err
	}
	Go(wg, log, msg, func() error { return serve(ln) })
	return nil
}

// Go runs serve in the background, counted in wg, and logs what it returns
// under msg unless that is ErrServerClosed: the tail of a server's Start.
func Go(wg *sync.WaitGroup, log *slog.Logger, msg string, serve func() error) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := serve(); !errors.Is(err, ErrServerClosed) {
			log.Error(msg, "err", err)
		}
	}()
}

// IsShut reports whether Shut has run.
func (g *Gate) IsShut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shut
}

// Addr is the address of the first listener entered, "" before any.
func (g *Gate) Addr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.first == nil {
		return ""
	}
	return g.first.String()
}

// Started is the body of each server package's Start(cfg): the server New
// built (or New's error), started, and closed again when it cannot start,
// as httptest.NewServer is NewUnstartedServer followed by Start.
func Started[S interface {
	Start() error
	Close() error
}](s S, err error) (S, error) {
	var zero S
	if err != nil {
		return zero, err
	}
	if err := s.Start(); err != nil {
		s.Close()
		return zero, err
	}
	return s, nil
}
