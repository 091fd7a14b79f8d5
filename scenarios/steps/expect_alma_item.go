package steps

import (
	"context"
	"errors"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/alma"
)

// ExpectALMAItem checks an item in mock ALMA's state, read over its
// /_sim/state API once the engine has settled.
type ExpectALMAItem struct {
	// Barcode is the item in mock ALMA.
	Barcode string `yaml:"barcode"`
	// Status is the item's state in ALMA.
	Status string `yaml:"status"`
	// Library is the item's library code.
	Library string `yaml:"library"`
	// Location is the item's location code.
	Location string `yaml:"location"`
	// LoanUser is the user the item is on loan to.
	LoanUser string `yaml:"loan_user"`
	// Absent checks that ALMA has no such item (it was deleted).
	Absent bool `yaml:"absent"`
}

// ExpectALMAItem registers expect.alma.item.
func (catalog) ExpectALMAItem() scenario.Kind {
	return scenario.Kind{Name: "expect.alma.item", Doc: "an item in mock ALMA's state", New: func() scenario.Action { return &ExpectALMAItem{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectALMAItem) Validate() error {
	if x.Barcode == "" {
		return errors.New("barcode is required")
	}
	if x.Status != "" {
		return oneOf("status", x.Status, alma.ItemStatuses()...)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectALMAItem) Run(ctx context.Context, env *scenario.Env) error {
	return mockRecord(ctx, env, profile.SystemALMA, "item", func(st alma.State) []alma.Item { return st.Items }, lookup[alma.Item]{
		step: "expect.alma.item", key: x.Barcode, absent: x.Absent,
		match: func(it alma.Item) bool { return it.Barcode == x.Barcode },
		read: func(it alma.Item) record {
			loan := ""
			if it.Loan != nil {
				loan = it.Loan.User
			}
			return record{state: it.Status, fields: []field{{"status", x.Status, it.Status, false},
				{"library", x.Library, it.Library, false}, {"location", x.Location, it.Location, false}, {"loan user", x.LoanUser, loan, false}}}
		},
	})
}
