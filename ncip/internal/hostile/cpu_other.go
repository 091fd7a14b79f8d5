//go:build !unix

package hostile

import "time"

// CPU is not measured on this system; benchmarks report 0.
func CPU() time.Duration { return 0 }
