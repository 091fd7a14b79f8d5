package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/outbox"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"

	"github.com/annexlab/annex/formats/caiasoft"
)

// istatus values of the REST replies (CaiaSoft's "Item Requested" and
// "Invalid Stop Code" are public; the others are ASSUMED wordings).
const (
	StatusRequested     = "Item Requested"
	StatusInvalidStop   = "Invalid Stop Code"
	StatusNotInStorage  = "Item Not In Storage"
	StatusNotAvailable  = "Item Not Available"
	StatusTitleLevel    = "Title Level Request Without Barcode"
	StatusInvalid       = "Invalid Request"
	StatusDuplicateSkip = "Duplicate Request Skipped"
)

// Facility jobs a request asks for (CaiaSoft's request_type codes).
const (
	JobPhysical   = "PYR" // physical retrieval: the item goes out to a stop
	JobERetrieval = "ERT" // e-retrieval: the item is pulled, scanned and refiled
)

// jobOf is the facility job of a request read from a file or posted.
func jobOf(r *requestfile.Request) string {
	if r.Digitization {
		return JobERetrieval
	}
	return JobPhysical
}

// incoming is one request to decide: a parsed record, and for the JSON
// API a facility stop given directly instead of a pickup to translate.
type incoming struct {
	rec  requestfile.Record
	stop string
}

// denial is why a request is denied: Code is the istatus, Detail the rest.
type denial struct{ Code, Detail string }

func (d denial) reason() string { return d.Code + ": " + d.Detail }

// applyRecord decides one request inside the file's transaction, and
// enqueues what the decision owes. owed reports whether a message was enqueued.
func (e *Engine) applyRecord(tx *store.Tx, p *profile.Profile, file string, in incoming, now time.Time) (res api.Result, owed bool, err error) {
	q := store.Request{Profile: p.Name, File: file, Created: now, Updated: now}
	var d *denial
	var r *requestfile.Request
	switch {
	case in.rec.Err != nil:
		re := in.rec.Err
		q.ID, q.Line = re.ID, re.Line
		d = &denial{StatusInvalid, re.Error()}
	case in.rec.Request != nil:
		r = in.rec.Request
		q.ID, q.Line, q.Barcode = r.ID, r.Line, r.Barcode
		if r.TitleLevel {
			q.Barcode = "" // not an item barcode: never sent as an ItemId
		}
		q.Library, q.Job = r.Library, jobOf(r)
		q.Warnings = slices.Clone(r.Warnings)
		if raw, err := json.Marshal(r); err == nil {
			q.Raw = raw
		}
	default:
		return res, false, errors.New("apply record: empty record")
	}
	if q.ID == "" {
		// A request without an id cannot be deduplicated; it is kept under its place in the file.
		q.ID = fmt.Sprintf("%s:%d", file, q.Line)
		if d == nil {
			d = &denial{StatusInvalid, "the request has no request id"}
		}
	}
	res = api.Result{Item: q.Barcode, RequestID: q.ID}
	var item store.Item
	cancelItem := false // ALMA is owed a CancelRequestItem
	if d == nil {
		item, d, cancelItem, err = e.decide(tx, p, r, in.stop, &q)
		if err != nil {
			return res, false, err
		}
	}
	if d != nil {
		q.Status, q.Reason = store.RequestDenied, d.reason()
	} else {
		q.Status = store.RequestAccepted
	}
	inserted, err := tx.InsertRequest(q)
	if err != nil {
		return res, false, err
	}
	if !inserted {
		res.Deny, res.IStatus, res.Skipped = "N", StatusDuplicateSkip, true
		return res, false, nil
	}
	if d == nil {
		if q.Library != "" && item.Library != q.Library {
			item.Library, item.Updated = q.Library, now
			if err := tx.PutItem(item); err != nil {
				return res, false, err
			}
		}
		res.Deny, res.IStatus = "N", StatusRequested
		return res, false, nil
	}
	res.Deny, res.IStatus, res.Reason = "Y", d.Code, q.Reason
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
		return item, &denial{StatusNotInStorage, fmt.Sprintf("item %s is not in the facility's inventory", r.Barcode)}, true, nil
	case err != nil:
		return item, nil, false, err
	case item.Status != caiasoft.StatusAtRest:
		return item, &denial{StatusNotAvailable, fmt.Sprintf("item %s is %s", r.Barcode, item.Status)}, false, nil
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
		return &denial{StatusTitleLevel, fmt.Sprintf("title-level request for %q: the file has no item barcode, only this citation, and storage is searched by barcode", r.Citation)}
	case r.MMSID != "":
		return &denial{StatusTitleLevel, fmt.Sprintf("title-level request for MMS id %s without an item barcode cannot be filled from storage", r.MMSID)}
	}
	return &denial{StatusTitleLevel, "a title-level request without an item barcode cannot be filled from storage"}
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
	if stop == "" {
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
			return "", &denial{StatusInvalidStop, msg}
		}
	}
	if stops := e.cfg.Facility.Stops; len(stops) > 0 {
		i := slices.IndexFunc(stops, func(s profile.Stop) bool { return s.Code == stop })
		if i < 0 || !stops[i].Active {
			return "", &denial{StatusInvalidStop, fmt.Sprintf("%q is not an active circulation stop of the facility", stop)}
		}
	}
	if p.System == profile.SystemALEPH && p.ALEPH.Users[stop] == "" {
		return "", &denial{StatusInvalidStop, fmt.Sprintf("stop %q has no ALEPH user (aleph.users)", stop)}
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

// Retrieve takes an item out of storage for its oldest accepted request
// and tells the library with CheckOutItem.
func (e *Engine) Retrieve(ctx context.Context, barcode string) error {
	return e.floor(ctx, "retrieve", barcode, e.retrieveItem)
}

// RetrieveMany retrieves a pick list: each barcode as Retrieve would, all in
// one transaction, so a list costs one commit instead of one per item. A
// barcode that cannot be retrieved (unknown, not in storage) gets its error
// in the result without stopping the others; any other error aborts the list.
func (e *Engine) RetrieveMany(ctx context.Context, barcodes []string) ([]error, error) {
	results := make([]error, len(barcodes))
	owed := map[string]bool{}
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		clear(owed)
		for i, barcode := range barcodes {
			prof, err := e.floorIn(tx, barcode, e.retrieveItem)
			switch {
			case err == nil:
				if prof != "" {
					owed[prof] = true
				}
			case errors.Is(err, ErrUnknownItem), errors.Is(err, ErrConflict), errors.Is(err, ErrUnknownProfile):
				// Checked before anything is written, so the others can go on.
				results[i] = fmt.Errorf("retrieve: %w", err)
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retrieve pick list: %w", err)
	}
	for prof := range owed {
		e.sender.Wake(prof)
	}
	return results, nil
}

// retrieveItem is the retrieval of one item inside a floor transaction.
func (e *Engine) retrieveItem(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (*ncip.Message, string, error) {
	barcode := item.Barcode
	if item.Status != caiasoft.StatusAtRest {
		return nil, "", fmt.Errorf("item %s is %s, not in storage: %w", barcode, item.Status, ErrConflict)
	}
	q, err := tx.OldestRequest(barcode, store.RequestAccepted)
	var req *store.Request
	switch {
	case err == nil:
		req = &q
		if err := tx.SetRequest(p.Name, q.ID, store.RequestRetrieved, q.Reason, now); err != nil {
			return nil, "", err
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, "", err
	}
	item.Status = caiasoft.StatusOutPhysical
	id := ""
	if req != nil {
		id = req.ID
		if !reportsJob(p, req.Job) {
			return nil, id, nil
		}
	}
	msg, err := checkOut(p, *item, req)
	if err != nil {
		return nil, "", err
	}
	return msg, id, nil
}

// reportsJob reports whether the library is told of a job by NCIP. An
// e-retrieval is reported to ALMA only when the profile says so
// (alma.e_retrieval_ncip, assumed false); ALEPH hears of its photocopy
// requests' retrievals like any other.
func reportsJob(p *profile.Profile, job string) bool {
	return job != JobERetrieval || p.System != profile.SystemALMA || p.ALMA.ERetrievalNCIP
}

// Refile puts an item back in storage, closes its retrieved request and
// tells the library with CheckInItem.
func (e *Engine) Refile(ctx context.Context, barcode string) error {
	return e.floor(ctx, "refile", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (*ncip.Message, string, error) {
		if item.Status == caiasoft.StatusAtRest {
			return nil, "", fmt.Errorf("item %s is already in storage: %w", barcode, ErrConflict)
		}
		id := ""
		q, err := tx.OldestRequest(barcode, store.RequestRetrieved)
		switch {
		case err == nil:
			id = q.ID
			if err := tx.SetRequest(p.Name, q.ID, store.RequestRefiled, q.Reason, now); err != nil {
				return nil, "", err
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, "", err
		}
		item.Status = caiasoft.StatusAtRest
		if id != "" && !reportsJob(p, q.Job) {
			return nil, id, nil
		}
		return checkIn(p, *item), id, nil
	})
}

// MarkMissing marks an item missing; its open request is cancelled, and
// ALMA is told with CancelRequestItem.
func (e *Engine) MarkMissing(ctx context.Context, barcode string) error {
	return e.floor(ctx, "mark missing", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (*ncip.Message, string, error) {
		if item.Status == caiasoft.StatusNotFound {
			return nil, "", fmt.Errorf("item %s is already missing: %w", barcode, ErrConflict)
		}
		item.Status = caiasoft.StatusNotFound
		q, err := tx.OldestRequest(barcode, store.RequestAccepted)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		reason := StatusNotAvailable + ": item " + barcode + " is missing in storage"
		if err := tx.SetRequest(p.Name, q.ID, store.RequestCancelled, reason, now); err != nil {
			return nil, "", err
		}
		if _, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDenial, Profile: p.Name, RequestID: q.ID, Barcode: barcode,
			Message: fmt.Sprintf("request %s cancelled: %s", q.ID, reason)}); err != nil {
			return nil, "", err
		}
		if p.System != profile.SystemALMA {
			return nil, q.ID, nil
		}
		return cancelRequest(p, q), q.ID, nil
	})
}

// floor runs one floor operation on an item in a transaction and enqueues
// the message it owes in that same transaction.
func (e *Engine) floor(ctx context.Context, op, barcode string, fn floorFunc) error {
	var prof string
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		prof, err = e.floorIn(tx, barcode, fn)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if prof != "" {
		e.sender.Wake(prof)
	}
	return nil
}

// floorFunc is one floor operation on one item, inside a transaction: it
// sets the item's new status and returns the NCIP message owed (nil for
// none) and the request it concerns.
type floorFunc func(*store.Tx, *profile.Profile, *store.Item, time.Time) (*ncip.Message, string, error)

// floorIn applies fn to one item in tx and enqueues what it owes; it returns
// the profile to wake when a message was enqueued.
func (e *Engine) floorIn(tx *store.Tx, barcode string, fn floorFunc) (string, error) {
	now := e.clock()
	item, err := tx.Item(barcode)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("item %s: %w", barcode, ErrUnknownItem)
	}
	if err != nil {
		return "", err
	}
	p := e.profiles[item.Profile]
	if p == nil {
		return "", fmt.Errorf("item %s belongs to %w %q", barcode, ErrUnknownProfile, item.Profile)
	}
	msg, reqID, err := fn(tx, p, &item, now)
	if err != nil {
		return "", err
	}
	// A floor operation changes the item's status only.
	if err := tx.SetItemStatus(barcode, item.Status, now); err != nil {
		return "", err
	}
	if msg == nil {
		return "", nil
	}
	return p.Name, e.enqueue(tx, p, msg, reqID, barcode, now)
}

// Accession adds a new item to storage and tells the library with CheckInItem.
func (e *Engine) Accession(ctx context.Context, it profile.InventoryItem) error {
	p := e.profiles[it.Profile]
	if p == nil {
		return fmt.Errorf("accession: %w %q", ErrUnknownProfile, it.Profile)
	}
	if it.Barcode == "" {
		return fmt.Errorf("accession: barcode is required: %w", ErrConflict)
	}
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		now := e.clock()
		if _, err := tx.Item(it.Barcode); err == nil {
			return fmt.Errorf("item %s is already in the inventory: %w", it.Barcode, ErrConflict)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		item := store.Item{Barcode: it.Barcode, Profile: p.Name, Collection: it.Collection, Material: it.Material,
			Tray: it.Tray, Library: libraryOf(p, it.Collection), Status: caiasoft.StatusAtRest, Updated: now}
		if err := tx.PutItem(item); err != nil {
			return err
		}
		return e.enqueue(tx, p, checkIn(p, item), "", it.Barcode, now)
	})
	if err != nil {
		return fmt.Errorf("accession: %w", err)
	}
	e.sender.Wake(p.Name)
	return nil
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
