// Package broadcast wakes everyone waiting for the next event at once, so
// that callers and tests wait on progress without sleeping.
package broadcast

import (
	"context"
	"sync"
)

// Signal is a channel closed at each event and replaced for the next one.
// The zero value is ready to use; a Signal must not be copied after use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel closed at the next Notify.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes everyone waiting on a channel C returned.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Until calls done, then again after each event changed announces, until
// done reports true or an error, or ctx ends; changed is a Signal's C or
// a component's method built on it. It takes the channel before each call
// of done, so an event while done runs is not missed. It returns done's
// error, or ctx's when ctx ends first.
func Until(ctx context.Context, changed func() <-chan struct{}, done func() (bool, error)) error {
	for {
		ch := changed()
		if ok, err := done(); ok || err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
