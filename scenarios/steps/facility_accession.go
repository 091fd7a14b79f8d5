package steps

import (
	"context"
	"errors"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
)

// Accession adds a new item to storage.
type Accession struct {
	profile.InventoryItem `yaml:",inline"`
	// ExpectError is a substring of the error the accession must fail with.
	ExpectError string `yaml:"expect_error"`
}

// Accession registers facility.accession.
func (catalog) Accession() scenario.Kind {
	return scenario.Kind{Name: "facility.accession",
		Doc: "bring an item to rest in storage, new or announced (CheckInItem where the profile reports accessions)",
		New: func() scenario.Action { return &Accession{} }}
}

// Validate implements scenario.Validator.
func (a *Accession) Validate() error {
	if a.Barcode == "" || a.Collection == "" {
		return errors.New("barcode and collection are required")
	}
	return nil
}

// Run implements scenario.Action.
func (a *Accession) Run(ctx context.Context, env *scenario.Env) error {
	it := a.InventoryItem
	if it.Profile == "" {
		it.Profile = env.Scenario.Profiles[0].Name
	}
	start := time.Now()
	err := env.World.Engine.Accession(ctx, it)
	recordFloor(env, start, "accession "+it.Barcode, err)
	return checkErr("facility.accession "+it.Barcode, err, a.ExpectError)
}
