package steps

import (
	"context"
	"errors"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/alma"
)

// ExpectALMARequest checks a request in mock ALMA's state, read over its
// /_sim/state API once the engine has settled.
type ExpectALMARequest struct {
	// ID is the ALMA request id.
	ID string `yaml:"id"`
	// Step is where the request stands in ALMA's workflow.
	Step string `yaml:"step"`
	// Absent checks that ALMA has no such request.
	Absent bool `yaml:"absent"`
}

// ExpectALMARequest registers expect.alma.request.
func (catalog) ExpectALMARequest() scenario.Kind {
	return scenario.Kind{Name: "expect.alma.request", Doc: "a request in mock ALMA's state", New: func() scenario.Action { return &ExpectALMARequest{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectALMARequest) Validate() error {
	if x.ID == "" {
		return errors.New("id is required")
	}
	if x.Step != "" {
		return oneOf("step", x.Step, alma.RequestSteps()...)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectALMARequest) Run(ctx context.Context, env *scenario.Env) error {
	return mockRecord(ctx, env, profile.SystemALMA, "request", func(st alma.State) []alma.Request { return st.Requests }, lookup[alma.Request]{
		step: "expect.alma.request", key: x.ID, absent: x.Absent,
		match: func(r alma.Request) bool { return r.ID == x.ID },
		read: func(r alma.Request) record {
			return record{state: r.Step, fields: []field{{"step", x.Step, r.Step, false}}}
		},
	})
}
