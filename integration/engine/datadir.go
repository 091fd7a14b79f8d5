package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrHistoryWithoutStore is returned (wrapped) by Open when the data
// directory shows earlier runs (files in intake/, a write-ahead log) but its
// database is missing or empty. Opening would create a new database: old
// request ids would be accepted again and the inventory seeded again, so
// Open refuses unless Config.Reinit says a fresh start is wanted.
var ErrHistoryWithoutStore = errors.New("data directory has history but no database")

// storeName is the store's file under Config.DataDir.
const storeName = "annex.db"

// guardStore refuses to let Open create a database beside history.
func guardStore(dataDir string, reinit bool) error {
	db := filepath.Join(dataDir, storeName)
	state := "is empty"
	fi, err := os.Stat(db)
	switch {
	case err == nil && fi.Size() > 0:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		state = "is missing"
	case err != nil:
		return fmt.Errorf("check data dir: %w", err)
	}
	if reinit {
		return nil
	}
	found, err := history(dataDir)
	if err != nil {
		return fmt.Errorf("check data dir: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("%s %s, but %s: %w", db, state, strings.Join(found, ", "), ErrHistoryWithoutStore)
}

// history names what in dataDir shows an earlier run: the store's
// write-ahead log, and files in any profile's intake stages (claimed,
// processed, rejected, and whatever else intake keeps there), counted per
// directory. Inboxes do not count: files may be dropped there before a
// first start.
func history(dataDir string) ([]string, error) {
	var found []string
	for _, side := range []string{storeName + "-wal", storeName + "-journal"} {
		if fi, err := os.Stat(filepath.Join(dataDir, side)); err == nil && fi.Size() > 0 {
			found = append(found, side+" exists")
		}
	}
	root := filepath.Join(dataDir, "intake")
	counts := map[string]int{}
	var order []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		dir, _ := filepath.Rel(dataDir, filepath.Dir(path))
		if counts[dir] == 0 {
			order = append(order, dir)
		}
		counts[dir]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, dir := range order {
		n := counts[dir]
		found = append(found, fmt.Sprintf("%s/ holds %d %s", filepath.ToSlash(dir), n, plural(n, "file", "files")))
	}
	return found, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
