package steps

import (
	"context"
	"errors"
	"time"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/scenarios/scenario"
)

// Floor is a floor operation on an item; the facility.* kinds but
// facility.accession are one operation each, and share these keys.
type Floor struct {
	op floorOp
	// Barcode is the item the floor staff handle.
	Barcode string `yaml:"barcode"`
	// ExpectError is a substring of the error the operation must fail with.
	ExpectError string `yaml:"expect_error"`
}

// floorOp is one operation: its name after "facility.", its doc, and the
// engine's method that does it.
type floorOp struct {
	name, doc string
	do        func(*engine.Engine, context.Context, string) error
}

// Floor registers the floor operations.
func (catalog) Floor() []scenario.Kind {
	ops := []floorOp{
		{"retrieve", "take an item out of storage (CheckOutItem)", (*engine.Engine).Retrieve},
		{"refile", "put an item back in storage (CheckInItem)", (*engine.Engine).Refile},
		{"missing", "mark an item missing: Item not Found (CancelRequestItem for ALMA)", (*engine.Engine).MarkMissing},
		{"scan_done", "an item pulled for e-retrieval is scanned: In Queue for Refile", (*engine.Engine).ScanDone},
		{"return", "an item out on retrieval or SH-I-P service is back: In Queue for Refile", (*engine.Engine).Return},
		{"deaccession", "take an item out of the inventory for good: Item has been Deaccessioned", (*engine.Engine).Deaccession},
		{"receive", "an item announced by incomingitems arrives: Item In Accession Process", (*engine.Engine).Receive},
	}
	var kinds []scenario.Kind
	for _, op := range ops {
		kinds = append(kinds, scenario.Kind{Name: "facility." + op.name, Doc: op.doc, New: func() scenario.Action { return &Floor{op: op} }})
	}
	return kinds
}

// Validate implements scenario.Validator.
func (f *Floor) Validate() error {
	if f.Barcode == "" {
		return errors.New("barcode is required")
	}
	return nil
}

// Run implements scenario.Action.
func (f *Floor) Run(ctx context.Context, env *scenario.Env) error {
	start := time.Now()
	err := f.op.do(env.World.Engine, ctx, f.Barcode)
	recordFloor(env, start, f.op.name+" "+f.Barcode, err)
	return checkErr("facility."+f.op.name+" "+f.Barcode, err, f.ExpectError)
}

// recordFloor draws a floor operation in the report: staff on the floor
// telling the engine what they did, before any message it sends about it.
func recordFloor(env *scenario.Env, start time.Time, what string, err error) {
	env.Record(scenario.Event{Time: start, From: scenario.LaneFloor, To: "engine", Label: what, Status: errText(err), Failed: err != nil})
}
