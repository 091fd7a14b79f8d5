//go:build unix

package hostile

import (
	"syscall"
	"time"
)

// CPU returns the processor time the process has used, user and system,
// garbage collector included. Benchmarks report it beside wall time: on a
// shared machine wall time measures the neighbours as much as the code.
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
