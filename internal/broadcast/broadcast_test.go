package broadcast

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestSignal(t *testing.T) {
	var s Signal
	s.Notify() // no one waits: nothing to close
	a, b := s.C(), s.C()
	if a != b {
		t.Fatal("two waiters before an event got different channels")
	}
	select {
	case <-a:
		t.Fatal("closed before Notify")
	default:
	}
	s.Notify()
	<-a
	<-b
	select {
	case <-s.C():
		t.Fatal("the next event's channel is already closed")
	default:
	}
}

func TestUntil(t *testing.T) {
	var s Signal
	var n atomic.Int32
	done := make(chan error)
	go func() {
		done <- Until(t.Context(), s.C, func() (bool, error) { return n.Load() == 3, nil })
	}()
	// Each Notify is seen by the next check, whenever it comes.
	for n.Load() < 3 {
		n.Add(1)
		s.Notify()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	if err := Until(t.Context(), s.C, func() (bool, error) { return false, boom }); err != boom {
		t.Errorf("done's error: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Until(ctx, s.C, func() (bool, error) { return false, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ctx ended: %v", err)
	}
}
