package steps

import (
	"context"
	"errors"
	"strings"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ALMADelete deletes an item in mock ALMA, which tells the facility with DeleteItem.
type ALMADelete struct {
	// Barcode is the item ALMA deletes.
	Barcode string `yaml:"barcode"`
	// ExpectProblem is a ProblemType the facility must answer with; "" means a success reply.
	ExpectProblem string `yaml:"expect_problem"`
}

// ALMADelete registers alma.delete.
func (catalog) ALMADelete() scenario.Kind {
	return scenario.Kind{Name: "alma.delete", Doc: "a cataloguer deletes an item in ALMA, which sends DeleteItem to the facility",
		New: func() scenario.Action { return &ALMADelete{} }}
}

// Validate implements scenario.Validator.
func (a *ALMADelete) Validate() error {
	if a.Barcode == "" {
		return errors.New("barcode is required")
	}
	return nil
}

// Run implements scenario.Action.
func (a *ALMADelete) Run(ctx context.Context, env *scenario.Env) error {
	if _, err := mockOf(env, "alma.delete", profile.SystemALMA); err != nil {
		return err
	}
	res, err := env.World.ALMA.DeleteItem(ctx, a.Barcode)
	if err != nil {
		return scenario.Failf("alma.delete %s: %v", a.Barcode, err)
	}
	if !res.Sent {
		return scenario.Failf("alma.delete %s: the facility did not answer: %s", a.Barcode, res.Error)
	}
	got := strings.Join(res.Problems, ", ")
	switch {
	case a.ExpectProblem == "" && got != "":
		return scenario.Failf("alma.delete %s: the facility answered with Problem %s", a.Barcode, got)
	case a.ExpectProblem != "" && !strings.Contains(got, a.ExpectProblem):
		return scenario.Failf("alma.delete %s: the facility answered with Problems [%s], want %q", a.Barcode, got, a.ExpectProblem)
	}
	return nil
}
