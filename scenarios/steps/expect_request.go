package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ExpectRequest checks a request as the engine recorded it.
type ExpectRequest struct {
	// ID is the library's request id, e.g. REQ-1.
	ID string `yaml:"id"`
	// Status is the request's state in the engine.
	Status string `yaml:"status"`
	// Reason is a substring of the recorded reason.
	Reason string `yaml:"reason"`
	// Code is the cause of a denial or cancellation, e.g. not_in_storage
	// (caiasoft.DenialCodes lists them); it names the cause where reason
	// only quotes its prose.
	Code string `yaml:"code"`
	// Stop is the circulation stop code the request was routed to.
	Stop string `yaml:"stop"`
	// Barcode is the item the request is for.
	Barcode string `yaml:"barcode"`
	// Profile narrows the lookup when two profiles share request ids.
	Profile string `yaml:"profile"`
	// Absent checks that the engine has no such request.
	Absent bool `yaml:"absent"`
}

// ExpectRequest registers expect.request.
func (catalog) ExpectRequest() scenario.Kind {
	return scenario.Kind{Name: "expect.request", Doc: "a request as the engine recorded it", New: func() scenario.Action { return &ExpectRequest{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectRequest) Validate() error {
	if x.ID == "" {
		return errors.New("id is required")
	}
	if x.Status != "" {
		if err := oneOf("status", x.Status, store.RequestReceived, store.RequestAccepted, store.RequestDenied,
			store.RequestRetrieved, store.RequestRefiled, store.RequestCancelled); err != nil {
			return err
		}
	}
	if x.Code != "" {
		return oneOf("code", x.Code, caiasoft.DenialCodeNames()...)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectRequest) Run(ctx context.Context, env *scenario.Env) error {
	rows, err := engineRows(ctx, env, "expect.request", (*engine.Engine).Requests)
	if err != nil {
		return err
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID+"="+r.Status)
	}
	return lookup[engine.RequestRow]{step: "expect.request", key: x.ID, absent: x.Absent,
		match: func(r engine.RequestRow) bool { return r.ID == x.ID && (x.Profile == "" || r.Profile == x.Profile) },
		read: func(r engine.RequestRow) record {
			return record{state: r.Status + " (" + r.Reason + ")",
				fields: []field{{"status", x.Status, r.Status, false}, {"reason", x.Reason, r.Reason, true},
					{"code", x.Code, string(r.Code), false}, {"stop", x.Stop, r.Stop, false}, {"barcode", x.Barcode, r.Barcode, false}},
				whole: fmt.Sprintf("request %s: status %s, code %q, stop %q, barcode %q, reason %q", r.ID, r.Status, r.Code, r.Stop, r.Barcode, r.Reason)}
		},
		none: fmt.Sprintf("no request %s (the engine has: %s)", x.ID, strings.Join(ids, ", ")),
	}.check(rows)
}
