// Package store is the facility engine's durable state: inventory, requests,
// claimed request files, the NCIP outbox and alerts, in one SQLite database
// (modernc.org/sqlite, pure Go, so the annex binary stays cgo-free).
//
// Durability comes first (DESIGN §3 "Nothing lost"): the database runs in WAL
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
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Item statuses.
const (
	ItemInStorage = "in_storage"
	ItemOut       = "out"
	ItemMissing   = "missing"
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

	TransportHTTP = "http"
	TransportTCP  = "tcp"
)

// Alert kinds.
const (
	AlertDenial          = "denial"
	AlertNCIPProblem     = "ncip_problem"
	AlertRejectedFile    = "rejected_file"
	AlertFulfilment      = "fulfilment"
	AlertDeliveryFailure = "delivery_failure"
)

// ErrNotFound is returned (wrapped) when a row does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open database.
type Store struct {
	db      *sql.DB
	created bool
}

// Created reports whether Open created the database, so a caller can seed
// it once (the facility's inventory at first start) and never again.
func (s *Store) Created() bool { return s.created }

// Open opens (creating if needed) the database at path and migrates it to
// the current schema.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
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
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
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

// Tx runs fn in one write transaction: committed when fn returns nil,
// rolled back otherwise.
func (s *Store) Tx(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, ctx: ctx}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Tx is an open transaction. Its methods use the context Tx was started with.
type Tx struct {
	tx  *sql.Tx
	ctx context.Context
}

// Stamp formats a time for the store's TEXT timestamp columns.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseStamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
