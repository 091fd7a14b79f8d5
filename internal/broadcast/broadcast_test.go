package broadcast

import "testing"

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
