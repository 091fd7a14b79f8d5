package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
)

// CircRequests decides requests posted as JSON (CaiaSoft's
// /circrequests/v1), in one transaction, like the records of one file. The
// stop is the facility's own, by code or name, not a pickup to translate.
// With profileName "" each request's stop picks the profile: the one whose
// translation or stop list owns it; an unknown or ambiguous stop is a
// denial ("Invalid Stop Code"), recorded under no profile.
func (e *Engine) CircRequests(ctx context.Context, profileName string, reqs []caiasoft.Entry[caiasoft.CircRequest]) ([]Result, error) {
	var fixed *profile.Profile
	if profileName != "" {
		if fixed = e.profiles[profileName]; fixed == nil {
			return nil, fmt.Errorf("circrequests: %w %q", ErrUnknownProfile, profileName)
		}
	}
	var out []Result
	owed := map[string]bool{}
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		clear(owed)
		now := e.clock()
		for i, entry := range reqs {
			c := entry.Value
			job := cmp.Or(strings.ToUpper(strings.TrimSpace(c.RequestType)), caiasoft.JobPhysical)
			r := &requestfile.Request{Line: i + 1, ID: c.RequestID, Type: c.RequestType, Barcode: c.Barcode,
				PatronID: c.PatronID, PatronName: c.Requestor, Title: cmp.Or(c.ArticleTitle, c.Title), Author: cmp.Or(c.ArticleAuthor, c.Author),
				CallNumber: c.CallNumber, Pages: c.ArticlePages, Note: c.Details, Description: c.Volume,
				Digitization: job == caiasoft.JobERetrieval}
			in := incoming{rec: requestfile.Record{Request: r}, stop: c.Stop, job: job, raw: entry.Raw, unknown: entry.Unknown}
			fail := func(code caiasoft.DenialCode, field, msg string) {
				in.rec = requestfile.Record{Err: &requestfile.RecordError{File: "circrequests", Line: i + 1, Field: field, ID: c.RequestID, Msg: msg}}
				in.errCode = code
			}
			switch {
			case !caiasoft.IsJob(job):
				fail(caiasoft.DenialInvalidRecord, "request_type", fmt.Sprintf("request_type %q is not one of %s", c.RequestType, strings.Join(caiasoft.Jobs, ", ")))
			case c.Stop == "":
				fail(caiasoft.DenialNoStop, "stop", "stop is required")
			}
			p := fixed
			if p == nil && in.rec.Err == nil {
				var d denial
				if p, d = e.profileOfStop(c.Stop); p == nil {
					res, err := e.denyUnrouted(tx, c, in, d, now)
					if err != nil {
						return err
					}
					out = append(out, res)
					continue
				}
			}
			if p == nil {
				// An unreadable request with no profile to file it under.
				res, err := e.denyUnrouted(tx, c, in, denial{cmp.Or(in.errCode, caiasoft.DenialInvalidRecord), in.rec.Err.Error()}, now)
				if err != nil {
					return err
				}
				out = append(out, res)
				continue
			}
			res, o, err := e.applyRecord(tx, p, "api:circrequests", in, now)
			if err != nil {
				return err
			}
			if in.rec.Err != nil {
				res.Item = c.Barcode
			}
			if o {
				owed[p.Name] = true
			}
			out = append(out, res)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("circrequests: %w", err)
	}
	for name := range owed {
		e.sender.Wake(name)
	}
	return out, nil
}

// denyUnrouted records a posted request no profile can be found for, under
// profile "", and denies it for d: its stop (or the request itself, when
// it is unreadable).
func (e *Engine) denyUnrouted(tx *store.Tx, c caiasoft.CircRequest, in incoming, d denial, now time.Time) (Result, error) {
	q := store.Request{ID: c.RequestID, Barcode: c.Barcode, Stop: c.Stop, Job: in.job, Status: store.RequestDenied,
		Code: d.Code, Reason: d.reason(), File: "api:circrequests", Line: in.line(), Raw: in.raw, Created: now, Updated: now}
	for _, f := range in.unknown {
		q.Warnings = append(q.Warnings, unknownField(f))
	}
	if q.ID == "" {
		q.ID = fmt.Sprintf("%s:%d", q.File, q.Line)
	}
	res := Result{Result: caiasoft.Result{Item: c.Barcode}, RequestID: q.ID}
	inserted, err := tx.InsertRequest(q)
	if err != nil {
		return res, err
	}
	if !inserted {
		res.Deny, res.IStatus, res.Code, res.Skipped = "N", caiasoft.DenialDuplicate.IStatus(), caiasoft.DenialDuplicate, true
		return res, nil
	}
	res.Deny, res.IStatus, res.Code, res.Reason = "Y", d.Code.IStatus(), d.Code, q.Reason
	_, err = tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDenial, RequestID: q.ID, Barcode: q.Barcode,
		Message: fmt.Sprintf("request %s denied: %s", q.ID, q.Reason)})
	return res, err
}

// line is the place of a posted request in its batch.
func (in incoming) line() int {
	if in.rec.Request != nil {
		return in.rec.Request.Line
	}
	if in.rec.Err != nil {
		return in.rec.Err.Line
	}
	return 0
}

// stopCode finds a facility stop by code, then by code or name in any
// case (CaiaSoft matches a posted stop against both); "" when none does.
// With no stops configured, the given value is the code.
func (e *Engine) stopCode(given string) string {
	stops := e.cfg.Facility.Stops
	if len(stops) == 0 {
		return given
	}
	for _, s := range stops {
		if s.Code == given {
			return s.Code
		}
	}
	g := strings.TrimSpace(given)
	for _, s := range stops {
		if strings.EqualFold(s.Code, g) || (s.Name != "" && strings.EqualFold(s.Name, g)) {
			return s.Code
		}
	}
	return ""
}

// profileOfStop is the one profile that owns a stop (given by code or
// name): its translation maps some pickup to it, or its ALEPH stop list
// (aleph.users) names it. When there is none, the denial says why.
func (e *Engine) profileOfStop(given string) (*profile.Profile, denial) {
	code := e.stopCode(given)
	if code == "" {
		return nil, denial{caiasoft.DenialUnknownStop, fmt.Sprintf("%q is not a circulation stop of the facility", given)}
	}
	var owners []string
	for _, name := range e.order {
		if ownsStop(e.profiles[name], code) {
			owners = append(owners, name)
		}
	}
	switch len(owners) {
	case 1:
		return e.profiles[owners[0]], denial{}
	case 0:
		return nil, denial{caiasoft.DenialUnroutedStop, fmt.Sprintf("no library connection serves stop %q; name one with ?profile=", code)}
	}
	return nil, denial{caiasoft.DenialUnroutedStop, fmt.Sprintf("stop %q is served by %s; name one with ?profile=", code, strings.Join(owners, " and "))}
}

// ownsStop reports whether a profile's translation or stop list has a stop.
func ownsStop(p *profile.Profile, code string) bool {
	if p.System == profile.SystemALEPH && p.ALEPH.Users[code] != "" {
		return true
	}
	for _, t := range p.Translation.Stops.Tables() {
		for _, v := range t.Table {
			if v == code {
				return true
			}
		}
	}
	return false
}

// ItemStatus returns an item of the inventory.
func (e *Engine) ItemStatus(ctx context.Context, barcode string) (store.Item, error) {
	it, err := e.store.ItemByBarcode(ctx, barcode)
	if errors.Is(err, store.ErrNotFound) {
		return it, fmt.Errorf("item status %s: %w", barcode, ErrUnknownItem)
	}
	return it, err
}

// ItemStatuses answers each barcode's status as viewer may see it: "Item
// not Found" for an unknown one, "Item Restricted from this API Key" for
// another profile's item when viewer is a profile ("" is the facility).
func (e *Engine) ItemStatuses(ctx context.Context, viewer string, barcodes []string) ([]caiasoft.ItemStatus, error) {
	found, err := e.store.ItemStatuses(ctx, barcodes)
	if err != nil {
		return nil, fmt.Errorf("item statuses: %w", err)
	}
	out := make([]caiasoft.ItemStatus, len(barcodes))
	for i, b := range barcodes {
		it, ok := found[b]
		out[i] = caiasoft.ItemStatus{Barcode: b, Status: cmp.Or(visible(Scope{Profile: viewer}, it.Profile, ok), it.Status)}
	}
	return out, nil
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

// MaxNCIP caps an NCIP message the responder reads.
const MaxNCIP = 1 << 20

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
	msg, _, err := ncip.Decode(body, ncip.ParseOptions{MaxSize: MaxNCIP})
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
