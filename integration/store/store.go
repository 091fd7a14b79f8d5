// Package store is the facility engine's durable state: inventory, requests,
// claimed request files, the NCIP outbox and alerts, in one SQLite database
// (modernc.org/sqlite, pure Go, so the annex binary stays cgo-free).
//
// Durability comes first (docs/design.md, "Nothing lost"): the database runs in WAL
// mode with synchronous=FULL, so a committed transaction survives kill -9
// and power loss, and every write goes through Tx so a workflow step and the
// NCIP message it owes commit together or not at all.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/annexlab/annex/internal/chanbatch"
)

// Request statuses.
const (
	RequestReceived  = "received"
	RequestAccepted  = "accepted"
	RequestDenied    = "denied"
	RequestRetrieved = "retrieved"
	RequestRefiled   = "refiled"
	RequestCancelled = "cancelled"
)

// File statuses.
const (
	FileProcessing = "processing"
	FileProcessed  = "processed"
	FileRejected   = "rejected"
)

// Outbox statuses and transports.
const (
	MsgPending   = "pending"
	MsgDelivered = "delivered"
	MsgFailed    = "failed"
	// MsgCancelled: staff cancelled the message; it is not sent again.
	MsgCancelled = "cancelled"

	TransportHTTP = "http"
	TransportTCP  = "tcp"
)

// Outbox actions staff may take (POST /api/outbox/v1/{id}/retry|cancel).
const (
	ActionRetry  = "retry"
	ActionCancel = "cancel"
)

// Alert kinds.
const (
	AlertDenial          = "denial"
	AlertNCIPProblem     = "ncip_problem"
	AlertRejectedFile    = "rejected_file"
	AlertFulfilment      = "fulfilment"
	AlertDeliveryFailure = "delivery_failure"
	// AlertHeldFile: a store or disk error keeps a valid request file
	// claimed, to be retried (issue 11 item 5); the file is not at fault.
	AlertHeldFile = "held_file"
)

// AlertKinds lists every alert kind.
func AlertKinds() []string {
	return []string{AlertDenial, AlertFulfilment, AlertNCIPProblem, AlertRejectedFile, AlertDeliveryFailure, AlertHeldFile}
}

// ErrNotFound is returned (wrapped) when a row does not exist.
var ErrNotFound = errors.New("not found")

// maxGroup bounds how many callers' transactions share one commit.
const maxGroup = 256

// Store is an open database.
type Store struct {
	db      *sql.DB
	created bool

	// Writes are group-committed: Tx queues its function, one committer
	// goroutine runs the queued functions in a single SQLite transaction,
	// each inside its own savepoint, and commits once. Concurrent writers
	// then share an fsync instead of paying one each (about 1.4 ms here),
	// and they are served in arrival order rather than left to SQLite's
	// polling busy handler, which starved some of them.
	queue     chan txCall
	mu        sync.Mutex // guards closed against Tx racing Close
	closed    bool
	committer sync.WaitGroup

	// stmts caches prepared statements by query text: preparing each
	// statement anew took a third of the engine's CPU under load.
	stmts sync.Map // string → *sql.Stmt

	onAlert func(*Tx, Alert) error
}

// stmt returns the prepared statement for query, preparing it once.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext through the statement cache; a prepare error surfaces at Scan.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// rowScanner is what *sql.Row offers, so a prepare error can stand in for a row.
type rowScanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// bound returns the cached statement for query bound to this transaction.
// Binding anew on every call kept one *sql.Stmt per statement executed
// until the commit: a 100,000-request file's transaction held hundreds of
// thousands of them.
func (t *Tx) bound(query string) (*sql.Stmt, error) {
	if st := t.stmts[query]; st != nil {
		return st, nil
	}
	st, err := t.s.stmt(t.ctx, query)
	if err != nil {
		return nil, err
	}
	// Bound without the caller's context: a cancelled one would leave a
	// statement that fails for every later caller sharing the transaction.
	st = t.tx.StmtContext(context.Background(), st)
	t.stmts[query] = st
	return st, nil
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.bound(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *Tx) queryRow(query string, args ...any) rowScanner {
	st, err := t.bound(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(t.ctx, args...)
}

type txCall struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// Created reports whether Open created the database, so a caller can seed
// it once (the facility's inventory at first start) and never again.
func (s *Store) Created() bool { return s.created }

// Options tune Open. The zero value is the durable default.
type Options struct {
	// Ephemeral skips the fsync of each commit (synchronous=NORMAL in WAL
	// mode): for throwaway stores, such as a scenario's world in a temporary
	// directory, where surviving power loss is beside the point. A real
	// facility never sets it; the crash-safety test runs without it.
	Ephemeral bool
	// OnAlert runs in the transaction of every Tx.AddAlert, after the
	// alert is inserted (with its ID): an alert that owes an email queues
	// it there, so the two commit together (issue 15).
	OnAlert func(tx *Tx, a Alert) error
}

// Open opens (creating if needed) the database at path and migrates it to
// the current schema.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	sync := "synchronous(FULL)"
	if opts.Ephemeral {
		sync = "synchronous(NORMAL)"
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", sync, "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	// BEGIN IMMEDIATE takes the write lock up front, so two writers wait on
	// the busy timeout instead of failing with SQLITE_BUSY on upgrade.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(8)
	s := &Store{db: db, queue: make(chan txCall), onAlert: opts.OnAlert}
	if err := quickCheck(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.committer.Add(1)
	go s.commitLoop()
	return s, nil
}

// ErrMalformed is returned (wrapped) by Open when the database file is not
// a database or fails SQLite's quick_check: running on it could lose or
// invent history, so the engine refuses to start instead.
var ErrMalformed = errors.New("database is malformed")

// quickCheck runs PRAGMA quick_check (O(N), without the index cross-checks
// of integrity_check) and reports what it found in one line.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return malformed(err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return malformed(err)
		}
		found = append(found, strings.Join(strings.Fields(msg), " "))
	}
	if err := rows.Err(); err != nil {
		return malformed(err)
	}
	if len(found) == 1 && found[0] == "ok" {
		return nil
	}
	return fmt.Errorf("%w: quick_check: %s", ErrMalformed, strings.Join(found, "; "))
}

// malformed wraps SQLite's "not a database" and "corrupt" errors in
// ErrMalformed; any other error (permissions, I/O) is returned as is.
func malformed(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	return fmt.Errorf("quick_check: %w", err)
}

// ErrClosed is returned by Tx after Close.
var ErrClosed = errors.New("store closed")

// Close waits for queued transactions and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	s.committer.Wait()
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// migrations are applied in order; PRAGMA user_version counts those applied.
// Never edit one that has shipped: append a new one.
var migrations = []string{
	`CREATE TABLE items (
		barcode    TEXT PRIMARY KEY,
		profile    TEXT NOT NULL,
		collection TEXT NOT NULL DEFAULT '',
		material   TEXT NOT NULL DEFAULT '',
		tray       TEXT NOT NULL DEFAULT '',
		library    TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL CHECK (status IN ('in_storage','out','missing')),
		updated    TEXT NOT NULL
	);
	CREATE TABLE requests (
		profile TEXT NOT NULL,
		id      TEXT NOT NULL,
		barcode TEXT NOT NULL DEFAULT '',
		stop    TEXT NOT NULL DEFAULT '',
		library TEXT NOT NULL DEFAULT '',
		status  TEXT NOT NULL CHECK (status IN ('received','accepted','denied','retrieved','refiled','cancelled')),
		reason  TEXT NOT NULL DEFAULT '',
		file    TEXT NOT NULL DEFAULT '',
		line    INTEGER NOT NULL DEFAULT 0,
		raw     TEXT NOT NULL DEFAULT '{}',
		created TEXT NOT NULL,
		updated TEXT NOT NULL,
		PRIMARY KEY (profile, id)
	);
	CREATE INDEX requests_barcode ON requests (barcode, status);
	CREATE TABLE files (
		name      TEXT PRIMARY KEY,
		profile   TEXT NOT NULL,
		original  TEXT NOT NULL DEFAULT '',
		sha256    TEXT NOT NULL DEFAULT '',
		status    TEXT NOT NULL CHECK (status IN ('processing','processed','rejected')),
		reason    TEXT NOT NULL DEFAULT '',
		accepted  INTEGER NOT NULL DEFAULT 0,
		denied    INTEGER NOT NULL DEFAULT 0,
		skipped   INTEGER NOT NULL DEFAULT 0,
		received  TEXT NOT NULL,
		updated   TEXT NOT NULL
	);
	CREATE TABLE outbox (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		profile      TEXT NOT NULL,
		endpoint     TEXT NOT NULL,
		transport    TEXT NOT NULL CHECK (transport IN ('http','tcp')),
		service      TEXT NOT NULL,
		request_id   TEXT NOT NULL DEFAULT '',
		barcode      TEXT NOT NULL DEFAULT '',
		payload      BLOB NOT NULL,
		status       TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
		attempts     INTEGER NOT NULL DEFAULT 0,
		next_attempt INTEGER NOT NULL DEFAULT 0,
		last_error   TEXT NOT NULL DEFAULT '',
		reply        BLOB,
		created      TEXT NOT NULL,
		updated      TEXT NOT NULL
	);
	CREATE INDEX outbox_due ON outbox (profile, status, next_attempt);
	CREATE INDEX outbox_order ON outbox (profile, barcode, status, id);
	CREATE TABLE alerts (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		time       TEXT NOT NULL,
		kind       TEXT NOT NULL CHECK (kind IN ('denial','ncip_problem','rejected_file','fulfilment','delivery_failure')),
		profile    TEXT NOT NULL DEFAULT '',
		request_id TEXT NOT NULL DEFAULT '',
		barcode    TEXT NOT NULL DEFAULT '',
		message    TEXT NOT NULL
	);`,
	// Due walks pending messages in id order and stops at its limit,
	// instead of collecting and sorting every due message (it was 50x
	// slower with 50,000 pending than with 1,000).
	`CREATE INDEX outbox_pending ON outbox (profile, status, id);`,
	// The outbox's indexes cover pending messages only: a delivered one
	// leaves them instead of being moved within them, and they stay the
	// size of the backlog rather than of the whole history.
	`DROP INDEX outbox_due;
	DROP INDEX outbox_order;
	DROP INDEX outbox_pending;
	CREATE INDEX outbox_pending_id ON outbox (profile, id) WHERE status = 'pending';
	CREATE INDEX outbox_pending_next ON outbox (profile, next_attempt) WHERE status = 'pending';
	CREATE INDEX outbox_pending_item ON outbox (profile, barcode, id) WHERE status = 'pending';`,
	// A request records the facility job it asks for (PYR, ERT), the
	// collection its translation found, and the engine's warnings about it.
	`ALTER TABLE requests ADD COLUMN job TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN collection TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN warnings TEXT NOT NULL DEFAULT '';`,
	// in_doubt: an attempt may have reached the library without its answer
	// reaching us, so the outbox asks (LookupItem) before sending again;
	// reconciled: delivered because the library showed the effect in place.
	`ALTER TABLE outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE outbox ADD COLUMN reconciled INTEGER NOT NULL DEFAULT 0;`,
	// Issue 12: an item's status is one of CaiaSoft's strings
	// (formats/caiasoft, checked in Go: the list is a fact of that package,
	// not of the schema), and it carries its bibliographic data. The old
	// statuses map to CaiaSoft's: in_storage → at rest, out → out on
	// physical retrieval, missing → "Item not Found" (see
	// caiasoft.StoredStatuses). item_events has one row per status change,
	// written in the transaction that makes it; day is YYYYMMDD in the
	// facility's clock, for the date-range lists. Events are never deleted,
	// so a plain INTEGER PRIMARY KEY numbers them in order without
	// AUTOINCREMENT's extra write per row; one index only (kind, day): every
	// accepted request and floor operation pays for each index.
	`CREATE TABLE items_v2 (
		barcode     TEXT PRIMARY KEY,
		profile     TEXT NOT NULL,
		collection  TEXT NOT NULL DEFAULT '',
		material    TEXT NOT NULL DEFAULT '',
		tray        TEXT NOT NULL DEFAULT '',
		library     TEXT NOT NULL DEFAULT '',
		status      TEXT NOT NULL,
		title       TEXT NOT NULL DEFAULT '',
		author      TEXT NOT NULL DEFAULT '',
		volume      TEXT NOT NULL DEFAULT '',
		call_number TEXT NOT NULL DEFAULT '',
		isbn        TEXT NOT NULL DEFAULT '',
		issn        TEXT NOT NULL DEFAULT '',
		lccn        TEXT NOT NULL DEFAULT '',
		oclc        TEXT NOT NULL DEFAULT '',
		accessioned TEXT NOT NULL DEFAULT '',
		updated     TEXT NOT NULL
	);
	INSERT INTO items_v2 (barcode, profile, collection, material, tray, library, status, updated)
		SELECT barcode, profile, collection, material, tray, library,
			CASE status WHEN 'in_storage' THEN 'Item In at Rest' WHEN 'out' THEN 'Out on Physical Retrieval' ELSE 'Item not Found' END,
			updated FROM items;
	DROP TABLE items;
	ALTER TABLE items_v2 RENAME TO items;
	CREATE TABLE item_events (
		id         INTEGER PRIMARY KEY,
		barcode    TEXT NOT NULL,
		profile    TEXT NOT NULL DEFAULT '',
		collection TEXT NOT NULL DEFAULT '',
		kind       TEXT NOT NULL,
		status     TEXT NOT NULL DEFAULT '',
		job        TEXT NOT NULL DEFAULT '',
		request_id TEXT NOT NULL DEFAULT '',
		stop       TEXT NOT NULL DEFAULT '',
		day        TEXT NOT NULL,
		time       TEXT NOT NULL
	);
	CREATE INDEX item_events_kind_day ON item_events (kind, day);`,
	// A claimed name is unique in its profile's directory only: two
	// profiles can claim the same name (a fixed clock, or two posts of
	// requestfile.xml in one nanosecond). Keyed by name alone, the second
	// profile's file was taken for the first one's and moved to processed/
	// unread.
	`CREATE TABLE files_v2 (
		name      TEXT NOT NULL,
		profile   TEXT NOT NULL,
		original  TEXT NOT NULL DEFAULT '',
		sha256    TEXT NOT NULL DEFAULT '',
		status    TEXT NOT NULL CHECK (status IN ('processing','processed','rejected')),
		reason    TEXT NOT NULL DEFAULT '',
		accepted  INTEGER NOT NULL DEFAULT 0,
		denied    INTEGER NOT NULL DEFAULT 0,
		skipped   INTEGER NOT NULL DEFAULT 0,
		received  TEXT NOT NULL,
		updated   TEXT NOT NULL,
		PRIMARY KEY (profile, name)
	);
	INSERT INTO files_v2 SELECT name, profile, original, sha256, status, reason, accepted, denied, skipped, received, updated FROM files;
	DROP TABLE files;
	ALTER TABLE files_v2 RENAME TO files;`,
	// Issue 13: staff may cancel a message (status cancelled, which the
	// status CHECK must admit, so the table is rebuilt, keeping its id
	// sequence so that listing cursors stay valid) or send it again at
	// once; outbox_actions records who did either, and when.
	`CREATE TABLE outbox_new (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		profile      TEXT NOT NULL,
		endpoint     TEXT NOT NULL,
		transport    TEXT NOT NULL CHECK (transport IN ('http','tcp')),
		service      TEXT NOT NULL,
		request_id   TEXT NOT NULL DEFAULT '',
		barcode      TEXT NOT NULL DEFAULT '',
		payload      BLOB NOT NULL,
		status       TEXT NOT NULL CHECK (status IN ('pending','delivered','failed','cancelled')),
		attempts     INTEGER NOT NULL DEFAULT 0,
		next_attempt INTEGER NOT NULL DEFAULT 0,
		last_error   TEXT NOT NULL DEFAULT '',
		reply        BLOB,
		created      TEXT NOT NULL,
		updated      TEXT NOT NULL,
		in_doubt     INTEGER NOT NULL DEFAULT 0,
		reconciled   INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO outbox_new SELECT id, profile, endpoint, transport, service, request_id, barcode, payload, status, attempts,
		next_attempt, last_error, reply, created, updated, in_doubt, reconciled FROM outbox;
	DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
	INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';
	DROP TABLE outbox;
	ALTER TABLE outbox_new RENAME TO outbox;
	CREATE INDEX outbox_pending_id ON outbox (profile, id) WHERE status = 'pending';
	CREATE INDEX outbox_pending_next ON outbox (profile, next_attempt) WHERE status = 'pending';
	CREATE INDEX outbox_pending_item ON outbox (profile, barcode, id) WHERE status = 'pending';
	CREATE TABLE outbox_actions (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		message_id INTEGER NOT NULL,
		time       TEXT NOT NULL,
		action     TEXT NOT NULL CHECK (action IN ('retry','cancel')),
		by         TEXT NOT NULL,
		source     TEXT NOT NULL DEFAULT '',
		reason     TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX outbox_actions_message ON outbox_actions (message_id, id);`,
	// Issue 15: alert emails. The alerts table is rebuilt for the new kind
	// held_file (SQLite cannot alter a CHECK). mail holds one row per alert
	// that owes an email, written in the alert's transaction; batch is the
	// message the alert was sealed into (its first alert's id), fixed
	// before the first attempt so a resend is the same message.
	// floor_batches remembers the pick list an item was last retrieved in.
	`CREATE TABLE alerts_new (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		time       TEXT NOT NULL,
		kind       TEXT NOT NULL CHECK (kind IN ('denial','ncip_problem','rejected_file','fulfilment','delivery_failure','held_file')),
		profile    TEXT NOT NULL DEFAULT '',
		request_id TEXT NOT NULL DEFAULT '',
		barcode    TEXT NOT NULL DEFAULT '',
		message    TEXT NOT NULL
	);
	INSERT INTO alerts_new SELECT id, time, kind, profile, request_id, barcode, message FROM alerts;
	DROP TABLE alerts;
	ALTER TABLE alerts_new RENAME TO alerts;
	CREATE TABLE mail (
		alert_id     INTEGER PRIMARY KEY REFERENCES alerts(id),
		profile      TEXT NOT NULL,
		grp          TEXT NOT NULL DEFAULT '',
		summary      TEXT NOT NULL DEFAULT '',
		batch        INTEGER NOT NULL DEFAULT 0,
		status       TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
		attempts     INTEGER NOT NULL DEFAULT 0,
		next_attempt INTEGER NOT NULL DEFAULT 0,
		last_error   TEXT NOT NULL DEFAULT '',
		updated      TEXT NOT NULL
	);
	CREATE INDEX mail_batch ON mail (batch, alert_id);
	CREATE INDEX mail_pending ON mail (batch, next_attempt) WHERE status = 'pending';
	CREATE INDEX mail_next ON mail (next_attempt) WHERE status = 'pending';
	CREATE TABLE floor_batches (
		barcode TEXT PRIMARY KEY,
		batch   TEXT NOT NULL
	);`,
	// The read side's search indexes (see inventory.go).
	inventoryMigration,
	// Issue 14: a denied (or cancelled) request records its cause as a code
	// (caiasoft.DenialCode); the reason stays its prose.
	`ALTER TABLE requests ADD COLUMN code TEXT NOT NULL DEFAULT '';`,
}

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	s.created = v == 0
	if v > len(migrations) {
		return fmt.Errorf("migrate: database schema version %d is newer than this annex (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		// PRAGMA does not take parameters; i+1 is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
	}
	return nil
}

// Tx runs fn in a write transaction: its changes are committed when fn
// returns nil and Tx returns nil, and rolled back otherwise. fn may share
// the commit with other callers' functions (see Store), but never their
// failures: each runs in a savepoint of its own. fn must not call Tx.
func (s *Store) Tx(ctx context.Context, fn func(*Tx) error) error {
	call := txCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	// Sending under the lock keeps Close from closing the queue meanwhile;
	// the committer never takes the lock, so this cannot deadlock.
	s.queue <- call
	s.mu.Unlock()
	return <-call.done
}

func (s *Store) commitLoop() {
	defer s.committer.Done()
	for first := range s.queue {
		s.commitGroup(chanbatch.Fill([]txCall{first}, s.queue, maxGroup))
	}
}

// commitGroup runs each call in a savepoint of one transaction and commits
// once. A call whose function fails is rolled back to its savepoint alone.
// A group of one needs no savepoint: its failure rolls back the transaction.
func (s *Store) commitGroup(group []txCall) {
	results := make([]error, len(group))
	// The transaction outlives any one caller's context; each function's
	// statements still use its caller's context (Tx.ctx).
	ctx := context.Background()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		for _, c := range group {
			c.done <- fmt.Errorf("begin: %w", err)
		}
		return
	}
	stmts := map[string]*sql.Stmt{} // bound to sqlTx, shared by the group's calls
	if len(group) == 1 {
		c := group[0]
		err := c.ctx.Err()
		t := &Tx{tx: sqlTx, ctx: c.ctx, s: s, stmts: stmts}
		if err == nil {
			err = c.fn(t)
		}
		if err != nil {
			sqlTx.Rollback()
			c.done <- err
			return
		}
		if err := sqlTx.Commit(); err != nil {
			c.done <- fmt.Errorf("commit: %w", err)
			return
		}
		t.committed()
		c.done <- nil
		return
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, s: s, stmts: stmts}
	calls := make([]*Tx, len(group))
	for i, c := range group {
		if err := c.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.exec("SAVEPOINT call"); err != nil {
			results[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		calls[i] = &Tx{tx: sqlTx, ctx: c.ctx, s: s, stmts: stmts}
		if err := c.fn(calls[i]); err != nil {
			results[i] = err
			if _, rerr := tx.exec("ROLLBACK TO call"); rerr != nil {
				// The transaction is in an unknown state: give up on the whole group.
				sqlTx.Rollback()
				for j, c := range group {
					c.done <- cmpErr(results[j], fmt.Errorf("rollback to savepoint: %w", rerr))
				}
				return
			}
		}
		if _, err := tx.exec("RELEASE call"); err != nil && results[i] == nil {
			results[i] = fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		for i, c := range group {
			c.done <- cmpErr(results[i], fmt.Errorf("commit: %w", err))
		}
		return
	}
	for i, c := range group {
		if results[i] == nil && calls[i] != nil {
			calls[i].committed()
		}
		c.done <- results[i]
	}
}

// cmpErr returns the caller's own error if it had one, else the group's.
func cmpErr(own, group error) error {
	if own != nil {
		return own
	}
	return group
}

// Tx is an open transaction. Its methods use the context Tx was started with.
type Tx struct {
	tx    *sql.Tx
	ctx   context.Context
	s     *Store
	stmts map[string]*sql.Stmt
	after []func()
}

// AfterCommit runs fn once the transaction's changes are committed (never
// if they are rolled back): to wake a worker only when what it should
// find is there to be found.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

func (t *Tx) committed() {
	for _, fn := range t.after {
		fn()
	}
}

// Stamp formats a time for the store's TEXT timestamp columns.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseStamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
