package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ExpectJournalClean checks that no exchange the engine had with a mock
// drew a conformance finding of severity error.
type ExpectJournalClean struct {
	// On is the mock whose journal is read; not given means both.
	On string `yaml:"on"`
}

// ExpectJournalClean registers expect.journal.clean.
func (catalog) ExpectJournalClean() scenario.Kind {
	return scenario.Kind{Name: "expect.journal.clean", Doc: "no conformance finding of severity error in a mock's journal", New: func() scenario.Action { return &ExpectJournalClean{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectJournalClean) Validate() error {
	if x.On != "" {
		return oneOf("on", x.On, profile.SystemALMA, profile.SystemALEPH)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectJournalClean) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.journal.clean"); err != nil {
		return err
	}
	var bad []string
	for _, name := range []string{profile.SystemALMA, profile.SystemALEPH} {
		m, err := mockOf(env, "expect.journal.clean", name)
		if (x.On != "" && x.On != name) || err != nil {
			continue // not asked about, or not running: no exchanges
		}
		for _, e := range m.journal.All() {
			if env.IsOwn(name, e.ID) {
				continue
			}
			for _, f := range e.Findings {
				if f.Severity == ncip.Error {
					bad = append(bad, fmt.Sprintf("%s exchange %d (%s): %s", name, e.ID, e.Service, f))
				}
			}
		}
	}
	if len(bad) > 0 {
		return &scenario.Failure{Msg: fmt.Sprintf("expect.journal.clean: %d conformance errors", len(bad)), Diff: strings.Join(bad, "\n")}
	}
	return nil
}
