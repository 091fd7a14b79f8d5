package scenarios_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// TestGinkgoLabelFilter runs the Ginkgo suite again in a child process with
// ANNEX_LABEL set, as `ANNEX_LABEL=… go test ./scenarios` does, and reads
// its JSON report: the expression is annex's own (the parser of `annex run
// --label`) and ignores case, so `SMOKE && Aleph` runs exactly the specs
// labelled aleph and smoke and skips the rest; a bad expression fails the
// suite naming the column.
func TestGinkgoLabelFilter(t *testing.T) {
	if os.Getenv("ANNEX_LABEL") != "" {
		t.Skip("a child run of the suite")
	}
	specs, out, err := runSuite(t, "SMOKE && Aleph")
	if err != nil {
		t.Fatalf("suite: %v\n%s", err, out)
	}
	ran := 0
	for _, s := range specs {
		want := slices.Contains(s.Labels(), "aleph") && slices.Contains(s.Labels(), "smoke")
		switch {
		case want && s.State != types.SpecStatePassed:
			t.Errorf("%q %v: %s, want passed", s.LeafNodeText, s.Labels(), s.State)
		case !want && s.State != types.SpecStateSkipped:
			t.Errorf("%q %v: %s, want skipped", s.LeafNodeText, s.Labels(), s.State)
		}
		if want {
			ran++
		}
	}
	if ran != 2 || len(specs) < 40 {
		t.Errorf("%d of %d specs selected, want the library's 2 aleph smoke scenarios", ran, len(specs))
	}

	specs, out, err = runSuite(t, "alma &&")
	if err == nil || len(specs) != 1 || !strings.Contains(specs[0].Failure.Message, `ANNEX_LABEL: label expression "alma &&": column 8`) {
		t.Errorf("bad expression: %v\n%s", err, out)
	}
}

// runSuite runs this test binary's TestScenarios with ANNEX_LABEL=expr and
// returns the specs of its Ginkgo JSON report.
func runSuite(t *testing.T, expr string) (types.SpecReports, []byte, error) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestScenarios$", "-ginkgo.json-report="+report)
	cmd.Env = append(os.Environ(), "ANNEX_LABEL="+expr)
	out, runErr := cmd.CombinedOutput()
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report: %v (run: %v)\n%s", err, runErr, out)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("report: %v (%d suites)", err, len(reports))
	}
	return reports[0].SpecReports.WithLeafNodeType(types.NodeTypeIt), out, runErr
}
