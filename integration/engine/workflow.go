package engine

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/outbox"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"

	"github.com/annexlab/annex/formats/caiasoft"
)

// jobOf is the facility job of a request read from a file.
func jobOf(r *requestfile.Request) string {
	if r.Digitization {
		return caiasoft.JobERetrieval
	}
	return caiasoft.JobPhysical
}

// incoming is one request to decide: a parsed record, and for the JSON
// API a facility stop given directly instead of a pickup to translate.
type incoming struct {
	rec  requestfile.Record
	stop string
	// job is the posted request_type ("" for a file's records: see jobOf).
	job string
	// raw is the posted entry as it came, unknown fields and all, recorded
	// on the request in place of the parsed record.
	raw json.RawMessage
	// unknown are the posted entry's fields annex does not read.
	unknown []string
	// errCode is the denial of an unreadable rec ("" means
	// caiasoft.DenialInvalidRecord).
	errCode caiasoft.DenialCode
}

// denial is why a request is denied: Code the cause (which gives the
// istatus), Detail the rest.
type denial struct {
	Code   caiasoft.DenialCode
	Detail string
}

func (d denial) reason() string { return d.Code.Reason(d.Detail) }

// applyRecord decides one request inside the file's transaction, and
// enqueues what the decision owes. owed reports whether a message was enqueued.
func (e *Engine) applyRecord(tx *store.Tx, p *profile.Profile, file string, in incoming, now time.Time) (res Result, owed bool, err error) {
	q := store.Request{Profile: p.Name, File: file, Created: now, Updated: now}
	var d *denial
	var r *requestfile.Request
	switch {
	case in.rec.Err != nil:
		re := in.rec.Err
		q.ID, q.Line = re.ID, re.Line
		d = &denial{cmp.Or(in.errCode, caiasoft.DenialInvalidRecord), re.Error()}
	case in.rec.Request != nil:
		r = in.rec.Request
		q.ID, q.Line, q.Barcode = r.ID, r.Line, r.Barcode
		if r.TitleLevel {
			q.Barcode = "" // not an item barcode: never sent as an ItemId
		}
		q.Library, q.Job = r.Library, cmp.Or(in.job, jobOf(r))
		q.Warnings = slices.Clone(r.Warnings)
		for _, f := range in.unknown {
			q.Warnings = append(q.Warnings, unknownField(f))
		}
		if in.raw != nil {
			q.Raw = in.raw
		} else if raw, err := json.Marshal(r); err == nil {
			q.Raw = raw
		}
	default:
		return res, false, errors.New("apply record: empty record")
	}
	if q.ID == "" {
		// A request without an id cannot be deduplicated; it is kept under its place in the file.
		q.ID = fmt.Sprintf("%s:%d", file, q.Line)
		if d == nil {
			d = &denial{caiasoft.DenialNoRequestID, "the request has no request id"}
		}
	}
	res = Result{Result: caiasoft.Result{Item: q.Barcode}, RequestID: q.ID}
	var item store.Item
	cancelItem := false // ALMA is owed a CancelRequestItem
	if d == nil {
		item, d, cancelItem, err = e.decide(tx, p, r, in.stop, &q)
		if err != nil {
			return res, false, err
		}
	}
	if d != nil {
		q.Status, q.Code, q.Reason = store.RequestDenied, d.Code, d.reason()
	} else {
		q.Status = store.RequestAccepted
	}
	inserted, err := tx.InsertRequest(q)
	if err != nil {
		return res, false, err
	}
	if !inserted {
		res.Deny, res.IStatus, res.Code, res.Skipped = "N", caiasoft.DenialDuplicate.IStatus(), caiasoft.DenialDuplicate, true
		return res, false, nil
	}
	if d == nil {
		// ALEPH's sublibrary is the item's own, so it corrects the
		// inventory; ALMA's libraryCode is the pickup library's
		// (docs/libraries.md, ALMA), and taking it would check a LAW item out on behalf of a
		// MAIN desk, which ALMA refuses.
		if p.System == profile.SystemALEPH && q.Library != "" && item.Library != q.Library {
			item.Library, item.Updated = q.Library, now
			if err := tx.PutItem(item); err != nil {
				return res, false, err
			}
		}
		// The item waits in the job's queue until the floor acts on it.
		ch := change{kind: caiasoft.EventQueued, status: caiasoft.QueueStatus(q.Job), job: q.Job, requestID: q.ID, stop: q.Stop}
		if err := setStatus(tx, &item, ch, now); err != nil {
			return res, false, err
		}
		res.Deny, res.IStatus = "N", caiasoft.IStatusRequested
		return res, false, nil
	}
	res.Deny, res.IStatus, res.Code, res.Reason = "Y", d.Code.IStatus(), d.Code, q.Reason
	if _, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDenial, Profile: p.Name, RequestID: q.ID,
		Barcode: q.Barcode, Message: fmt.Sprintf("request %s denied: %s", q.ID, q.Reason)}); err != nil {
		return res, false, err
	}
	if cancelItem && p.System == profile.SystemALMA {
		if err := e.enqueue(tx, p, cancelRequest(p, q), q.ID, q.Barcode, now); err != nil {
			return res, false, err
		}
		owed = true
	}
	return res, owed, nil
}

// decide accepts or denies a readable request. cancel reports that ALMA
// must be told the item does not exist in storage.
func (e *Engine) decide(tx *store.Tx, p *profile.Profile, r *requestfile.Request, directStop string, q *store.Request) (store.Item, *denial, bool, error) {
	if r.TitleLevel || r.Barcode == "" {
		return store.Item{}, titleLevelDenial(r), true, nil
	}
	item, err := tx.Item(r.Barcode)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && item.Profile != p.Name):
		return item, &denial{caiasoft.DenialNotInStorage, fmt.Sprintf("item %s is not in the facility's inventory", r.Barcode)}, true, nil
	case err != nil:
		return item, nil, false, err
	case caiasoft.IsOut(item.Status):
		return item, &denial{caiasoft.DenialOutOfFacility, fmt.Sprintf("item %s is %q", r.Barcode, item.Status)}, false, nil
	case item.Status != caiasoft.StatusAtRest:
		return item, &denial{caiasoft.DenialNotAvailable, fmt.Sprintf("item %s is %q", r.Barcode, item.Status)}, false, nil
	}
	stop, d := e.translateStop(p, r, directStop)
	if d != nil {
		return item, d, false, nil
	}
	q.Stop = stop
	q.Collection, q.Warnings = translateCollection(p, r, q.Warnings)
	return item, nil, false, nil
}

// titleLevelDenial says why a title-level request cannot be filled, quoting
// what ALMA wrote where the barcode goes (a citation such as "Volume 96;
// Issue 4; Publication Date 1989"), so staff can find the volume meant.
func titleLevelDenial(r *requestfile.Request) *denial {
	switch {
	case r.Citation != "":
		return &denial{caiasoft.DenialTitleLevel, fmt.Sprintf("title-level request for %q: the file has no item barcode, only this citation, and storage is searched by barcode", r.Citation)}
	case r.MMSID != "":
		return &denial{caiasoft.DenialTitleLevel, fmt.Sprintf("title-level request for MMS id %s without an item barcode cannot be filled from storage", r.MMSID)}
	}
	return &denial{caiasoft.DenialTitleLevel, "a title-level request without an item barcode cannot be filled from storage"}
}

// stopKeys are the values a request is looked up by in each stop table, in
// the order of profile.Stops.Tables.
func stopKeys(r *requestfile.Request) map[string]string {
	return map[string]string{"desks": r.PickupDesk, "pickup_locations": r.Pickup, "pickup_libraries": r.PickupLibrary,
		"libraries": r.Library, "institutions": r.InstitutionCode}
}

// translateStop maps a request's pickup to a circulation stop, trying the
// profile's stop tables in the order of profile.Stops.Tables. The stop
// must be one of the facility's active stops (when it lists any), and an
// ALEPH stop needs its CAIAUSER.
func (e *Engine) translateStop(p *profile.Profile, r *requestfile.Request, direct string) (string, *denial) {
	stop := direct
	if direct != "" {
		// A posted stop is the facility's own, by code or name.
		if stop = e.stopCode(direct); stop == "" {
			return "", &denial{caiasoft.DenialUnknownStop, fmt.Sprintf("%q is not a circulation stop of the facility", direct)}
		}
	} else {
		keys := stopKeys(r)
		var tried, absent []string
		for _, t := range p.Translation.Stops.Tables() {
			key := keys[t.Name]
			switch {
			case key == "":
				absent = append(absent, t.Name)
				continue
			case len(t.Table) == 0:
				tried = append(tried, fmt.Sprintf("%s %q (table empty)", t.Name, key))
				continue
			}
			if stop = t.Table[key]; stop != "" {
				break
			}
			tried = append(tried, fmt.Sprintf("%s %q", t.Name, key))
		}
		if stop == "" {
			msg := "no circulation stop in translation.stops"
			if len(tried) > 0 {
				msg += ": tried " + strings.Join(tried, ", ")
			}
			if len(absent) > 0 {
				msg += "; the request gives no key for " + strings.Join(absent, ", ")
			}
			return "", &denial{caiasoft.DenialNoStopTranslation, msg}
		}
	}
	if stops := e.cfg.Facility.Stops; len(stops) > 0 {
		i := slices.IndexFunc(stops, func(s profile.Stop) bool { return s.Code == stop })
		if i < 0 || !stops[i].Active {
			return "", &denial{caiasoft.DenialInactiveStop, fmt.Sprintf("%q is not an active circulation stop of the facility", stop)}
		}
	}
	if p.System == profile.SystemALEPH && p.ALEPH.Users[stop] == "" {
		return "", &denial{caiasoft.DenialNoALEPHUser, fmt.Sprintf("stop %q has no ALEPH user (aleph.users)", stop)}
	}
	return stop, nil
}

// translateCollection finds the request's facility collection by
// library/location, location alone, then library (digitization requests
// carry no library). A missing collection is a warning, not a denial: the
// item is already known to belong to this library connection. ALMA's
// libraryCode is the pickup library, so for a request picked up at another
// library the collection found may differ from the item's own.
func translateCollection(p *profile.Profile, r *requestfile.Request, warnings []string) (string, []string) {
	t := p.Translation.Collections
	var keys []string
	if r.Library != "" && r.Location != "" {
		keys = append(keys, r.Library+"/"+r.Location)
	}
	keys = append(keys, r.Location, r.Library)
	var tried []string
	for _, k := range keys {
		if k == "" {
			continue
		}
		if c := t[k]; c != "" {
			return c, warnings
		}
		tried = append(tried, strconv.Quote(k))
	}
	if len(t) > 0 {
		w := "no translation.collections entry for the request"
		if len(tried) > 0 {
			w += " (tried " + strings.Join(tried, ", ") + ")"
		}
		warnings = append(warnings, w)
	}
	return "", warnings
}

// enqueue renders a message in the profile's style and stores it for the outbox.
func (e *Engine) enqueue(tx *store.Tx, p *profile.Profile, msg *ncip.Message, reqID, barcode string, now time.Time) error {
	payload, err := ncip.Encode(msg, p.Style.NCIP())
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	endpoint, transport := endpointOf(p)
	_, err = tx.Enqueue(store.Message{Profile: p.Name, Endpoint: endpoint, Transport: transport, Service: msg.Body.ServiceName(),
		RequestID: reqID, Barcode: barcode, Payload: payload, Created: now})
	return err
}

func endpointOf(p *profile.Profile) (endpoint, transport string) {
	if p.System == profile.SystemALMA {
		return p.ALMA.NCIPURL, store.TransportHTTP
	}
	if p.ALEPH.NCIPAddr != "" {
		return p.ALEPH.NCIPAddr, store.TransportTCP
	}
	return p.ALEPH.NCIPURL, store.TransportHTTP
}

// onOutcome is the workflow's reaction to a delivery outcome, in the
// transaction that records it.
func (e *Engine) onOutcome(tx *store.Tx, m store.Message, o outbox.Outcome) error {
	now := e.clock()
	switch {
	case o.Kind == store.MsgDelivered && m.Service == "CheckOutItem":
		_, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertFulfilment, Profile: m.Profile, RequestID: m.RequestID, Barcode: m.Barcode,
			Message: fmt.Sprintf("item %s retrieved; CheckOutItem delivered to %s", m.Barcode, m.Profile)})
		return err
	case o.Kind == store.MsgFailed:
		if m.RequestID != "" {
			// The Problem is added to the request's reason, not put in its
			// place: a denial's own reason (a title-level citation, say) stays.
			reason := "NCIP Problem: " + o.Problem
			q, err := tx.Request(m.Profile, m.RequestID)
			switch {
			case err == nil && q.Reason != "":
				reason = q.Reason + "; " + reason
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return err
			}
			if err := tx.SetRequestReason(m.Profile, m.RequestID, reason, now); err != nil {
				return err
			}
		}
		_, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertNCIPProblem, Profile: m.Profile, RequestID: m.RequestID, Barcode: m.Barcode,
			Message: fmt.Sprintf("%s for item %s answered with a Problem: %s", m.Service, m.Barcode, o.Problem)})
		return err
	case o.Kind == store.MsgPending && o.Attempts == outbox.AlertAfter:
		_, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDeliveryFailure, Profile: m.Profile, RequestID: m.RequestID, Barcode: m.Barcode,
			Message: fmt.Sprintf("%s for item %s not delivered after %d attempts (still retrying): %v", m.Service, m.Barcode, o.Attempts, o.Err)})
		return err
	}
	return nil
}
