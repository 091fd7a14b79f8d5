package scenarios_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/annexlab/annex/scenarios/runner"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// TestScenarios runs every scenario of the library as a Ginkgo spec, with
// the file's labels. ANNEX_LABEL selects scenarios by label with the
// expressions of `annex run --label`, read by the same parser
// (scenario.ParseLabels, case-insensitive); the others are skipped.
// ANNEX_JUNIT is a JUnit report path.
func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if j := os.Getenv("ANNEX_JUNIT"); j != "" {
		reporterConfig.JUnitReport = j
	}
	RunSpecs(t, "annex scenarios", suiteConfig, reporterConfig)
}

// The specs are generated when the tree is built: one per scenario file.
var _ = Describe("scenario library", func() {
	filter, err := scenario.ParseLabels(os.Getenv("ANNEX_LABEL"))
	if err != nil {
		It("reads ANNEX_LABEL", func() { Fail("ANNEX_LABEL: " + err.Error()) })
		return
	}
	files, err := runner.Collect([]string{"library"})
	if err != nil {
		It("collects the library", func() { Expect(err).NotTo(HaveOccurred()) })
		return
	}
	reg := steps.Registry()
	for _, f := range files {
		sc, err := scenario.Load(f, reg, scenario.Options{})
		if err != nil {
			It(f, func() { Fail(err.Error()) })
			continue
		}
		It(sc.Name, Label(sc.Labels...), func(ctx SpecContext) {
			if !filter.Match(sc.Labels) {
				Skip("not selected by ANNEX_LABEL " + os.Getenv("ANNEX_LABEL"))
			}
			r := runner.RunOne(ctx, sc, runner.Options{Registry: reg})
			if r.Failure != nil {
				Fail(r.Line() + "\n" + r.Failure.Details())
			}
			Expect(r.Status).To(Equal(runner.Passed))
		}, SpecTimeout(30e9))
	}
})
