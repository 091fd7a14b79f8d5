package store

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestMailMigrationKeepsAlerts (issue 15): a store of the schema before
// the mail migration keeps its alerts when the alerts table is rebuilt for
// the held_file kind, and takes held_file alerts and queued mail after it.
func TestMailMigrationKeepsAlerts(t *testing.T) {
	ctx := context.Background()
	var queued []Alert
	s := openOld(t, migrationIndex(t, "CREATE TABLE mail ("), Options{OnAlert: func(tx *Tx, a Alert) error {
		queued = append(queued, a)
		return tx.QueueMail(Mail{AlertID: a.ID, Profile: a.Profile, Updated: a.Time})
	}}, func(db *sql.DB) {
		mustExec(t, db, `INSERT INTO alerts (time, kind, profile, request_id, barcode, message) VALUES ('2025-03-14T09:26:53Z', 'denial', 'alma-main', 'REQ-1', '39015000000001', 'request REQ-1 denied')`)
		if _, err := db.Exec(`INSERT INTO alerts (time, kind, message) VALUES ('2025-03-14T09:26:53Z', 'held_file', 'x')`); err == nil {
			t.Fatal("the old schema took a held_file alert; the test's premise is gone")
		}
	})
	alerts, err := s.Alerts(ctx)
	if err != nil || len(alerts) != 1 || alerts[0].RequestID != "REQ-1" || alerts[0].Kind != AlertDenial {
		t.Fatalf("alerts after the migration: %+v, %v", alerts, err)
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.AddAlert(Alert{Time: time.Now(), Kind: AlertHeldFile, Profile: "alma-main", Message: "request file x.xml kept claimed"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mails, err := s.Mails(ctx)
	if err != nil || len(mails) != 1 || len(queued) != 1 || mails[0].AlertID != queued[0].ID || queued[0].ID <= alerts[0].ID {
		t.Fatalf("mail after a held_file alert: %+v %+v %v", mails, queued, err)
	}
}
