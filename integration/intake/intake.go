// Package intake moves request files through the facility's intake
// directories, so that a file that arrived is always somewhere a person can
// find it (DESIGN §3 "Nothing lost"):
//
//	<inbox>                          where the library's files land (SFTP or REST)
//	<root>/<profile>/claimed/        taken by an atomic rename, being processed
//	<root>/<profile>/processed/      committed to the store
//	<root>/<profile>/rejected/       quarantined, with <name>.reason beside each
//
// Nothing is ever deleted. Each step is a rename within one filesystem, so
// a crash leaves the file in exactly one place.
package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stages of a file.
const (
	Claimed   = "claimed"
	Processed = "processed"
	Rejected  = "rejected"
)

// ErrGone is returned (wrapped) by Claim when the file is no longer in the
// inbox: someone else (a rescan, an earlier event) claimed it first.
var ErrGone = errors.New("file is gone")

// Dirs are one profile's intake directories.
type Dirs struct {
	// Inbox is where the library's files land.
	Inbox string
	// Root is <DataDir>/intake/<profile>.
	Root string
}

// Stage returns the directory of a stage.
func (d Dirs) Stage(stage string) string { return filepath.Join(d.Root, stage) }

// Create makes every directory.
func (d Dirs) Create() error {
	for _, dir := range []string{d.Inbox, d.Stage(Claimed), d.Stage(Processed), d.Stage(Rejected)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create intake dirs: %w", err)
		}
	}
	return nil
}

// Ignored reports whether a name in the inbox is not a request file (yet):
// hidden files, such as the SFTP server's ".name.partial-…" uploads and
// the REST API's temporary files.
func Ignored(name string) bool { return strings.HasPrefix(name, ".") }

// InboxFiles lists the files waiting in the inbox, oldest first.
func (d Dirs) InboxFiles() ([]string, error) {
	return listFiles(d.Inbox)
}

// ClaimedFiles lists the claimed files in claim order (their names start with the claim time).
func (d Dirs) ClaimedFiles() ([]string, error) {
	names, err := listFiles(d.Stage(Claimed))
	slices.Sort(names)
	return names, err
}

func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	type f struct {
		name string
		mod  time.Time
	}
	var fs []f
	for _, e := range entries {
		if !e.Type().IsRegular() || Ignored(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // vanished meanwhile: claimed by someone else
		}
		fs = append(fs, f{e.Name(), info.ModTime()})
	}
	slices.SortStableFunc(fs, func(a, b f) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, len(fs))
	for i, x := range fs {
		out[i] = x.name
	}
	return out, nil
}

// ClaimName is the claimed name of a file: the claim time, so claimed
// files sort in arrival order, then the original name. A format that
// overrides the profile's for this one file goes between them
// ("…Z+aleph-text+original"), so a file resumed after a crash is parsed
// as it was submitted: the rename that claims it records its format too.
func ClaimName(now time.Time, original, format string) string {
	stamp := now.UTC().Format("20060102T150405.000000000Z")
	if format != "" {
		return stamp + "+" + format + "+" + original
	}
	return stamp + "-" + original
}

// ParseClaimName recovers the original name and the format override ("" for
// none) from a claimed name.
func ParseClaimName(claimed string) (original, format string) {
	const stampLen = len("20060102T150405.000000000Z")
	if len(claimed) <= stampLen || claimed[stampLen-1] != 'Z' {
		return claimed, ""
	}
	rest := claimed[stampLen:]
	switch rest[0] {
	case '-':
		return rest[1:], ""
	case '+':
		if f, orig, ok := strings.Cut(rest[1:], "+"); ok {
			return orig, f
		}
	}
	return claimed, ""
}

// OriginalName recovers the original name from a claimed name.
func OriginalName(claimed string) string {
	original, _ := ParseClaimName(claimed)
	return original
}

// Claim moves a file from the inbox into claimed/ and returns its claimed
// name; format is the file's own format when it overrides the profile's.
func (d Dirs) Claim(src string, now time.Time, format string) (string, error) {
	name := unique(d.Stage(Claimed), ClaimName(now, filepath.Base(src), format))
	if err := os.Rename(src, filepath.Join(d.Stage(Claimed), name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("claim %s: %w", src, ErrGone)
		}
		return "", fmt.Errorf("claim %s: %w", src, err)
	}
	// No directory fsync: a kill -9 cannot undo a rename, and should power
	// loss undo it the file is simply found and processed again, which is
	// harmless because duplicate request ids are skipped. The store's
	// commit is what makes the work durable.
	return name, nil
}

// Path returns where a claimed file is now.
func (d Dirs) Path(stage, name string) string { return filepath.Join(d.Stage(stage), name) }

// Finish moves a claimed file to processed/.
func (d Dirs) Finish(name string) error {
	return move(d.Path(Claimed, name), d.Stage(Processed), name)
}

// Reject writes <name>.reason in rejected/, then moves the claimed file beside it.
func (d Dirs) Reject(name, reason string) error {
	dir := d.Stage(Rejected)
	tmp := filepath.Join(dir, "."+name+".reason.tmp")
	if err := os.WriteFile(tmp, []byte(strings.TrimRight(reason, "\n")+"\n"), 0o640); err != nil {
		return fmt.Errorf("reject %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name+".reason")); err != nil {
		return fmt.Errorf("reject %s: %w", name, err)
	}
	return move(d.Path(Claimed, name), dir, name)
}

func move(src, dir, name string) error {
	if err := os.Rename(src, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("move %s to %s: %w", name, filepath.Base(dir), err)
	}
	// Not fsynced, for the reason given in Claim: the files table records
	// the outcome, and a move lost to power loss is redone on the next open.
	return nil
}

// unique returns name, or name with a counter before its extension when a
// file of that name exists in dir (two files claimed at the same clock time).
func unique(dir, name string) string {
	if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
		return name
	}
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 1; ; i++ {
		n := base + "." + strconv.Itoa(i) + ext
		if _, err := os.Lstat(filepath.Join(dir, n)); errors.Is(err, fs.ErrNotExist) {
			return n
		}
	}
}

// syncDir makes a rename durable. Errors are ignored: not every
// filesystem can sync a directory, and the rename itself has happened.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// SHA256 hashes a file.
func SHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteInbox writes data as a new file in the inbox: first under a hidden
// name, then renamed, so a rescan never claims half a file.
func (d Dirs) WriteInbox(name string, r io.Reader) (string, error) {
	name = filepath.Base(name)
	if name == "." || name == "/" || Ignored(name) {
		name = "request" + name
	}
	tmp, err := os.CreateTemp(d.Inbox, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("write inbox: %w", err)
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name()) // our own partial temporary, never a request file
		return "", fmt.Errorf("write inbox: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write inbox: %w", err)
	}
	tmp.Close()
	final := filepath.Join(d.Inbox, unique(d.Inbox, name))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("write inbox: %w", err)
	}
	syncDir(d.Inbox)
	return final, nil
}
