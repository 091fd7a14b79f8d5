// Package intake moves request files through the facility's intake
// directories, so that a file that arrived is always somewhere a person can
// find it (docs/design.md, "Nothing lost"):
//
//	<inbox>                          where the library's files land (SFTP or REST)
//	<root>/<profile>/claimed/        taken by an atomic rename, being processed
//	<root>/<profile>/processed/      committed to the store
//	<root>/<profile>/rejected/       quarantined, with <name>.reason beside each
//	<root>/<profile>/receiving/      REST bodies being received, before their claim
//
// Nothing that arrived is ever deleted: only temporaries that never became a
// file (an upload cut off by a kill, a body whose sender never finished) are
// swept. Each step is a rename within one filesystem, so a crash leaves the
// file in exactly one place.
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
	"unicode/utf8"
)

// Stages of a file.
const (
	Claimed   = "claimed"
	Processed = "processed"
	Rejected  = "rejected"
	// Receiving holds REST bodies while they stream in: outside every SFTP
	// account, so no client sees or replaces them, and nothing claims them
	// before their sender has finished.
	Receiving = "receiving"
)

// NameMax is the longest name of one path component the file systems we
// run on accept (ext4, xfs, tmpfs: 255 bytes).
const NameMax = 255

// MaxNameLen is the longest original file name kept whole: its claimed name
// adds a 27-byte claim time and a format, and must stay within NameMax. A
// longer name is refused by CheckName, and shortened by ClaimName.
const MaxNameLen = 200

// maxClaimed is the longest claimed name: in rejected/ it gets a ".reason"
// file beside it, whose name must fit too.
const maxClaimed = NameMax - len(".reason")

// ErrBadName is returned (wrapped) by CheckName.
var ErrBadName = errors.New("bad file name")

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
	for _, dir := range []string{d.Inbox, d.Stage(Claimed), d.Stage(Processed), d.Stage(Rejected), d.Stage(Receiving)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create intake dirs: %w", err)
		}
	}
	return nil
}

// Ignored reports whether a name in the inbox is an upload still being
// written, not a request file (yet): the SFTP server's
// ".<name>.partial-<16 hex digits>" files, and ".upload-<digits>" files the
// REST API wrote into the inbox before it had a receiving/ directory. Any
// other name, a dotfile included, is a file that arrived.
func Ignored(name string) bool {
	if rest, ok := strings.CutPrefix(name, ".upload-"); ok {
		return rest != "" && strings.Trim(rest, "0123456789") == ""
	}
	const marker, hexLen = ".partial-", 16
	i := len(name) - hexLen - len(marker)
	if i < 2 || name[0] != '.' || name[i:i+len(marker)] != marker {
		return false
	}
	return strings.Trim(name[len(name)-hexLen:], "0123456789abcdef") == ""
}

// CheckName says what is wrong with a file name a client gave (a
// multipart filename), or nil: it must be a single, printable UTF-8 name
// of at most MaxNameLen bytes.
func CheckName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("%w: %q is not a file name", ErrBadName, name)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: the name is %d bytes long, over the limit of %d", ErrBadName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrBadName, name)
	case strings.ContainsAny(name, "/\\"):
		return fmt.Errorf("%w: %q holds a path separator", ErrBadName, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q holds the control character %U", ErrBadName, name, r)
		}
	}
	return nil
}

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
// An original name too long for the result to fit in NameMax bytes (with
// room for a counter) is shortened: its start, a hash of the whole name
// and its extension.
func ClaimName(now time.Time, original, format string) string {
	stamp := now.UTC().Format("20060102T150405.000000000Z")
	prefix := stamp + "-"
	if format != "" {
		prefix = stamp + "+" + format + "+"
	}
	return prefix + shorten(original, maxClaimed-len(prefix)-len(".99999"))
}

// shorten returns name if it has at most max bytes, else a name of at most
// max bytes that keeps its start, its extension (when short) and, in a
// hash, what the cut removed, so two long names stay two names.
func shorten(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	mark := "~" + hex.EncodeToString(sum[:4])
	ext := filepath.Ext(name)
	if len(ext) > 16 || !utf8.ValidString(ext) {
		ext = ""
	}
	head := name[:max(0, limit-len(mark)-len(ext))]
	for len(head) > 0 && !utf8.ValidString(head) {
		head = head[:len(head)-1] // never cut a character in two
	}
	return head + mark + ext
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

// Claim moves a file (from the inbox, or a REST body from receiving/) into
// claimed/ and returns its claimed name; original is the name the file
// arrived with and format its own format when it overrides the profile's.
// Callers serialise their claims of one profile (the engine holds the
// profile's lock), so the name chosen is still free when the rename runs.
func (d Dirs) Claim(src, original string, now time.Time, format string) (string, error) {
	name, err := d.unique(ClaimName(now, original, format))
	if err != nil {
		return "", fmt.Errorf("claim %s: %w", src, err)
	}
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
	if err := writeReason(dir, name, reason); err != nil {
		return fmt.Errorf("reject %s: %w", name, err)
	}
	return move(d.Path(Claimed, name), dir, name)
}

// writeReason writes <name>.reason in dir, whole or not at all.
func writeReason(dir, name, reason string) error {
	// The temporary's name is short whatever the file's: name is at most
	// NameMax bytes, and "."+name+".reason.tmp" would not be.
	tmp, err := os.CreateTemp(dir, ".reason-*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(strings.TrimRight(reason, "\n") + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name+".reason"))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func move(src, dir, name string) error {
	if err := os.Rename(src, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("move %s to %s: %w", name, filepath.Base(dir), err)
	}
	// Not fsynced, for the reason given in Claim: the files table records
	// the outcome, and a move lost to power loss is redone on the next open.
	return nil
}

// unique returns name, or name with a counter before its extension, so
// that no stage holds a file of that name: the store knows a file by its
// claimed name, so a name reused after a restart (a fixed test clock) would
// be taken for the earlier file. Any error but "does not exist" ends the
// search: an unusable name must fail the claim, not loop.
func (d Dirs) unique(name string) (string, error) {
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	base := strings.TrimSuffix(name, ext)
	for i := 0; i < 100000; i++ {
		n := name
		if i > 0 {
			n = base + "." + strconv.Itoa(i) + ext
		}
		free, err := d.free(n)
		if err != nil {
			return "", err
		}
		if free {
			return n, nil
		}
	}
	return "", fmt.Errorf("no free name for %s", name)
}

// free reports whether no stage holds a file called name.
func (d Dirs) free(name string) (bool, error) {
	if len(name) > maxClaimed {
		return false, fmt.Errorf("name %.40s… is %d bytes, over the %d a claimed name may have", name, len(name), maxClaimed)
	}
	for _, stage := range []string{Claimed, Processed, Rejected} {
		_, err := os.Lstat(filepath.Join(d.Stage(stage), name))
		switch {
		case err == nil:
			return false, nil
		case !errors.Is(err, fs.ErrNotExist):
			return false, err
		}
	}
	return true, nil
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

// Receive streams r into a new file in receiving/ and returns its path,
// for Claim. A profile's lock is not needed, nor should be held: a slow
// sender then delays nobody but itself. On error nothing is left behind.
func (d Dirs) Receive(r io.Reader) (string, error) {
	tmp, err := os.CreateTemp(d.Stage(Receiving), "body-*")
	if err != nil {
		return "", fmt.Errorf("receive: %w", err)
	}
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name()) // our own partial temporary, never a request file
		return "", fmt.Errorf("receive: %w", err)
	}
	return tmp.Name(), nil
}

// Sweep removes what a killed process left half-written: bodies in
// receiving/ (their senders got no answer, so none of them arrived) and,
// anywhere under dir (the inbox or the SFTP account holding it), upload
// temporaries last written before cutoff. A younger one may belong to an
// upload still in progress, if the SFTP server outlived the engine. It
// returns what it removed.
func (d Dirs) Sweep(dir string, cutoff time.Time) ([]string, error) {
	var removed []string
	entries, err := os.ReadDir(d.Stage(Receiving))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(d.Stage(Receiving), e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("sweep: %w", err)
		}
		removed = append(removed, p)
	}
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !e.Type().IsRegular() || !Ignored(e.Name()) {
			return nil
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil // gone meanwhile, or possibly still being written
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed = append(removed, p)
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("sweep: %w", err)
	}
	return removed, nil
}

// Strays lists the files under dir (the SFTP account holding the inbox, or
// the inbox) that are not directly in the inbox and so can never be read
// as request files: files in a subdirectory, or beside the inbox. Upload
// temporaries are left out; so are directories and anything not a
// regular file.
func (d Dirs) Strays(dir string) ([]string, error) {
	inbox := filepath.Clean(d.Inbox)
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.Type().IsRegular() && !Ignored(e.Name()) && filepath.Dir(p) != inbox {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("list strays: %w", err)
	}
	return out, nil
}

// Quarantine moves a file that cannot be a request file straight into
// rejected/ under a claimed name, with its reason beside it, and returns
// that name.
func (d Dirs) Quarantine(src, original string, now time.Time, reason string) (string, error) {
	name, err := d.unique(ClaimName(now, original, ""))
	if err != nil {
		return "", fmt.Errorf("quarantine %s: %w", src, err)
	}
	if err := writeReason(d.Stage(Rejected), name, reason); err != nil {
		return "", fmt.Errorf("quarantine %s: %w", src, err)
	}
	if err := os.Rename(src, filepath.Join(d.Stage(Rejected), name)); err != nil {
		os.Remove(filepath.Join(d.Stage(Rejected), name+".reason")) // the file is still where it was
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("quarantine %s: %w", src, ErrGone)
		}
		return "", fmt.Errorf("quarantine %s: %w", src, err)
	}
	return name, nil
}
