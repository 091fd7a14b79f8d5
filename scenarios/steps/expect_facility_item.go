package steps

import (
	"context"
	"errors"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ExpectFacilityItem checks an item of the facility's inventory.
type ExpectFacilityItem struct {
	// Barcode is the item in the facility's inventory.
	Barcode string `yaml:"barcode"`
	// Status is where the item is: in storage, out, or missing.
	Status string `yaml:"status"`
	// Absent checks that the inventory has no such item.
	Absent bool `yaml:"absent"`
}

// ExpectFacilityItem registers expect.facility.item.
func (catalog) ExpectFacilityItem() scenario.Kind {
	return scenario.Kind{Name: "expect.facility.item", Doc: "an item in the facility's inventory",
		New: func() scenario.Action { return &ExpectFacilityItem{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectFacilityItem) Validate() error {
	if x.Barcode == "" {
		return errors.New("barcode is required")
	}
	if x.Status != "" {
		return oneOf("status", x.Status, caiasoft.StoredStatuses...)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectFacilityItem) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.facility.item"); err != nil {
		return err
	}
	it, err := env.World.Engine.ItemStatus(ctx, x.Barcode)
	var items []store.Item
	switch {
	case err == nil:
		items = append(items, it)
	case !errors.Is(err, engine.ErrUnknownItem):
		return scenario.Failf("expect.facility.item %s: %v", x.Barcode, err)
	}
	return lookup[store.Item]{step: "expect.facility.item", key: x.Barcode, absent: x.Absent,
		match: func(store.Item) bool { return true },
		read: func(it store.Item) record {
			return record{state: it.Status, fields: []field{{"status", x.Status, it.Status, false}}}
		},
		none: "no item " + x.Barcode + " in the inventory",
	}.check(items)
}
