package store

import (
	"database/sql"
	"testing"

	"github.com/annexlab/annex/formats/caiasoft"
)

// TestMigrateItemStatuses: a database from before issue 12 keeps its items,
// their statuses become CaiaSoft's strings, and item_events exists.
func TestMigrateItemStatuses(t *testing.T) {
	const before = 5 // the migrations before issue 12's
	s := openOld(t, before, Options{}, func(db *sql.DB) {
		for _, row := range [][2]string{{"1", "in_storage"}, {"2", "out"}, {"3", "missing"}} {
			mustExec(t, db, `INSERT INTO items (barcode, profile, collection, status, updated) VALUES (?, 'p', 'C', ?, '2026-12-01T00:00:00Z')`,
				row[0], row[1])
		}
	})
	items, err := s.Items(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"1": caiasoft.StatusAtRest, "2": caiasoft.StatusOutPhysical, "3": caiasoft.StatusNotFound}
	if len(items) != len(want) {
		t.Fatalf("%d items after migration, want %d", len(items), len(want))
	}
	for _, it := range items {
		if it.Status != want[it.Barcode] || it.Collection != "C" {
			t.Errorf("item %s: status %q collection %q, want %q C", it.Barcode, it.Status, it.Collection, want[it.Barcode])
		}
	}
	if err := s.Tx(t.Context(), func(tx *Tx) error {
		return tx.AddEvent(Event{Barcode: "1", Profile: "p", Kind: caiasoft.EventRefile, Status: caiasoft.StatusAtRest, Time: items[0].Updated})
	}); err != nil {
		t.Fatalf("add event after migration: %v", err)
	}
	if err := s.Tx(t.Context(), func(tx *Tx) error {
		return tx.SetItemStatus("1", "in_storage", items[0].Updated)
	}); err == nil {
		t.Error("an old status string was stored; want it refused")
	}
}
