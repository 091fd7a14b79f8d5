package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
)

// TestStoreIsGuarded (issue 11, item 4): once a data directory has history
// (a processed request file), an engine opened on it without its database
// (deleted, or truncated to nothing) refuses to start and names what it
// found, instead of re-initialising: the old request ids would be accepted
// again and the inventory seeded again. Reinit forces a fresh start. A
// database that is not one is refused too.
func TestStoreIsGuarded(t *testing.T) {
	w := newALMAWorld(t, nil)
	if res := w.export(t); res.Requests == 0 {
		t.Fatalf("export sent no requests: %+v", res)
	}
	if err := w.eng.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(w.dataDir, "annex.db")
	removeDB := func() {
		for _, side := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(db + side); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	open := func(cfg engine.Config) error {
		eng, err := engine.Open(context.Background(), cfg)
		if err == nil {
			eng.Close()
		}
		return err
	}
	refused := func(state string) {
		t.Helper()
		err := open(w.cfg)
		if !errors.Is(err, engine.ErrHistoryWithoutStore) {
			t.Fatalf("Open on history without a database: %v, want ErrHistoryWithoutStore", err)
		}
		msg := err.Error()
		for _, want := range []string{db + " " + state, "intake/alma-demo/processed/ holds 1 file"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("error %q is not one line", msg)
		}
	}

	removeDB()
	refused("is missing")
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused Open left %s behind: %v", db, err)
	}
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	refused("is empty")

	if err := os.WriteFile(db, []byte(strings.Repeat("garbage ", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := open(w.cfg); !errors.Is(err, store.ErrMalformed) {
		t.Errorf("Open on a malformed database: %v, want store.ErrMalformed", err)
	}

	removeDB()
	cfg := w.cfg
	cfg.Reinit = true
	if err := open(cfg); err != nil {
		t.Errorf("Open with Reinit: %v", err)
	}
	// The new database is the store now: later starts need no flag.
	if err := open(w.cfg); err != nil {
		t.Errorf("Open after the reinit: %v", err)
	}
}
