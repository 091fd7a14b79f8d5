package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
)

// change is one status change of an item: what happened (a caiasoft.Event*
// kind) and the status it leads to, with the job, request and stop concerned.
type change struct {
	kind, status, job, requestID, stop string
}

// setStatus moves an item to ch.status and records the event in the same
// transaction: every status change the engine makes goes through here.
func setStatus(tx *store.Tx, item *store.Item, ch change, now time.Time) error {
	if err := tx.SetItemStatus(item.Barcode, ch.status, now); err != nil {
		return err
	}
	item.Status = ch.status
	return tx.AddEvent(store.Event{Barcode: item.Barcode, Profile: item.Profile, Collection: item.Collection, Kind: ch.kind,
		Status: ch.status, Job: ch.job, RequestID: ch.requestID, Stop: ch.stop, Time: now})
}

// step is what one floor operation does to one item: the status change and
// the NCIP message it owes (nil for none).
type step struct {
	change
	msg *ncip.Message
}

// floorFunc is one floor operation on one item, inside a transaction.
type floorFunc func(*store.Tx, *profile.Profile, *store.Item, time.Time) (step, error)

// conflict says an item's status does not allow an operation.
func conflict(item *store.Item, what string) error {
	return fmt.Errorf("item %s is %q: %s: %w", item.Barcode, item.Status, what, ErrNotNow)
}

// Retrieve takes an item out of storage for its oldest accepted request:
// out on physical retrieval (and at rest items retrieved without a request),
// pulled for e-retrieval, or out on SH-I-P service. The library is told
// with CheckOutItem (an e-retrieval only where reportsJob says so).
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
		if err := e.markFloorBatch(tx, barcodes); err != nil {
			return err
		}
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

// retrievalKinds are the event kinds of a retrieval per job.
var retrievalKinds = map[string]string{caiasoft.JobPhysical: caiasoft.EventRetrieval,
	caiasoft.JobERetrieval: caiasoft.EventERetrieval, caiasoft.JobSHIP: caiasoft.EventSHPOut}

// retrieveItem is the retrieval of one item inside a floor transaction.
func (e *Engine) retrieveItem(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
	job := caiasoft.JobOfStatus(item.Status)
	switch {
	case item.Status == caiasoft.StatusAtRest:
		job = caiasoft.JobPhysical // a retrieval without a request
	case item.Status == caiasoft.StatusQueueDeaccession:
		return step{}, conflict(item, "deaccession it instead")
	case job == "" || item.Status != caiasoft.QueueStatus(job):
		return step{}, conflict(item, "not in storage")
	}
	q, err := tx.OldestRequest(item.Barcode, store.RequestAccepted)
	var req *store.Request
	switch {
	case err == nil:
		req = &q
		if err := tx.SetRequest(p.Name, q.ID, store.RequestRetrieved, q.Reason, now); err != nil {
			return step{}, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return step{}, err
	}
	st := step{change: change{kind: retrievalKinds[job], status: caiasoft.OutStatus(job), job: job}}
	if req != nil {
		st.requestID, st.stop = req.ID, req.Stop
		if !reportsJob(p, req.Job) {
			return st, nil
		}
	}
	st.msg, err = checkOut(p, *item, req)
	return st, err
}

// reportsJob reports whether the library is told of a job by NCIP. An
// e-retrieval is reported to ALMA only when the profile says so
// (alma.e_retrieval_ncip, assumed false); ALEPH hears of its photocopy
// requests' retrievals like any other.
func reportsJob(p *profile.Profile, job string) bool {
	return job != caiasoft.JobERetrieval || p.System != profile.SystemALMA || p.ALMA.ERetrievalNCIP
}

// ScanDone records that an item pulled for e-retrieval has been scanned:
// it waits in the queue for refile.
func (e *Engine) ScanDone(ctx context.Context, barcode string) error {
	return e.floor(ctx, "scan done", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
		if item.Status != caiasoft.StatusPulledERetrieval {
			return step{}, conflict(item, "only an item pulled for e-retrieval is scanned")
		}
		return step{change: change{kind: caiasoft.EventScanDone, status: caiasoft.StatusQueueRefile, job: caiasoft.JobERetrieval,
			requestID: openRequest(tx, item.Barcode, store.RequestRetrieved)}}, nil
	})
}

// Return records that an item out on physical retrieval or SH-I-P service
// is back in the facility: it waits in the queue for refile.
func (e *Engine) Return(ctx context.Context, barcode string) error {
	return e.floor(ctx, "return", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
		if item.Status != caiasoft.StatusOutPhysical && item.Status != caiasoft.StatusOutSHIP {
			return step{}, conflict(item, "only an item out on retrieval or SH-I-P service returns")
		}
		return step{change: change{kind: caiasoft.EventReturn, status: caiasoft.StatusQueueRefile,
			job: caiasoft.JobOfStatus(item.Status), requestID: openRequest(tx, item.Barcode, store.RequestRetrieved)}}, nil
	})
}

// openRequest is the id of the oldest request on an item with a status, or
// "": it labels an event, so a failure to find one is not an error.
func openRequest(tx *store.Tx, barcode, status string) string {
	q, err := tx.OldestRequest(barcode, status)
	if err != nil {
		return ""
	}
	return q.ID
}

// Refile puts an item back at rest (from the queue for refile, or straight
// from out of the facility), closes its retrieved request and tells the
// library with CheckInItem.
func (e *Engine) Refile(ctx context.Context, barcode string) error {
	return e.floor(ctx, "refile", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
		if item.Status == caiasoft.StatusAtRest {
			return step{}, fmt.Errorf("item %s is already in storage: %w", item.Barcode, ErrNotNow)
		}
		if item.Status != caiasoft.StatusQueueRefile && !caiasoft.IsOut(item.Status) {
			return step{}, conflict(item, "only an item out or in the queue for refile is refiled")
		}
		st := step{change: change{kind: caiasoft.EventRefile, status: caiasoft.StatusAtRest}}
		q, err := tx.OldestRequest(item.Barcode, store.RequestRetrieved)
		switch {
		case err == nil:
			st.requestID, st.job, st.stop = q.ID, q.Job, q.Stop
			if err := tx.SetRequest(p.Name, q.ID, store.RequestRefiled, q.Reason, now); err != nil {
				return step{}, err
			}
		case !errors.Is(err, store.ErrNotFound):
			return step{}, err
		}
		if st.requestID == "" || reportsJob(p, q.Job) {
			st.msg = checkIn(p, *item)
		}
		return st, nil
	})
}

// Deaccession takes an item out of the inventory for good: one in the queue
// for de-accession (its request is fulfilled) or one at rest. Its row stays,
// so its status answers "Item has been Deaccessioned". No NCIP is owed.
func (e *Engine) Deaccession(ctx context.Context, barcode string) error {
	return e.floor(ctx, "deaccession", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
		if item.Status != caiasoft.StatusQueueDeaccession && item.Status != caiasoft.StatusAtRest {
			return step{}, conflict(item, "only an item at rest or in the queue for de-accession is deaccessioned")
		}
		st := step{change: change{kind: caiasoft.EventDeaccession, status: caiasoft.StatusDeaccessioned, job: caiasoft.JobDeaccession}}
		q, err := tx.OldestRequest(item.Barcode, store.RequestAccepted)
		switch {
		case err == nil:
			st.requestID, st.stop = q.ID, q.Stop
			if err := tx.SetRequest(p.Name, q.ID, store.RequestRetrieved, q.Reason, now); err != nil {
				return step{}, err
			}
		case !errors.Is(err, store.ErrNotFound):
			return step{}, err
		}
		return st, nil
	})
}

// MarkMissing records that an item is not on its shelf ("Item not Found");
// its open request is cancelled, and ALMA is told with CancelRequestItem.
func (e *Engine) MarkMissing(ctx context.Context, barcode string) error {
	return e.floor(ctx, "mark missing", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
		if item.Status == caiasoft.StatusNotFound {
			return step{}, conflict(item, "already missing")
		}
		st := step{change: change{kind: caiasoft.EventMissing, status: caiasoft.StatusNotFound}}
		q, err := tx.OldestRequest(item.Barcode, store.RequestAccepted)
		if errors.Is(err, store.ErrNotFound) {
			return st, nil
		}
		if err != nil {
			return step{}, err
		}
		st.requestID, st.job = q.ID, q.Job
		reason := caiasoft.DenialMissing.Reason("item " + item.Barcode + " is missing in storage")
		if err := tx.CancelRequest(p.Name, q.ID, caiasoft.DenialMissing, reason, now); err != nil {
			return step{}, err
		}
		if _, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDenial, Profile: p.Name, RequestID: q.ID, Barcode: item.Barcode,
			Message: fmt.Sprintf("request %s cancelled: %s", q.ID, reason)}); err != nil {
			return step{}, err
		}
		if p.System == profile.SystemALMA {
			st.msg = cancelRequest(p, q)
		}
		return st, nil
	})
}

// Receive records that an item announced by incomingitems has arrived on
// the floor: it is in the accession process.
func (e *Engine) Receive(ctx context.Context, barcode string) error {
	return e.floor(ctx, "receive", barcode, func(tx *store.Tx, p *profile.Profile, item *store.Item, now time.Time) (step, error) {
		if item.Status != caiasoft.StatusWaitingAccession {
			return step{}, conflict(item, "only an item waiting on the incoming accession stream is received")
		}
		return step{change: change{kind: caiasoft.EventReceive, status: caiasoft.StatusInAccession}}, nil
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

// floorIn applies fn to one item in tx: its status change and event, and
// the message it owes; it returns the profile to wake when a message was
// enqueued.
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
	st, err := fn(tx, p, &item, now)
	if err != nil {
		return "", err
	}
	if err := setStatus(tx, &item, st.change, now); err != nil {
		return "", err
	}
	if st.msg == nil {
		return "", nil
	}
	return p.Name, e.enqueue(tx, p, st.msg, st.requestID, barcode, now)
}

// Accession brings an item to rest in storage: one announced by
// incomingitems (waiting on the accession stream or in the accession
// process), or a new one described by it. The library is told with
// CheckInItem where the profile reports accessions.
func (e *Engine) Accession(ctx context.Context, it profile.InventoryItem) error {
	if it.Barcode == "" {
		return fmt.Errorf("accession: barcode is required: %w", ErrNotNow)
	}
	var prof string
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		prof = ""
		now := e.clock()
		item, err := tx.Item(it.Barcode)
		switch {
		case err == nil:
			if item.Status != caiasoft.StatusWaitingAccession && item.Status != caiasoft.StatusInAccession {
				return fmt.Errorf("item %s is already in the inventory (%q): %w", it.Barcode, item.Status, ErrNotNow)
			}
		case errors.Is(err, store.ErrNotFound):
			p := e.profiles[it.Profile]
			if p == nil {
				return fmt.Errorf("%w %q", ErrUnknownProfile, it.Profile)
			}
			// A new item enters the inventory on its way to rest.
			item = store.Item{Barcode: it.Barcode, Profile: p.Name, Collection: it.Collection, Material: it.Material,
				Tray: it.Tray, Library: libraryOf(p, it.Collection), Status: caiasoft.StatusInAccession, Updated: now}
			if err := tx.PutItem(item); err != nil {
				return err
			}
		default:
			return err
		}
		p := e.profiles[item.Profile]
		if p == nil {
			return fmt.Errorf("item %s belongs to %w %q", it.Barcode, ErrUnknownProfile, item.Profile)
		}
		if err := setStatus(tx, &item, change{kind: caiasoft.EventAccession, status: caiasoft.StatusAtRest}, now); err != nil {
			return err
		}
		if !p.ReportsAccessions() {
			return nil
		}
		prof = p.Name
		return e.enqueue(tx, p, checkIn(p, item), "", it.Barcode, now)
	})
	if err != nil {
		return fmt.Errorf("accession: %w", err)
	}
	if prof != "" {
		e.sender.Wake(prof)
	}
	return nil
}

// EventsOf lists an item's status changes (item_events), oldest first.
func (e *Engine) EventsOf(ctx context.Context, barcode string) ([]store.Event, error) {
	return e.store.EventsOf(ctx, barcode)
}
