package scenario_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

// FuzzScenarioDecode: any bytes decode to a scenario or to errors that name
// the file, never to a panic. Seeds are under testdata/fuzz/FuzzScenarioDecode.
func FuzzScenarioDecode(f *testing.F) {
	f.Add([]byte("name: x\nsteps:\n  - engine.restart: {}\n"))
	reg := steps.Registry()
	dir := f.TempDir()
	file := filepath.Join(dir, "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Decode(file, data, reg, scenario.Options{Update: true})
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, file) {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		if sc.Name == "" || len(sc.Steps) == 0 {
			t.Fatalf("decoded a scenario without a name or steps: %+v", sc)
		}
	})
}
