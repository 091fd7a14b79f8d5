package steps

import (
	"context"
	"errors"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/aleph"
)

// ExpectALEPHItem checks an item in mock ALEPH's state, read over its
// /_sim/state API once the engine has settled.
type ExpectALEPHItem struct {
	// Barcode is the item in mock ALEPH.
	Barcode string `yaml:"barcode"`
	// Status is the item's state in ALEPH.
	Status string `yaml:"status"`
	// SubLibrary is the item's ALEPH sub-library code.
	SubLibrary string `yaml:"sub_library"`
	// LoanUser is the patron the item is on loan to.
	LoanUser string `yaml:"loan_user"`
	// Absent checks that ALEPH has no such item.
	Absent bool `yaml:"absent"`
}

// ExpectALEPHItem registers expect.aleph.item.
func (catalog) ExpectALEPHItem() scenario.Kind {
	return scenario.Kind{Name: "expect.aleph.item", Doc: "an item in mock ALEPH's state", New: func() scenario.Action { return &ExpectALEPHItem{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectALEPHItem) Validate() error {
	if x.Barcode == "" {
		return errors.New("barcode is required")
	}
	if x.Status != "" {
		return oneOf("status", x.Status, aleph.ItemStatuses()...)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectALEPHItem) Run(ctx context.Context, env *scenario.Env) error {
	return mockRecord(ctx, env, profile.SystemALEPH, "item", func(st aleph.State) []aleph.Item { return st.Items }, lookup[aleph.Item]{
		step: "expect.aleph.item", key: x.Barcode, absent: x.Absent,
		match: func(it aleph.Item) bool { return it.Barcode == x.Barcode },
		read: func(it aleph.Item) record {
			loan := ""
			if it.Loan != nil {
				loan = it.Loan.User
			}
			return record{state: it.Status, fields: []field{{"status", x.Status, it.Status, false},
				{"sub_library", x.SubLibrary, it.SubLibrary, false}, {"loan user", x.LoanUser, loan, false}}}
		},
	})
}
