package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A database made before issue 13 keeps its messages, their ids and its id
// sequence through the outbox's rebuild, and then takes cancellations and
// audited actions.
func TestMigrateOutboxCancel(t *testing.T) {
	s := openOld(t, migrationIndex(t, "CREATE TABLE outbox_actions"), Options{}, func(db *sql.DB) {
		now := Stamp(time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC))
		for _, id := range []int{7, 9} {
			mustExec(t, db, `INSERT INTO outbox (id, profile, endpoint, transport, service, barcode, payload, status, attempts, next_attempt, created, updated, in_doubt)
			VALUES (?, 'p', 'http://x', 'http', 'CheckOutItem', 'B', x'3c612f3e', 'pending', 3, 123, ?, ?, 1)`, id, now, now)
		}
		mustExec(t, db, `DELETE FROM outbox WHERE id = 9`) // the sequence stays at 9
	})
	msgs, err := s.Messages(t.Context())
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages after migration: %+v, %v", msgs, err)
	}
	if m := msgs[0]; m.ID != 7 || m.Attempts != 3 || m.NextAttempt.UnixNano() != 123 || !m.InDoubt || string(m.Payload) != "<a/>" {
		t.Errorf("message changed by the migration: %+v", m)
	}
	var id int64
	err = s.Tx(t.Context(), func(tx *Tx) error {
		var err error
		if id, err = tx.Enqueue(Message{Profile: "p", Endpoint: "http://x", Transport: TransportHTTP, Service: "CheckInItem", Payload: []byte("<b/>")}); err != nil {
			return err
		}
		if _, err := tx.Cancel(7, time.Now()); err != nil {
			return err
		}
		return tx.AddOutboxAction(OutboxAction{MessageID: 7, Time: time.Now(), Action: ActionCancel, By: "alice", Reason: "r"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != 10 {
		t.Errorf("new message id %d, want 10: the id sequence was lost", id)
	}
	acts, err := s.OutboxActions(t.Context(), 7, 7)
	if err != nil || len(acts[7]) != 1 || acts[7][0].By != "alice" {
		t.Errorf("actions %+v, %v", acts, err)
	}
	if msgs, _ := s.Messages(t.Context()); msgs[0].Status != MsgCancelled {
		t.Errorf("status %s, want cancelled", msgs[0].Status)
	}
}

// migrationIndex is the index of the migration whose SQL holds marker: a
// test of one migration starts from the schema just before it, wherever it
// stands in the list.
func migrationIndex(t *testing.T, marker string) int {
	t.Helper()
	for i, m := range migrations {
		if strings.Contains(m, marker) {
			return i
		}
	}
	t.Fatalf("no migration holds %q", marker)
	return 0
}

// openOld opens with opts a store whose file only the first before
// migrations made, which fill then filled as a store of that age would
// have; the store is closed when the test ends.
func openOld(t *testing.T, before int, opts Options, fill func(db *sql.DB)) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "annex.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range migrations[:before] {
		if _, err := db.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", before)); err != nil {
		t.Fatal(err)
	}
	fill(db)
	db.Close()
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustExec runs one statement of a test's set-up.
func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}
