package steps

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ExpectAlert checks the engine's alerts.
type ExpectAlert struct {
	// Kind is the kind of alert.
	Kind string `yaml:"kind"`
	// Contains is a substring of the alert's message.
	Contains string `yaml:"contains"`
	// Count is how many alerts must match (not given: at least one).
	Count *int `yaml:"count"`
	// Absent checks that no alert matches.
	Absent bool `yaml:"absent"`
}

// ExpectAlert registers expect.alert.
func (catalog) ExpectAlert() scenario.Kind {
	return scenario.Kind{Name: "expect.alert", Doc: "alerts the engine raised", New: func() scenario.Action { return &ExpectAlert{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectAlert) Validate() error {
	if x.Kind != "" {
		return oneOf("kind", x.Kind, store.AlertDenial, store.AlertNCIPProblem, store.AlertRejectedFile, store.AlertFulfilment, store.AlertDeliveryFailure, store.AlertHeldFile)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectAlert) Run(ctx context.Context, env *scenario.Env) error {
	alerts, err := engineRows(ctx, env, "expect.alert", (*engine.Engine).Alerts)
	if err != nil {
		return err
	}
	hit, all := tally(alerts, func(a engine.Alert) string { return a.Kind + ": " + a.Message },
		func(a engine.Alert) bool {
			return (x.Kind == "" || a.Kind == x.Kind) && strings.Contains(a.Message, x.Contains)
		})
	want := fmt.Sprintf("a %s alert containing %q", cmp.Or(x.Kind, "any"), x.Contains)
	list := &scenario.Failure{Diff: listing("alerts", all)}
	switch {
	case x.Absent && hit > 0:
		list.Msg = fmt.Sprintf("expect.alert: want no %s, got %d", want, hit)
	case x.Absent:
		return nil
	case counted(x.Count, hit):
		return nil
	case x.Count != nil:
		list.Msg = fmt.Sprintf("expect.alert: %d alerts match %s, want %d", hit, want, *x.Count)
	default:
		list.Msg = fmt.Sprintf("expect.alert: no %s", want)
	}
	return list
}
