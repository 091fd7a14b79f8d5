package steps

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/scenarios/runner"
	"github.com/annexlab/annex/scenarios/scenario"
)

// CountRequests is a throw-away step kind that lives in this test file
// alone, as a new kind lives in a file of its own: its struct, its
// registration and its methods, nothing edited elsewhere.
type CountRequests struct {
	// AtLeast is how many requests the engine must have recorded.
	AtLeast int `yaml:"at_least"`
}

// CountRequests registers test.count_requests.
func (catalog) CountRequests() scenario.Kind {
	return scenario.Kind{Name: "test.count_requests", Doc: "the engine has recorded at least so many requests",
		New: func() scenario.Action { return &CountRequests{} }}
}

// Validate implements scenario.Validator.
func (c *CountRequests) Validate() error {
	if c.AtLeast < 0 {
		return errors.New("at_least must not be negative")
	}
	return nil
}

// Run implements scenario.Action.
func (c *CountRequests) Run(ctx context.Context, env *scenario.Env) error {
	rows, err := env.World.Engine.Requests(ctx)
	if err != nil {
		return scenario.Failf("test.count_requests: %v", err)
	}
	if len(rows) < c.AtLeast {
		return scenario.Failf("test.count_requests: %d requests, want at least %d", len(rows), c.AtLeast)
	}
	return nil
}

// run decodes a scenario (demo facility and mocks) and runs it in a world of its own.
func run(t *testing.T, reg *scenario.Registry, steps string) runner.Result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "s.yaml")
	sc, err := scenario.Decode(file, []byte("name: s\nsteps:\n"+steps), reg, scenario.Options{})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return runner.RunOne(t.Context(), sc, runner.Options{Registry: reg})
}

// TestNewKindIsOneFile: a step kind defined in one file (this one) is in
// the registry, decoded strictly and validated at its position, and runs
// in a scenario's world; the step reference asks for the schema to be
// regenerated for it rather than leave it out.
func TestNewKindIsOneFile(t *testing.T) {
	reg := Registry()
	k, ok := reg.Lookup("test.count_requests")
	if !ok || k.Doc != "the engine has recorded at least so many requests" {
		t.Fatalf("the kind is not registered: %+v", k)
	}
	file := filepath.Join(t.TempDir(), "bad.yaml")
	_, err := scenario.Decode(file, []byte("name: s\nsteps:\n  - test.count_requests: {at_leest: 1}\n  - test.count_requests: {at_least: -1}\n"), reg, scenario.Options{})
	for _, want := range []string{file + `:3:27: unknown field "at_leest"`, `did you mean "at_least"`, file + ":4:", "at_least must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("decode error %v lacks %q", err, want)
		}
	}
	if r := run(t, reg, "  - alma.export: {expect_requests: 2}\n  - test.count_requests: {at_least: 2}\n"); r.Status != runner.Passed {
		t.Errorf("2 requests exported: %s %+v", r.Status, r.Failure)
	}
	r := run(t, reg, "  - test.count_requests: {at_least: 1}\n")
	if r.Status != runner.Failed || r.Failure.Msg != "test.count_requests: 0 requests, want at least 1" {
		t.Errorf("nothing exported: %s %+v", r.Status, r.Failure)
	}
	if _, err := Reference(); err == nil || !strings.Contains(err.Error(), "test.count_requests: the scenario schema has no steps.CountRequests") {
		t.Errorf("reference: %v", err)
	}
}

// TestStateExpectationsAlike: expect.alma.item and expect.aleph.item read
// the mocks' state the same way and take the same keys' meanings: a
// matching item passes, a wrong status names both values, absent passes
// for an unknown barcode and fails for a known one, and an unknown barcode
// without absent fails naming the mock.
func TestStateExpectationsAlike(t *testing.T) {
	reg := Registry()
	for _, m := range []struct{ kind, mock, barcode, status, other string }{
		{"expect.alma.item", "ALMA", "39015000000001", "requested", "missing"},
		{"expect.aleph.item", "ALEPH", "000000003", "on_shelf", "missing"},
	} {
		step := func(fields string) string { return fmt.Sprintf("  - %s: {%s}\n", m.kind, fields) }
		if r := run(t, reg, step(`barcode: "`+m.barcode+`", status: `+m.status)+step(`barcode: "NOPE", absent: true`)); r.Status != runner.Passed {
			t.Errorf("%s: %s %+v", m.kind, r.Status, r.Failure)
		}
		for fields, want := range map[string]string{
			`barcode: "` + m.barcode + `", status: ` + m.other: fmt.Sprintf("%s %s: status is %q, want %q", m.kind, m.barcode, m.status, m.other),
			`barcode: "` + m.barcode + `", absent: true`:       fmt.Sprintf("%s %s: want it gone, it is %s", m.kind, m.barcode, m.status),
			`barcode: "NOPE"`: fmt.Sprintf("%s: mock %s has no item NOPE", m.kind, m.mock),
		} {
			r := run(t, reg, step(fields))
			if r.Status != runner.Failed || r.Failure.Msg != want {
				t.Errorf("%s {%s}: %s %+v, want the failure %q", m.kind, fields, r.Status, r.Failure, want)
			}
		}
	}
}
