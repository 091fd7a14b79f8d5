// Package lifecycletest checks that a server keeps package lifecycle's
// contract, so every server's test states it in one line.
package lifecycletest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/lifecycle"
)

// Server is the lifecycle every annex server offers.
type Server interface {
	Serve(l net.Listener) error
	Addr() string
	Shutdown(ctx context.Context) error
	Close() error
}

// shutdownLimit bounds Shutdown of an idle server: far above what it takes,
// far below a connection's idle timeout, which a server that waited for an
// idle client would run into.
const shutdownLimit = 10 * time.Second

// Check serves s on a listener of its own, lets use talk to it (use leaves
// behind whatever idle connection a client keeps, such as HTTP keep-alive),
// then checks that Shutdown returns while the server is idle, that Serve
// has returned ErrServerClosed, that the address no longer accepts, that a
// later Serve is refused with ErrServerClosed and closes its listener, and
// that Close after Shutdown succeeds.
func Check(t *testing.T, s Server, use func(t *testing.T, addr string)) {
	t.Helper()
	ln, err := net.Listen("tcp", lifecycle.DefaultListen)
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	use(t, addr)
	if got := s.Addr(); got != addr {
		t.Errorf("Addr() = %q, want the served listener's %q", got, addr)
	}

	ctx, cancel := context.WithTimeout(t.Context(), shutdownLimit)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown of an idle server: %v", err)
	}
	select {
	case err := <-served:
		if !errors.Is(err, lifecycle.ErrServerClosed) {
			t.Errorf("Serve returned %v after Shutdown, want ErrServerClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return after Shutdown")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts after Shutdown", addr)
	}

	ln2, err := net.Listen("tcp", lifecycle.DefaultListen)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln2); !errors.Is(err, lifecycle.ErrServerClosed) {
		t.Errorf("Serve after Shutdown returned %v, want ErrServerClosed", err)
	}
	if c, err := net.Dial("tcp", ln2.Addr().String()); err == nil {
		c.Close()
		t.Errorf("Serve after Shutdown left its listener open")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
}

// Starter is a Server that can also listen on its configured address.
type Starter interface {
	Server
	Start() error
}

// startRounds is how many servers CheckStart starts and closes: a Close
// that races the goroutine Start serves in fails only now and then.
const startRounds = 20

// CheckStart checks Start on servers made by newServer with an empty
// configured address: each listens on a free loopback port before Start
// returns, and Close, right after, ends it without an error.
func CheckStart(t *testing.T, newServer func() Starter) {
	t.Helper()
	for range startRounds {
		s := newServer()
		if err := s.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
		host, port, err := net.SplitHostPort(s.Addr())
		if err != nil || host != "127.0.0.1" || port == "0" {
			t.Fatalf("Addr() = %q after Start, want 127.0.0.1 and a port", s.Addr())
		}
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatalf("dial after Start: %v", err)
		}
		c.Close()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if c, err := net.Dial("tcp", s.Addr()); err == nil {
			c.Close()
			t.Fatalf("%s still accepts after Close", s.Addr())
		}
	}
}

// GetHealthz is a use for Check on an HTTP server: GET /healthz answers
// 200, and the client keeps the connection open, idle, afterwards.
func GetHealthz(t *testing.T, addr string) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %s %s", resp.Status, body)
	}
}

// CheckNew is Check (with use) and CheckStart on servers that newServer
// builds, such as a package's New with its demo configuration: a server
// package's whole lifecycle test. A newServer error fails the test.
func CheckNew[S Starter](t *testing.T, newServer func() (S, error), use func(t *testing.T, addr string)) {
	t.Helper()
	build := func() Starter {
		s, err := newServer()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	Check(t, build(), use)
	CheckStart(t, build)
}
