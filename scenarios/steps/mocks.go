package steps

import (
	"context"
	"fmt"
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
	// step is the step using the mock, named in its failures.
	step    string
	name    string
	url     string
	journal *journal.Journal
}

// mockOf finds a running mock; step names the step in the failure.
func mockOf(env *scenario.Env, step, name string) (mock, error) {
	switch {
	case name == profile.SystemALMA && env.World.ALMA != nil:
		return mock{step, name, env.World.ALMA.URL(), env.World.ALMA.Journal()}, nil
	case name == profile.SystemALEPH && env.World.ALEPH != nil:
		return mock{step, name, env.World.ALEPH.URL(), env.World.ALEPH.Journal()}, nil
	}
	return mock{}, scenario.Failf("%s: mock %s is not running", step, strings.ToUpper(name))
}

// sim calls the mock's /_sim/ API (path below /_sim/) with a JSON body and
// reply; a call that fails fails the step.
func (m mock) sim(ctx context.Context, env *scenario.Env, method, path string, body, out any) error {
	if err := env.SimJSON(ctx, method, m.url+"/_sim/"+path, body, out); err != nil {
		return scenario.Failf("%s: %v", m.step, err)
	}
	return nil
}

// mockRecord is the expectation on one record of a mock's state (GET
// /_sim/state, of type S), read once the engine's outbox has settled so
// every message sent has been answered: rows picks the records of the
// lookup's kind (items, requests), noun names that kind when the mock has
// no such record.
func mockRecord[S, T any](ctx context.Context, env *scenario.Env, name, noun string, rows func(S) []T, l lookup[T]) error {
	m, err := mockOf(env, l.step, name)
	if err != nil {
		return err
	}
	if err := idle(ctx, env, l.step); err != nil {
		return err
	}
	var st S
	if err := m.sim(ctx, env, http.MethodGet, "state", nil, &st); err != nil {
		return err
	}
	l.none = fmt.Sprintf("mock %s has no %s %s", strings.ToUpper(name), noun, l.key)
	return l.check(rows(st))
}
