package aleph_test

import (
	"context"
	"net"
	"time"

	"testing"

	"github.com/annexlab/annex/internal/lifecycle/lifecycletest"
	"github.com/annexlab/annex/simulators/aleph"
)

// TestServerLifecycle: mock ALEPH serves a listener it is given, Shutdown
// returns while a client keeps an idle connection, Serve then returns
// ErrServerClosed, and Start listens on 127.0.0.1 by default.
func TestServerLifecycle(t *testing.T) {
	lifecycletest.CheckNew(t, func() (*aleph.Server, error) { return aleph.New(aleph.DemoConfig()) }, lifecycletest.GetHealthz)
}

// TestShutdownClosesRawPorts: Start binds the raw NCIP ports too, and
// Shutdown of an idle server closes them with the HTTP listener.
func TestShutdownClosesRawPorts(t *testing.T) {
	s, err := aleph.Start(aleph.DemoConfig())
	if err != nil {
		t.Fatal(err)
	}
	ports := s.PortAddrs()
	if len(ports) == 0 {
		t.Fatal("the demo configuration has no raw port")
	}
	c, err := net.Dial("tcp", ports[0])
	if err != nil {
		t.Fatalf("dial raw port: %v", err)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, a := range append(ports, s.Addr()) {
		if c, err := net.Dial("tcp", a); err == nil {
			c.Close()
			t.Errorf("%s still accepts after Shutdown", a)
		}
	}
}
