package steps

import (
	"context"
	"net/http"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
)

// FaultClear retires every fault of a mock.
type FaultClear struct {
	// On is the mock whose faults are retired.
	On string `yaml:"on"`
}

// FaultClear registers fault.clear.
func (catalog) FaultClear() scenario.Kind {
	return scenario.Kind{Name: "fault.clear", Doc: "retire every fault of a mock", New: func() scenario.Action { return &FaultClear{} }}
}

// Validate implements scenario.Validator.
func (f *FaultClear) Validate() error {
	return oneOf("on", f.On, profile.SystemALMA, profile.SystemALEPH)
}

// Run implements scenario.Action.
func (f *FaultClear) Run(ctx context.Context, env *scenario.Env) error {
	m, err := mockOf(env, "fault.clear", f.On)
	if err != nil {
		return err
	}
	return m.sim(ctx, env, http.MethodDelete, "faults", nil, nil)
}
