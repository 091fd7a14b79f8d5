package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
)

// TestStoreIsGuarded (issue 11, item 4): a database file that is not a
// database, or whose pages are damaged, is refused at Open with
// ErrMalformed and one line naming the file, instead of being used (or
// silently replaced).
func TestStoreIsGuarded(t *testing.T) {
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "annex.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("this is not SQLite\n", 300)), 0o600); err != nil {
			t.Fatal(err)
		}
		checkMalformed(t, path)
	})
	t.Run("damaged page", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "annex.db")
		s, err := Open(t.Context(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
		err = s.Tx(t.Context(), func(tx *Tx) error {
			for i := range 2000 {
				it := Item{Barcode: fmt.Sprintf("3901501%07d", i), Profile: "p", Collection: "MAIN-ANNEX", Status: caiasoft.StatusAtRest, Updated: now}
				if err := tx.PutItem(it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 16*4096 {
			t.Fatalf("database is %d bytes, want several pages", len(data))
		}
		// Scribble over pages 3 to 12: b-tree pages of the tables, past the schema page.
		for i := 2 * 4096; i < 12*4096; i++ {
			data[i] = 0xA5
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		checkMalformed(t, path)
	})
	t.Run("healthy database reopens", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "annex.db")
		for range 2 {
			s, err := Open(t.Context(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
	})
}

func checkMalformed(t *testing.T, path string) {
	t.Helper()
	s, err := Open(t.Context(), path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a malformed database")
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("Open: %v, want ErrMalformed", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
		t.Errorf("Open: %q, want one line naming %s", msg, path)
	}
	t.Logf("Open: %v", err)
}
