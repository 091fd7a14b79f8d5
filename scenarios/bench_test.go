package scenarios_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/annexlab/annex/scenarios/runner"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// BenchmarkLibrary runs the whole library, GOMAXPROCS scenarios at once:
// ns/op is its wall time (target ≤ 2 s on 2 cores). It reports the median
// per scenario of the steps once the world is up (target ≤ 10 ms), of the
// world's start, and of both.
func BenchmarkLibrary(b *testing.B) {
	files, err := runner.Collect([]string{"library"})
	if err != nil {
		b.Fatal(err)
	}
	reg := steps.Registry()
	scs, errs := runner.LoadAll(files, reg, scenario.Options{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	var stepsD, setupD, totalD []time.Duration
	for b.Loop() {
		for _, r := range runner.Run(context.Background(), scs, runner.Options{Registry: reg}, nil) {
			if r.Status != runner.Passed {
				b.Fatalf("%s\n%s", r.Line(), r.Failure.Details())
			}
			stepsD, setupD, totalD = append(stepsD, r.Steps), append(setupD, r.Setup), append(totalD, r.Duration)
		}
	}
	ms := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(scs)), "scenarios")
	b.ReportMetric(ms(stepsD), "median-steps-ms")
	b.ReportMetric(ms(setupD), "median-setup-ms")
	b.ReportMetric(ms(totalD), "median-scenario-ms")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}
