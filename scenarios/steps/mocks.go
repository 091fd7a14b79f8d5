package steps

import (
	"context"
	"net/http"
	"strings"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/journal"
)

// mock is one of the world's mock library systems, named as steps name it
// (profile.SystemALMA or profile.SystemALEPH). Steps reach both the same
// way: their state and faults over the /_sim/ HTTP API, their journals
// through Journal().Wait.
type mock struct {
	name    string
	url     string
	journal *journal.Journal
}

// mockOf finds a running mock; step names the step in the failure.
func mockOf(env *scenario.Env, step, name string) (mock, error) {
	switch {
	case name == profile.SystemALMA && env.World.ALMA != nil:
		return mock{name, env.World.ALMA.URL(), env.World.ALMA.Journal()}, nil
	case name == profile.SystemALEPH && env.World.ALEPH != nil:
		return mock{name, env.World.ALEPH.URL(), env.World.ALEPH.Journal()}, nil
	}
	return mock{}, scenario.Failf("%s: mock %s is not running", step, strings.ToUpper(name))
}

// sim calls the mock's /_sim/ API (path below /_sim/) with a JSON body and reply.
func (m mock) sim(ctx context.Context, env *scenario.Env, method, path string, body, out any) error {
	return env.SimJSON(ctx, method, m.url+"/_sim/"+path, body, out)
}

// settledState reads a mock's state (GET /_sim/state) into out once the
// engine's outbox has settled, so every message sent has been answered.
func settledState(ctx context.Context, env *scenario.Env, step, name string, out any) error {
	m, err := mockOf(env, step, name)
	if err != nil {
		return err
	}
	if err := idle(ctx, env, step); err != nil {
		return err
	}
	if err := m.sim(ctx, env, http.MethodGet, "state", nil, out); err != nil {
		return scenario.Failf("%s: %v", step, err)
	}
	return nil
}
