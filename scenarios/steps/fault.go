package steps

import (
	"context"
	"net/http"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/faults"
)

// Fault injects a fault into a mock (toxiproxy's model: a declarative rule).
type Fault struct {
	// On is the mock the fault is injected into.
	On                  string `yaml:"on"`
	scenario.FaultGiven `yaml:",inline"`
	// Latency is the delay of a latency fault.
	Latency time.Duration `yaml:"latency"`
	// AfterProcessing lets the mock do the work before the fault hits its reply (the library acted, the answer was lost); otherwise nothing changes.
	AfterProcessing bool `yaml:"after_processing"`
}

// Fault registers fault.
func (catalog) Fault() scenario.Kind {
	return scenario.Kind{Name: "fault", Doc: "inject a fault into mock ALMA or mock ALEPH", New: func() scenario.Action { return &Fault{} }}
}

// Validate implements scenario.Validator.
func (f *Fault) Validate() error {
	if err := oneOf("on", f.On, profile.SystemALMA, profile.SystemALEPH); err != nil {
		return err
	}
	if _, err := f.rule(); err != nil {
		return err
	}
	if f.On == profile.SystemALEPH {
		return aleph.FaultTarget().Check(f.Service)
	}
	return alma.FaultTarget().Check(f.Service)
}

func (f *Fault) rule() (faults.Fault, error) {
	return f.FaultGiven.Fault(f.Latency, f.AfterProcessing)
}

// Run implements scenario.Action.
func (f *Fault) Run(ctx context.Context, env *scenario.Env) error {
	m, err := mockOf(env, "fault", f.On)
	if err != nil {
		return err
	}
	rule, err := f.rule()
	if err != nil {
		return scenario.Failf("fault: %v", err)
	}
	return m.sim(ctx, env, http.MethodPost, "faults", rule, nil)
}
