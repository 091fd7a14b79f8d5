package steps

import (
	"context"
	"fmt"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ExpectOutbox checks the engine's outbox.
type ExpectOutbox struct {
	// Service is the NCIP service of the messages, e.g. CheckInItem.
	Service string `yaml:"service"`
	// Barcode narrows the messages to one item.
	Barcode string `yaml:"barcode"`
	// Status is where the messages stand in delivery.
	Status string `yaml:"status"`
	// Attempts is the delivery attempts of every matching message.
	Attempts *int `yaml:"attempts"`
	// Count is how many messages must match (not given: at least one).
	Count *int `yaml:"count"`
	// NoWait checks at once instead of waiting for the outbox to settle
	// (to see a message still pending while its endpoint is down).
	NoWait bool `yaml:"no_wait"`
}

// ExpectOutbox registers expect.outbox.
func (catalog) ExpectOutbox() scenario.Kind {
	return scenario.Kind{Name: "expect.outbox", Doc: "NCIP messages in the engine's outbox and their delivery", New: func() scenario.Action { return &ExpectOutbox{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectOutbox) Validate() error {
	if x.Status != "" {
		return oneOf("status", x.Status, store.MsgPending, store.MsgDelivered, store.MsgFailed)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectOutbox) Run(ctx context.Context, env *scenario.Env) error {
	read := engineRows[engine.OutboxRow]
	if x.NoWait {
		read = engineRowsNow
	}
	rows, err := read(ctx, env, "expect.outbox", (*engine.Engine).Outbox)
	if err != nil {
		return err
	}
	match := func(m engine.OutboxRow) bool {
		return (x.Service == "" || m.Service == x.Service) && (x.Barcode == "" || m.Barcode == x.Barcode) && (x.Status == "" || m.Status == x.Status)
	}
	n, seen := tally(rows, func(m engine.OutboxRow) string {
		return fmt.Sprintf("#%d %s %s: %s after %d attempts %s", m.ID, m.Service, m.Barcode, m.Status, m.Attempts, m.LastError)
	}, match)
	if x.Attempts != nil {
		// The first matching message with other attempts fails, listed with the rows up to it.
		for i, m := range rows {
			if match(m) && m.Attempts != *x.Attempts {
				return &scenario.Failure{Msg: fmt.Sprintf("expect.outbox: %s %s took %d attempts, want %d", m.Service, m.Barcode, m.Attempts, *x.Attempts),
					Diff: listing("outbox", seen[:i+1])}
			}
		}
	}
	if counted(x.Count, n) {
		return nil
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.outbox: %d messages match (service %q, barcode %q, status %q)", n, x.Service, x.Barcode, x.Status),
		Diff: listing("outbox", seen)}
}
