package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
)

// CircRequests decides requests posted as JSON (CaiaSoft's
// /circrequests/v1), in one transaction, like the records of one file. The
// stop is the facility's own code, not a pickup to translate.
func (e *Engine) CircRequests(ctx context.Context, profileName string, reqs []api.CircRequest) ([]api.Result, error) {
	p := e.profiles[profileName]
	if p == nil {
		return nil, fmt.Errorf("circrequests: %w %q", ErrUnknownProfile, profileName)
	}
	var out []api.Result
	owed := false
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		out, owed = out[:0], false
		now := e.clock()
		for i, c := range reqs {
			r := &requestfile.Request{Line: i + 1, ID: c.RequestID, Type: c.RequestType, Barcode: c.Barcode,
				PatronID: c.PatronID, Title: c.Title, Author: c.Author, CallNumber: c.CallNumber,
				Digitization: strings.EqualFold(c.RequestType, JobERetrieval)}
			in := incoming{rec: requestfile.Record{Request: r}, stop: c.Stop}
			if c.Stop == "" {
				in.rec = requestfile.Record{Err: &requestfile.RecordError{File: "circrequests", Line: i + 1, Field: "stop", ID: c.RequestID, Msg: "stop is required"}}
			}
			res, o, err := e.applyRecord(tx, p, "api:circrequests", in, now)
			if err != nil {
				return err
			}
			if in.rec.Err != nil {
				res.Item, res.IStatus = c.Barcode, StatusInvalidStop
			}
			owed = owed || o
			out = append(out, res)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("circrequests: %w", err)
	}
	if owed {
		e.sender.Wake(p.Name)
	}
	return out, nil
}

// ItemStatus returns an item of the inventory.
func (e *Engine) ItemStatus(ctx context.Context, barcode string) (store.Item, error) {
	it, err := e.store.ItemByBarcode(ctx, barcode)
	if errors.Is(err, store.ErrNotFound) {
		return it, fmt.Errorf("item status %s: %w", barcode, ErrUnknownItem)
	}
	return it, err
}

// Stops lists the facility's circulation stops, the active ones unless all.
func (e *Engine) Stops(all bool) []profile.Stop {
	var out []profile.Stop
	for _, s := range e.cfg.Facility.Stops {
		if all || s.Active {
			out = append(out, s)
		}
	}
	return out
}

// ServeNCIP is the facility's NCIP responder: ALMA's DeleteItem removes the
// item from the inventory. ALMA is recognised by its agencies (From = the
// institution, To = the facility's agency of an ALMA profile), not by a key.
// Every answer is NCIP: DeleteItemResponse with the ItemId, or a Problem.
func (e *Engine) ServeNCIP(ctx context.Context, body []byte) []byte {
	style := ncip.Style{}
	reply := func(b ncip.Body) []byte {
		out, err := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: b}, style)
		if err != nil {
			e.log.Error("ncip responder: encode", "err", err)
			out, _ = ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.ProblemResponse{Problems: []ncip.Problem{
				{ProblemType: ncip.SV("Temporary Processing Failure")}}}}, ncip.Style{})
		}
		return out
	}
	msg, _, err := ncip.Decode(body, ncip.ParseOptions{MaxSize: api.MaxNCIP})
	if err != nil {
		return reply(&ncip.ProblemResponse{Problems: []ncip.Problem{{ProblemType: ncip.SV("Invalid Message Syntax Error"),
			ProblemDetail: err.Error()}}})
	}
	del, ok := msg.Body.(*ncip.DeleteItem)
	if !ok {
		return reply(&ncip.ProblemResponse{Problems: []ncip.Problem{{ProblemType: ncip.SV("Unsupported Service"),
			ProblemElement: msg.Body.ServiceName(), ProblemDetail: "the facility answers DeleteItem only"}}})
	}
	problem := func(h *ncip.ResponseHeader, typ, element, value string) []byte {
		return reply(&ncip.DeleteItemResponse{ResponseHeader: h, Problems: []ncip.Problem{{ProblemType: ncip.SV(typ),
			ProblemDetail: typ, ProblemElement: element, ProblemValue: value}}})
	}
	h := del.InitiationHeader
	if h == nil {
		return problem(nil, "Needed Data Missing", "InitiationHeader", "")
	}
	rh := &ncip.ResponseHeader{FromAgencyId: h.ToAgencyId, ToAgencyId: h.FromAgencyId}
	var p *profile.Profile
	for _, name := range e.order {
		q := e.profiles[name]
		if q.System == profile.SystemALMA && q.ALMA.FromAgency == h.ToAgencyId.Value && q.ALMA.ToAgency == h.FromAgencyId.Value {
			p = q
			break
		}
	}
	if p == nil {
		return problem(rh, "Unknown Agency", "InitiationHeader/FromAgencyId", h.FromAgencyId.Value)
	}
	style = p.Style.NCIP()
	barcode := del.ItemId.ItemIdentifierValue
	var found bool
	err = e.store.Tx(ctx, func(tx *store.Tx) error {
		it, err := tx.Item(barcode)
		if errors.Is(err, store.ErrNotFound) || (err == nil && it.Profile != p.Name) {
			return nil
		}
		if err != nil {
			return err
		}
		found, err = tx.DeleteItem(barcode)
		return err
	})
	switch {
	case err != nil:
		e.log.Error("ncip responder: delete item", "barcode", barcode, "err", err)
		return problem(rh, "Temporary Processing Failure", "ItemId", barcode)
	case !found:
		return problem(rh, "Unknown Item", "ItemId", barcode)
	}
	e.log.Info("item deleted by the library", "profile", p.Name, "barcode", barcode)
	return reply(&ncip.DeleteItemResponse{ResponseHeader: rh, ItemId: &ncip.ItemId{ItemIdentifierValue: barcode}})
}
