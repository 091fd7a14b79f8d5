// Package chanbatch gathers what is already waiting on a channel into one
// batch, for the single writers that commit many small pieces of work at once
// (the store's committer, the outbox's recorder).
package chanbatch

// Fill appends to batch what ch holds right now, without waiting, until
// batch has max elements or ch is empty or closed.
func Fill[T any](batch []T, ch <-chan T, max int) []T {
	for len(batch) < max {
		select {
		case v, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}
