package chanbatch

import (
	"slices"
	"testing"
)

func TestFill(t *testing.T) {
	ch := make(chan int, 10)
	for i := 1; i <= 5; i++ {
		ch <- i
	}
	// Stops at max, leaving the rest for the next batch.
	if got := Fill([]int{0}, ch, 3); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("up to max: %v", got)
	}
	// Stops when the channel is empty, without waiting.
	if got := Fill(nil, ch, 10); !slices.Equal(got, []int{3, 4, 5}) {
		t.Errorf("until empty: %v", got)
	}
	// Stops at a closed channel.
	ch <- 6
	close(ch)
	if got := Fill(nil, ch, 10); !slices.Equal(got, []int{6}) {
		t.Errorf("until closed: %v", got)
	}
}
