package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// A database made before issue 13 keeps its messages, their ids and its id
// sequence through the outbox's rebuild, and then takes cancellations and
// audited actions.
func TestMigrateOutboxCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "annex.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	before := len(migrations) - 1
	for _, m := range migrations[:before] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", before)); err != nil {
		t.Fatal(err)
	}
	now := Stamp(time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC))
	for _, id := range []int{7, 9} {
		if _, err := db.Exec(`INSERT INTO outbox (id, profile, endpoint, transport, service, barcode, payload, status, attempts, next_attempt, created, updated, in_doubt)
			VALUES (?, 'p', 'http://x', 'http', 'CheckOutItem', 'B', x'3c612f3e', 'pending', 3, 123, ?, ?, 1)`, id, now, now); err != nil {
			t.Fatal(err)
		}
	}
	db.Exec(`DELETE FROM outbox WHERE id = 9`) // the sequence stays at 9
	db.Close()

	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
