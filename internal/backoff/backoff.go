// Package backoff computes the wait before retrying after failures, for
// the outbox's NCIP attempts, the mailer's emails and the SFTP server's
// password backoff.
package backoff

import "time"

// Doubling is the wait after failures failed attempts: initial after the
// first, doubling after each one more, up to limit.
func Doubling(initial, limit time.Duration, failures int) time.Duration {
	d := initial
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
