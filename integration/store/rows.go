package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
)

// Item is an item of the facility's inventory.
type Item struct {
	Barcode    string `json:"barcode"`
	Profile    string `json:"profile"`
	Collection string `json:"collection"`
	Material   string `json:"material,omitempty"`
	Tray       string `json:"tray,omitempty"`
	// Library is the library's own code for the item's home (ALMA library,
	// ALEPH sublibrary): it chooses the ALMA circulation desk.
	Library string `json:"library,omitempty"`
	// Status is one of caiasoft.StoredStatuses.
	Status string `json:"status"`
	// Bibliographic data, from incomingitems and itemupdates.
	Title      string `json:"title,omitempty"`
	Author     string `json:"author,omitempty"`
	Volume     string `json:"volume,omitempty"`
	CallNumber string `json:"call_number,omitempty"`
	ISBN       string `json:"isbn,omitempty"`
	ISSN       string `json:"issn,omitempty"`
	LCCN       string `json:"lccn,omitempty"`
	OCLC       string `json:"oclc,omitempty"`
	// Accessioned is when the item came to rest in storage for the first
	// time; zero while it waits on the accession stream (and for items
	// seeded from the facility's inventory before issue 12).
	Accessioned time.Time `json:"accessioned,omitzero"`
	Updated     time.Time `json:"updated"`
}

// Event is one status change of an item (item_events): kind says what
// happened (caiasoft.Event*), Status is the item's status after it.
type Event struct {
	ID         int64     `json:"id"`
	Barcode    string    `json:"barcode"`
	Profile    string    `json:"profile"`
	Collection string    `json:"collection"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	Job        string    `json:"job,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Stop       string    `json:"stop,omitempty"`
	Day        string    `json:"day"` // YYYYMMDD in the facility's clock
	Time       time.Time `json:"time"`
}

// Request is a library request the facility received.
type Request struct {
	Profile string `json:"profile"`
	ID      string `json:"id"`
	Barcode string `json:"barcode,omitempty"`
	Stop    string `json:"stop,omitempty"`
	Library string `json:"library,omitempty"`
	// Job is the facility job the request asks for: CaiaSoft's PYR
	// (physical retrieval) or ERT (e-retrieval: pulled, scanned, refiled).
	Job string `json:"job,omitempty"`
	// Collection is the facility collection the profile's translation gives the request.
	Collection string `json:"collection,omitempty"`
	// Warnings are what the engine and the parser noticed without denying the request.
	Warnings []string `json:"warnings,omitempty"`
	Status   string   `json:"status"`
	// Code is the cause of a denial (or of a cancellation); "" otherwise.
	Code    caiasoft.DenialCode `json:"code,omitempty"`
	Reason  string              `json:"reason,omitempty"`
	File    string              `json:"file,omitempty"`
	Line    int                 `json:"line,omitempty"`
	Raw     json.RawMessage     `json:"raw,omitempty"`
	Created time.Time           `json:"created"`
	Updated time.Time           `json:"updated"`
}

// File is a claimed request file.
type File struct {
	// Name is the claimed name (<time>-<original>), unique.
	Name     string    `json:"name"`
	Profile  string    `json:"profile"`
	Original string    `json:"original"`
	SHA256   string    `json:"sha256"`
	Status   string    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
	Accepted int       `json:"accepted"`
	Denied   int       `json:"denied"`
	Skipped  int       `json:"skipped"`
	Received time.Time `json:"received"`
	Updated  time.Time `json:"updated"`
}

// Message is an NCIP message in the outbox.
type Message struct {
	ID        int64  `json:"id"`
	Profile   string `json:"profile"`
	Endpoint  string `json:"endpoint"`
	Transport string `json:"transport"`
	Service   string `json:"service"`
	RequestID string `json:"request_id,omitempty"`
	Barcode   string `json:"barcode,omitempty"`
	// Payload is the exact bytes sent on every attempt.
	Payload  []byte `json:"payload"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	// NextAttempt is when a pending message is next due, by the outbox's clock.
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	// InDoubt: an attempt may have reached the library unanswered (a
	// timeout, a reset after the request went out, a crash mid-attempt), so
	// where the profile allows lookups the next attempt asks before resending.
	InDoubt bool `json:"in_doubt,omitempty"`
	// Reconciled: delivered without a resend, because a lookup showed the
	// library had already acted on an earlier attempt.
	Reconciled bool      `json:"reconciled,omitempty"`
	Reply      []byte    `json:"reply,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// Alert is something staff must look at.
type Alert struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	Profile   string    `json:"profile,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Barcode   string    `json:"barcode,omitempty"`
	Message   string    `json:"message"`
}

type scanner interface{ Scan(...any) error }

// ---- items

const itemCols = `barcode, profile, collection, material, tray, library, status, title, author, volume, call_number,
	isbn, issn, lccn, oclc, accessioned, updated`

func scanItem(r scanner) (Item, error) {
	var it Item
	var acc, upd string
	err := r.Scan(&it.Barcode, &it.Profile, &it.Collection, &it.Material, &it.Tray, &it.Library, &it.Status,
		&it.Title, &it.Author, &it.Volume, &it.CallNumber, &it.ISBN, &it.ISSN, &it.LCCN, &it.OCLC, &acc, &upd)
	it.Accessioned, it.Updated = parseStamp(acc), parseStamp(upd)
	return it, err
}

// Item returns an item; ErrNotFound when there is none.
func (t *Tx) Item(barcode string) (Item, error) {
	it, err := scanItem(t.queryRow(`SELECT `+itemCols+` FROM items WHERE barcode = ?`, barcode))
	return one(it, err, "item "+barcode)
}

// one is what a read of one row returns: ErrNotFound when there was no
// row, errors said to be about what.
func one[T any](v T, err error, what string) (T, error) {
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// stampOrBlank is Stamp, with ” for the zero time.
func stampOrBlank(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return Stamp(t)
}

// PutItem inserts or replaces an item. Its status must be one of
// caiasoft.StoredStatuses.
func (t *Tx) PutItem(it Item) error {
	if !caiasoft.IsStored(it.Status) {
		return fmt.Errorf("put item %s: status %q is not one of CaiaSoft's item statuses", it.Barcode, it.Status)
	}
	_, err := t.exec(`INSERT INTO items (`+itemCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (barcode) DO UPDATE SET profile=excluded.profile, collection=excluded.collection,
		material=excluded.material, tray=excluded.tray, library=excluded.library, status=excluded.status,
		title=excluded.title, author=excluded.author, volume=excluded.volume, call_number=excluded.call_number,
		isbn=excluded.isbn, issn=excluded.issn, lccn=excluded.lccn, oclc=excluded.oclc, accessioned=excluded.accessioned,
		updated=excluded.updated`,
		it.Barcode, it.Profile, it.Collection, it.Material, it.Tray, it.Library, it.Status,
		it.Title, it.Author, it.Volume, it.CallNumber, it.ISBN, it.ISSN, it.LCCN, it.OCLC, stampOrBlank(it.Accessioned), Stamp(it.Updated))
	if err != nil {
		return fmt.Errorf("put item %s: %w", it.Barcode, err)
	}
	return nil
}

// SetItemStatus changes an existing item's status; accessioned is stamped
// the first time the item comes to rest.
func (t *Tx) SetItemStatus(barcode, status string, now time.Time) error {
	if !caiasoft.IsStored(status) {
		return fmt.Errorf("set item %s: status %q is not one of CaiaSoft's item statuses", barcode, status)
	}
	acc := ""
	if status == caiasoft.StatusAtRest {
		acc = Stamp(now)
	}
	res, err := t.exec(`UPDATE items SET status = ?, updated = ?, accessioned = CASE WHEN accessioned = '' THEN ? ELSE accessioned END
		WHERE barcode = ?`, status, Stamp(now), acc, barcode)
	if err != nil {
		return fmt.Errorf("set item %s %s: %w", barcode, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set item %s %s: %w", barcode, status, ErrNotFound)
	}
	return nil
}

// AddEvent records one status change of an item; Day is filled from Time
// when empty. Call it in the transaction that changes the status.
func (t *Tx) AddEvent(ev Event) error {
	if !slices.Contains(caiasoft.EventKinds, ev.Kind) {
		return fmt.Errorf("add event %s: unknown kind %q", ev.Barcode, ev.Kind)
	}
	if ev.Day == "" {
		ev.Day = ev.Time.Format("20060102")
	}
	_, err := t.exec(`INSERT INTO item_events (barcode, profile, collection, kind, status, job, request_id, stop, day, time)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, ev.Barcode, ev.Profile, ev.Collection, ev.Kind, ev.Status, ev.Job, ev.RequestID, ev.Stop, ev.Day, Stamp(ev.Time))
	if err != nil {
		return fmt.Errorf("add event %s %s: %w", ev.Barcode, ev.Kind, err)
	}
	return nil
}

// DeleteItem removes an item; it reports whether there was one.
func (t *Tx) DeleteItem(barcode string) (bool, error) {
	res, err := t.exec(`DELETE FROM items WHERE barcode = ?`, barcode)
	if err != nil {
		return false, fmt.Errorf("delete item %s: %w", barcode, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// CountItems counts the inventory.
func (t *Tx) CountItems() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM items`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count items: %w", err)
	}
	return n, nil
}

// ---- requests

const requestCols = `profile, id, barcode, stop, library, job, collection, warnings, status, code, reason, file, line, raw, created, updated`

func scanRequest(r scanner) (Request, error) {
	var q Request
	var raw, warnings, cr, up string
	err := r.Scan(&q.Profile, &q.ID, &q.Barcode, &q.Stop, &q.Library, &q.Job, &q.Collection, &warnings, &q.Status, &q.Code, &q.Reason, &q.File, &q.Line, &raw, &cr, &up)
	if warnings != "" {
		q.Warnings = strings.Split(warnings, "\n")
	}
	q.Raw = json.RawMessage(raw)
	q.Created, q.Updated = parseStamp(cr), parseStamp(up)
	return q, err
}

// Request returns a request; ErrNotFound when there is none.
func (t *Tx) Request(profile, id string) (Request, error) {
	q, err := scanRequest(t.queryRow(`SELECT `+requestCols+` FROM requests WHERE profile = ? AND id = ?`, profile, id))
	return one(q, err, "request "+profile+"/"+id)
}

// InsertRequest adds a request; it reports false (and changes nothing) when
// the profile already has a request with that id.
func (t *Tx) InsertRequest(q Request) (bool, error) {
	raw := string(q.Raw)
	if raw == "" {
		raw = "{}"
	}
	// A warning is one line of text; the column holds them one per line.
	for i, w := range q.Warnings {
		q.Warnings[i] = strings.ReplaceAll(w, "\n", " ")
	}
	res, err := t.exec(`INSERT INTO requests (`+requestCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (profile, id) DO NOTHING`,
		q.Profile, q.ID, q.Barcode, q.Stop, q.Library, q.Job, q.Collection, strings.Join(q.Warnings, "\n"), q.Status, q.Code, q.Reason, q.File, q.Line, raw, Stamp(q.Created), Stamp(q.Updated))
	if err != nil {
		return false, fmt.Errorf("insert request %s/%s: %w", q.Profile, q.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetRequest changes a request's status and reason.
func (t *Tx) SetRequest(profile, id, status, reason string, now time.Time) error {
	_, err := t.exec(`UPDATE requests SET status = ?, reason = ?, updated = ? WHERE profile = ? AND id = ?`,
		status, reason, Stamp(now), profile, id)
	if err != nil {
		return fmt.Errorf("set request %s/%s: %w", profile, id, err)
	}
	return nil
}

// CancelRequest cancels a request for a cause: its code and reason.
func (t *Tx) CancelRequest(profile, id string, code caiasoft.DenialCode, reason string, now time.Time) error {
	_, err := t.exec(`UPDATE requests SET status = ?, code = ?, reason = ?, updated = ? WHERE profile = ? AND id = ?`,
		RequestCancelled, code, reason, Stamp(now), profile, id)
	if err != nil {
		return fmt.Errorf("cancel request %s/%s: %w", profile, id, err)
	}
	return nil
}

// SetRequestReason records a reason on a request without changing its status.
func (t *Tx) SetRequestReason(profile, id, reason string, now time.Time) error {
	_, err := t.exec(`UPDATE requests SET reason = ?, updated = ? WHERE profile = ? AND id = ?`,
		reason, Stamp(now), profile, id)
	if err != nil {
		return fmt.Errorf("set request %s/%s: %w", profile, id, err)
	}
	return nil
}

// OldestRequest returns the oldest request on an item whose status is one
// of statuses (requests on one item are served first come, first served);
// ErrNotFound when there is none.
func (t *Tx) OldestRequest(barcode string, statuses ...string) (Request, error) {
	args := []any{barcode}
	for _, s := range statuses {
		args = append(args, s)
	}
	q, err := scanRequest(t.queryRow(`SELECT `+requestCols+` FROM requests WHERE barcode = ? AND status IN (`+
		placeholders(len(statuses))+`) ORDER BY created, rowid LIMIT 1`, args...))
	return one(q, err, "request on "+barcode)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// ---- files

const fileCols = `name, profile, original, sha256, status, reason, accepted, denied, skipped, received, updated`

func scanFile(r scanner) (File, error) {
	var f File
	var rc, up string
	err := r.Scan(&f.Name, &f.Profile, &f.Original, &f.SHA256, &f.Status, &f.Reason, &f.Accepted, &f.Denied, &f.Skipped, &rc, &up)
	f.Received, f.Updated = parseStamp(rc), parseStamp(up)
	return f, err
}

// File returns a profile's claimed file's record; ErrNotFound when there is none.
func (t *Tx) File(profile, name string) (File, error) {
	f, err := scanFile(t.queryRow(`SELECT `+fileCols+` FROM files WHERE profile = ? AND name = ?`, profile, name))
	return one(f, err, "file "+name)
}

// PutFile inserts or replaces a file's record.
func (t *Tx) PutFile(f File) error {
	_, err := t.exec(`INSERT INTO files (`+fileCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (profile, name) DO UPDATE SET status=excluded.status, reason=excluded.reason, sha256=excluded.sha256,
		accepted=excluded.accepted, denied=excluded.denied, skipped=excluded.skipped, updated=excluded.updated`,
		f.Name, f.Profile, f.Original, f.SHA256, f.Status, f.Reason, f.Accepted, f.Denied, f.Skipped, Stamp(f.Received), Stamp(f.Updated))
	if err != nil {
		return fmt.Errorf("put file %s: %w", f.Name, err)
	}
	return nil
}

// ---- outbox

const msgCols = `id, profile, endpoint, transport, service, request_id, barcode, payload, status, attempts, next_attempt, last_error, reply, created, updated, in_doubt, reconciled`

func scanMessage(r scanner) (Message, error) {
	var m Message
	var next int64
	var cr, up string
	err := r.Scan(&m.ID, &m.Profile, &m.Endpoint, &m.Transport, &m.Service, &m.RequestID, &m.Barcode, &m.Payload,
		&m.Status, &m.Attempts, &next, &m.LastError, &m.Reply, &cr, &up, &m.InDoubt, &m.Reconciled)
	m.NextAttempt = time.Unix(0, next)
	m.Created, m.Updated = parseStamp(cr), parseStamp(up)
	return m, err
}

// Enqueue adds a pending message, due at once, and returns its id.
func (t *Tx) Enqueue(m Message) (int64, error) {
	res, err := t.exec(`INSERT INTO outbox (profile, endpoint, transport, service, request_id, barcode, payload,
		status, attempts, next_attempt, created, updated) VALUES (?,?,?,?,?,?,?,?,0,0,?,?)`,
		m.Profile, m.Endpoint, m.Transport, m.Service, m.RequestID, m.Barcode, m.Payload, MsgPending, Stamp(m.Created), Stamp(m.Created))
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", m.Service, err)
	}
	return res.LastInsertId()
}

// Message returns one outbox message.
func (t *Tx) Message(id int64) (Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+msgCols+` FROM outbox WHERE id = ?`, id))
	return one(m, err, fmt.Sprintf("message %d", id))
}

// MarkDelivered records a successful delivery and the reply.
func (t *Tx) MarkDelivered(id int64, attempts int, reply []byte, now time.Time) error {
	_, err := t.exec(`UPDATE outbox SET status = ?, attempts = ?, reply = ?, last_error = '', updated = ? WHERE id = ?`,
		MsgDelivered, attempts, reply, Stamp(now), id)
	if err != nil {
		return fmt.Errorf("mark %d delivered: %w", id, err)
	}
	return nil
}

// MarkReconciled records a message as delivered without a resend: the
// library's answer to a lookup (reply) showed an earlier attempt took effect.
func (t *Tx) MarkReconciled(id int64, attempts int, reply []byte, now time.Time) error {
	_, err := t.exec(`UPDATE outbox SET status = ?, attempts = ?, reply = ?, last_error = '', in_doubt = 0, reconciled = 1, updated = ? WHERE id = ?`,
		MsgDelivered, attempts, reply, Stamp(now), id)
	if err != nil {
		return fmt.Errorf("mark %d reconciled: %w", id, err)
	}
	return nil
}

// MarkInDoubt records, before they are sent, that pending messages may
// reach the library: a crash before their outcome is recorded then leaves
// them in doubt, to be looked up rather than blindly resent.
func (t *Tx) MarkInDoubt(ids []int64) error {
	for _, id := range ids {
		if _, err := t.exec(`UPDATE outbox SET in_doubt = 1 WHERE id = ? AND status = 'pending'`, id); err != nil {
			return fmt.Errorf("mark %d in doubt: %w", id, err)
		}
	}
	return nil
}

// CapSchedule moves a profile's pending messages due after latest to
// latest; it returns how many it moved.
func (t *Tx) CapSchedule(profile string, latest time.Time) (int64, error) {
	res, err := t.exec(`UPDATE outbox SET next_attempt = ? WHERE profile = ? AND status = 'pending' AND next_attempt > ?`,
		latest.UnixNano(), profile, latest.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("cap schedule of %s: %w", profile, err)
	}
	return res.RowsAffected()
}

// MarkFailed records a final failure (an NCIP Problem) and the reply.
func (t *Tx) MarkFailed(id int64, attempts int, reply []byte, reason string, now time.Time) error {
	_, err := t.exec(`UPDATE outbox SET status = ?, attempts = ?, reply = ?, last_error = ?, updated = ? WHERE id = ?`,
		MsgFailed, attempts, reply, reason, Stamp(now), id)
	if err != nil {
		return fmt.Errorf("mark %d failed: %w", id, err)
	}
	return nil
}

// MarkRetry records a failed attempt and when to try again; inDoubt says
// whether the library may nevertheless have acted on it.
func (t *Tx) MarkRetry(id int64, attempts int, next time.Time, lastErr string, reply []byte, inDoubt bool, now time.Time) error {
	_, err := t.exec(`UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ?, reply = ?, in_doubt = ?, updated = ? WHERE id = ?`,
		attempts, next.UnixNano(), lastErr, reply, inDoubt, Stamp(now), id)
	if err != nil {
		return fmt.Errorf("mark %d for retry: %w", id, err)
	}
	return nil
}

// ---- alerts

// AddAlert records an alert and returns its id; Options.OnAlert then runs
// in the same transaction (to queue the email the alert owes).
func (t *Tx) AddAlert(a Alert) (int64, error) {
	id, err := t.AddAlertUnmailed(a)
	if err != nil || t.s.onAlert == nil {
		return id, err
	}
	a.ID = id
	if err := t.s.onAlert(t, a); err != nil {
		return 0, fmt.Errorf("add alert: %w", err)
	}
	return id, nil
}

// AddAlertUnmailed records an alert without Options.OnAlert: for the
// mailer's own failures, which must not owe an email themselves.
func (t *Tx) AddAlertUnmailed(a Alert) (int64, error) {
	res, err := t.exec(`INSERT INTO alerts (time, kind, profile, request_id, barcode, message) VALUES (?,?,?,?,?,?)`,
		Stamp(a.Time), a.Kind, a.Profile, a.RequestID, a.Barcode, a.Message)
	if err != nil {
		return 0, fmt.Errorf("add alert: %w", err)
	}
	return res.LastInsertId()
}
