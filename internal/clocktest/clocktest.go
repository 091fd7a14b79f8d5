// Package clocktest is a clock that tests move by hand, for components
// that take their time from an injected func() time.Time.
package clocktest

import (
	"sync"
	"time"
)

// Manual is a clock standing at the time it was made at until Advance
// moves it; safe for concurrent use.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Manual { return &Manual{t: t} }

// Now is the clock's time; pass it where a component wants func() time.Time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d forward.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
