// Package benchkit is what the big-file benchmarks share: their size and
// time budget, read from the environment, and a process's memory as Linux
// reports it.
package benchkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Items is the number of requests in a big-file benchmark: 100,000, or
// ANNEX_BENCH_ITEMS for a quick look at where the time goes.
func Items(tb testing.TB) int {
	s := os.Getenv("ANNEX_BENCH_ITEMS")
	if s == "" {
		return 100000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("ANNEX_BENCH_ITEMS=%q: want a positive number", s)
	}
	return n
}

// Budget bounds one run of a big-file benchmark, so that an engine far off
// its 30 s target fails `make bench` with its numbers instead of running
// for hours: 5 minutes, or ANNEX_BENCH_BUDGET (a duration).
func Budget(tb testing.TB) time.Duration {
	s := os.Getenv("ANNEX_BENCH_BUDGET")
	if s == "" {
		return 5 * time.Minute
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		tb.Fatalf("ANNEX_BENCH_BUDGET=%q: %v", s, err)
	}
	return d
}

// Memory is a process's peak and current resident set in bytes (VmHWM and
// VmRSS of /proc/PID/status; pid 0 is this process). Both are 0 where /proc
// is missing.
func Memory(pid int) (peak, now uint64) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	kB := func(v string) uint64 {
		n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return n * 1024
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = kB(v)
		}
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			now = kB(v)
		}
	}
	return peak, now
}

// ResetPeak resets this process's peak resident set (Linux: "5" to
// clear_refs), so a later Memory covers what follows only.
func ResetPeak(tb testing.TB) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Logf("peak RSS not reset (%v): it covers the whole process life", err)
	}
}
