package backoff

import (
	"testing"
	"time"
)

func TestDoubling(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{
		{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{4, 5 * time.Second}, {60, 5 * time.Second}, // capped, without overflowing
	} {
		if got := Doubling(time.Second, 5*time.Second, c.failures); got != c.want {
			t.Errorf("Doubling(1s, 5s, %d) = %v, want %v", c.failures, got, c.want)
		}
	}
}
