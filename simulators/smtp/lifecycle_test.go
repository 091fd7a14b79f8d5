package smtp_test

import (
	"net"
	"strings"

	"testing"

	"github.com/annexlab/annex/internal/lifecycle/lifecycletest"
	"github.com/annexlab/annex/simulators/smtp"
)

// TestServerLifecycle: the mail catcher serves SMTP on a listener it is given (a
// message is taken), Shutdown returns once the session has ended, Serve then
// returns ErrServerClosed, and Start listens on 127.0.0.1 by default.
func TestServerLifecycle(t *testing.T) {
	s, err := smtp.New(smtp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lifecycletest.Check(t, s, func(t *testing.T, addr string) {
		if err := send(addr, "staff@library.example.edu", "held file"); err != nil {
			t.Fatalf("send: %v", err)
		}
		if got := s.Messages(0, 10, smtp.Filter{}); len(got) != 1 {
			t.Errorf("%d messages taken, want 1", len(got))
		}
	})
	lifecycletest.CheckStart(t, func() lifecycletest.Starter {
		s, err := smtp.New(smtp.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// apiSide is the catcher seen through its inspection API.
type apiSide struct{ *smtp.Server }

func (a apiSide) Serve(l net.Listener) error { return a.ServeAPI(l) }
func (a apiSide) Addr() string               { return strings.TrimPrefix(a.URL(), "http://") }

// TestServerLifecycleAPI: the inspection API keeps the same lifecycle on a
// listener it is given.
func TestServerLifecycleAPI(t *testing.T) {
	s, err := smtp.New(smtp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lifecycletest.Check(t, apiSide{s}, lifecycletest.GetHealthz)
}
