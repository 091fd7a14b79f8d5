package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "annex.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestGroupSurvivesACancelledCaller: callers sharing one commit share
// prepared statements too; a caller whose context is cancelled fails
// alone, and the next caller's same statement still works.
func TestGroupSurvivesACancelledCaller(t *testing.T) {
	s := openTemp(t)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	item := func(barcode string) Item {
		return Item{Barcode: barcode, Profile: "p", Status: caiasoft.StatusAtRest, Updated: now}
	}
	// The statement is prepared already, as it is in a running engine.
	if err := s.Tx(t.Context(), func(tx *Tx) error { return tx.PutItem(item("0")) }); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	first := txCall{ctx: cancelled, done: make(chan error, 1), fn: func(tx *Tx) error {
		cancel() // the caller gives up while its function runs
		return tx.PutItem(item("A"))
	}}
	second := txCall{ctx: t.Context(), done: make(chan error, 1), fn: func(tx *Tx) error {
		return tx.PutItem(item("B"))
	}}
	s.commitGroup([]txCall{first, second})
	if err := <-first.done; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller: %v, want context.Canceled", err)
	}
	if err := <-second.done; err != nil {
		t.Errorf("the caller after it: %v", err)
	}
	items, err := s.Items(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Barcode != "0" || items[1].Barcode != "B" {
		t.Errorf("items %+v, want 0 and B", items)
	}
}
