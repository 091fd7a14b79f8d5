package engine

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/annexlab/annex/integration/intake"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
)

// FileArrived is the "a file arrived" event: annex up wires the SFTP
// server's upload events here. The file is claimed and processed at once,
// after any file claimed before it. A file elsewhere in the profile's SFTP
// account (a subdirectory of the inbox) can never be read as a request
// file: it is quarantined with its reason. A file outside every inbox is an
// error; an upload temporary (never announced by the server) is ignored.
func (e *Engine) FileArrived(ctx context.Context, localPath string) error {
	abs, err := filepath.Abs(localPath)
	if err != nil {
		return fmt.Errorf("file arrived: %w", err)
	}
	if intake.Ignored(filepath.Base(abs)) {
		return nil
	}
	p, inInbox := e.profileOfPath(abs)
	if p == nil {
		return fmt.Errorf("file arrived: %s is not in a profile's inbox", localPath)
	}
	dirs := e.dirs[p.Name]
	unlock, err := e.lock(p.Name)
	if err != nil {
		if errors.Is(err, ErrClosed) && inInbox {
			// Claimed all the same (no store needed; nobody else claims
			// once closed): the next start resumes it, and a later upload of
			// the same name cannot replace it in the inbox meanwhile.
			if _, cerr := dirs.Claim(abs, filepath.Base(abs), e.clock(), ""); cerr != nil && !errors.Is(cerr, intake.ErrGone) {
				err = errors.Join(err, cerr)
			}
		}
		return fmt.Errorf("file arrived: %w", err)
	}
	defer unlock()
	if !inInbox {
		return e.quarantineLocked(ctx, p, abs)
	}
	// Claimed before anything else is tried, so it is safe from the next
	// upload of its name whatever becomes of the files before it.
	claimed, err := dirs.Claim(abs, filepath.Base(abs), e.clock(), "")
	if err != nil {
		if errors.Is(err, intake.ErrGone) {
			return nil // a rescan or an earlier event took it
		}
		return fmt.Errorf("file arrived: %w", err)
	}
	e.log.Info("file claimed", "profile", p.Name, "file", claimed)
	if _, err := e.resumeLocked(ctx, p, ""); err != nil {
		return fmt.Errorf("file arrived: %w", err)
	}
	return nil
}

// profileOfPath finds the profile a file belongs to: the one whose inbox
// holds it (inInbox), or whose SFTP account or inbox has it further down.
func (e *Engine) profileOfPath(abs string) (p *profile.Profile, inInbox bool) {
	for _, name := range e.order {
		in, err := filepath.Abs(e.dirs[name].Inbox)
		if err != nil {
			continue
		}
		if filepath.Dir(abs) == in {
			return e.profiles[name], true
		}
		if top, err := filepath.Abs(e.accountDir(e.profiles[name])); err == nil && strings.HasPrefix(abs, top+string(filepath.Separator)) {
			return e.profiles[name], false
		}
	}
	return nil, false
}

// accountDir is the directory files for a profile can arrive in: its SFTP
// account's root, which holds the inbox, else the inbox itself.
func (e *Engine) accountDir(p *profile.Profile) string {
	if s := p.Intake.SFTP; s != nil && s.Account != "" {
		return filepath.Join(e.cfg.DataDir, "sftp", s.Account)
	}
	return e.dirs[p.Name].Inbox
}

// quarantineLocked moves a file that can never be read as a request file
// (it is not in the inbox itself) to rejected/ with its reason, and
// records it as a rejected file. The caller holds the profile's lock.
func (e *Engine) quarantineLocked(ctx context.Context, p *profile.Profile, abs string) error {
	dirs := e.dirs[p.Name]
	where, err := filepath.Rel(e.accountDir(p), abs)
	if err != nil {
		where = abs
	}
	inbox, err := filepath.Rel(e.accountDir(p), dirs.Inbox)
	if err != nil || inbox == "." {
		inbox = "the inbox"
	}
	reason := fmt.Sprintf("file: %s\nmessage: %s is not in %s, the only directory request files are read from; move it there to have it processed\n",
		filepath.ToSlash(where), filepath.ToSlash(where), filepath.ToSlash(inbox))
	now := e.clock()
	name, err := dirs.Quarantine(abs, filepath.Base(abs), now, reason)
	if err != nil {
		if errors.Is(err, intake.ErrGone) {
			return nil
		}
		return fmt.Errorf("quarantine: %w", err)
	}
	e.log.Warn("file quarantined", "profile", p.Name, "file", name, "reason", oneLine(reason))
	sum, _ := intake.SHA256(dirs.Path(intake.Rejected, name))
	err = e.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutFile(store.File{Name: name, Profile: p.Name, Original: filepath.Base(abs), SHA256: sum,
			Status: store.FileRejected, Reason: reason, Received: now, Updated: now}); err != nil {
			return err
		}
		_, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertRejectedFile, Profile: p.Name,
			Message: fmt.Sprintf("request file %s rejected: %s", filepath.ToSlash(where), oneLine(reason))})
		return err
	})
	if err != nil {
		// The file and its reason are in rejected/ all the same.
		return fmt.Errorf("quarantine %s: record: %w", name, err)
	}
	return nil
}

func (e *Engine) lock(name string) (func(), error) {
	l := e.locks[name]
	l.Lock()
	if e.closed {
		l.Unlock()
		return nil, ErrClosed
	}
	return l.Unlock, nil
}

// scan is the safety net: strays are quarantined, then every file waiting
// in the inbox is claimed and processed, oldest first, each after any file
// left claimed before it.
func (e *Engine) scan(ctx context.Context, p *profile.Profile) error {
	unlock, err := e.lock(p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	dirs := e.dirs[p.Name]
	strays, err := dirs.Strays(e.accountDir(p))
	if err != nil {
		return err
	}
	for _, s := range strays {
		if err := e.quarantineLocked(ctx, p, s); err != nil {
			return err
		}
	}
	names, err := dirs.InboxFiles()
	if err != nil {
		return err
	}
	// Every file is claimed even when one before it cannot be processed
	// yet: claimed, it is safe from the next upload of its name.
	var first error
	for _, n := range names {
		claimed, err := dirs.Claim(filepath.Join(dirs.Inbox, n), n, e.clock(), "")
		if err != nil {
			if !errors.Is(err, intake.ErrGone) {
				first = cmp.Or(first, err)
			}
			continue
		}
		e.log.Info("file claimed", "profile", p.Name, "file", claimed)
		if first == nil {
			_, first = e.resumeLocked(ctx, p, "")
		}
	}
	if len(names) == 0 {
		// Files left claimed by a store or disk error are retried here.
		_, first = e.resumeLocked(ctx, p, "")
	}
	return first
}

// staleAfter is how old an upload temporary must be to be swept at start:
// the SFTP server may outlive an engine restart, and a younger one may
// belong to an upload still in progress.
const staleAfter = time.Hour

// resume sweeps what a killed process left half-written, then finishes the
// files left claimed. Open calls it before the engine is reachable.
func (e *Engine) resume(ctx context.Context, p *profile.Profile) error {
	unlock, err := e.lock(p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	// File times are the file system's, not the engine's (possibly fixed) clock.
	removed, err := e.dirs[p.Name].Sweep(e.accountDir(p), time.Now().Add(-staleAfter))
	for _, r := range removed {
		e.log.Info("upload temporary swept", "profile", p.Name, "path", r)
	}
	if err != nil {
		e.log.Error("sweep upload temporaries", "profile", p.Name, "err", err)
	}
	_, err = e.resumeLocked(ctx, p, "")
	return err
}

// resumeLocked processes the files in claimed/, in claim order: one the
// store already committed is only moved; any other is processed again (its
// transaction never committed, so nothing of it is in the store). The
// outcome of mine, with its results, is returned. The first error stops it:
// the files from there on stay claimed, in order, for the next try.
func (e *Engine) resumeLocked(ctx context.Context, p *profile.Profile, mine string) (fileOutcome, error) {
	var out fileOutcome
	names, err := e.dirs[p.Name].ClaimedFiles()
	if err != nil {
		return out, fmt.Errorf("resume %s: %w", p.Name, err)
	}
	for _, n := range names {
		o, err := e.process(ctx, p, n, n == mine)
		if err != nil {
			return out, fmt.Errorf("resume %s: %w", p.Name, err)
		}
		if n == mine {
			out = o
		}
	}
	return out, nil
}

// fileOutcome is what became of one file.
type fileOutcome struct {
	Name    string
	Status  string // store.FileProcessed or store.FileRejected
	Reason  string
	Results []Result
}

// applyError marks an error of the store inside the parse, to tell it from the file's own faults.
type applyError struct{ err error }

func (a applyError) Error() string { return a.err.Error() }
func (a applyError) Unwrap() error { return a.err }

// contentError marks what the parser said of the file itself.
type contentError struct{ err error }

func (c contentError) Error() string { return c.err.Error() }
func (c contentError) Unwrap() error { return c.err }

// contentFault reports whether err (from process's transaction) is the
// file's own fault, which quarantines it. Anything else (the store, the
// disk, a cancelled context) is not: the file stays claimed and is tried
// again.
func contentFault(ctx context.Context, err error) bool {
	var ce contentError
	if !errors.As(err, &ce) || ctx.Err() != nil {
		return false
	}
	// Reading the claimed file failed: the disk's fault, not the file's.
	var pe *fs.PathError
	var errno syscall.Errno
	return !errors.As(ce.err, &pe) && !errors.As(ce.err, &errno)
}

// process applies a claimed file in one transaction, then moves it to
// processed/, or quarantines it in rejected/ with its reason when its
// content is at fault. Any other error (the store's, the disk's) leaves
// the file claimed, to be resumed, and raises an alert. The file is parsed in the format
// its claimed name records, else in the profile's.
func (e *Engine) process(ctx context.Context, p *profile.Profile, name string, collect bool) (fileOutcome, error) {
	dirs := e.dirs[p.Name]
	out := fileOutcome{Name: name}
	var prior store.File
	err := e.store.Tx(ctx, func(tx *store.Tx) (err error) { prior, err = tx.File(p.Name, name); return err })
	switch {
	case err == nil && prior.Status == store.FileProcessed:
		out.Status = store.FileProcessed
		return out, dirs.Finish(name)
	case err == nil && prior.Status == store.FileRejected:
		out.Status, out.Reason = store.FileRejected, prior.Reason
		return out, dirs.Reject(name, prior.Reason)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return out, err
	}
	path := dirs.Path(intake.Claimed, name)
	sum, err := intake.SHA256(path)
	if err != nil {
		return out, err
	}
	f, err := os.Open(path)
	if err != nil {
		return out, fmt.Errorf("process %s: %w", name, err)
	}
	defer f.Close()
	original, format := intake.ParseClaimName(name)
	if format == "" {
		format = p.Intake.Format
	}
	now := e.clock()
	rec := store.File{Name: name, Profile: p.Name, Original: original, SHA256: sum,
		Status: store.FileProcessed, Received: now, Updated: now}
	var owed bool
	err = e.store.Tx(ctx, func(tx *store.Tx) error {
		out.Results = out.Results[:0]
		rec.Accepted, rec.Denied, rec.Skipped, owed = 0, 0, 0, false
		opts := requestfile.Options{MaxSize: p.Intake.MaxFileSize, Layout: p.Intake.TextLayout}
		err := parseAhead(ctx, format, rec.Original, f, opts, func(r requestfile.Record) error {
			res, o, err := e.applyRecord(tx, p, name, incoming{rec: r}, now)
			if err != nil {
				return applyError{err}
			}
			owed = owed || o
			switch {
			case res.Skipped:
				rec.Skipped++
			case res.Deny == "Y":
				rec.Denied++
			default:
				rec.Accepted++
			}
			if collect {
				out.Results = append(out.Results, res)
			}
			return nil
		})
		if err != nil {
			var ae applyError
			if errors.As(err, &ae) {
				return err
			}
			return contentError{err}
		}
		return tx.PutFile(rec)
	})
	if err == nil {
		e.flushHeld(ctx)
		if owed {
			e.sender.Wake(p.Name)
		}
		out.Status = store.FileProcessed
		e.log.Info("file processed", "profile", p.Name, "file", name, "accepted", rec.Accepted, "denied", rec.Denied, "skipped", rec.Skipped)
		return out, dirs.Finish(name)
	}
	if !contentFault(ctx, err) {
		if ctx.Err() == nil {
			// The rescan tries the file again; the alert is recorded as
			// soon as the store takes it (it may be what failed).
			e.log.Error("alert: request file kept claimed, to be retried", "profile", p.Name, "file", name, "err", err)
			e.holdAlert(ctx, p, name, err)
		}
		return out, fmt.Errorf("process %s: kept claimed, to be retried: %w", name, err)
	}
	// The file itself is at fault (a *requestfile.FileError, or a format
	// the parser does not know): quarantine it with its reason.
	reason := rejectReason(rec.Original, name, err)
	rec.Status, rec.Reason, rec.Accepted, rec.Denied, rec.Skipped = store.FileRejected, reason, 0, 0, 0
	err = e.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutFile(rec); err != nil {
			return err
		}
		_, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertRejectedFile, Profile: p.Name,
			Message: fmt.Sprintf("request file %s rejected: %s", rec.Original, oneLine(reason))})
		return err
	})
	if err != nil {
		return out, fmt.Errorf("process %s: %w", name, err)
	}
	e.log.Warn("file rejected", "profile", p.Name, "file", name, "reason", oneLine(reason))
	out.Status, out.Reason = store.FileRejected, reason
	return out, dirs.Reject(name, reason)
}

// parseAhead is requestfile.Parse with the parsing on a goroutine of its
// own, a bounded number of records ahead of apply: the file's transaction
// holds the store's only writer, so the parsing should not be done by it.
// apply's first error stops the parser and is returned as it is.
func parseAhead(ctx context.Context, format, name string, r io.Reader, opts requestfile.Options, apply func(requestfile.Record) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan requestfile.Record, 256)
	parsed := make(chan error, 1)
	go func() {
		defer close(recs)
		parsed <- requestfile.Parse(ctx, format, name, r, opts, func(rec requestfile.Record) error {
			select {
			case recs <- rec:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for rec := range recs {
		if err := apply(rec); err != nil {
			cancel()
			for range recs { // let the parser see the cancellation and stop
			}
			<-parsed
			return err
		}
	}
	return <-parsed
}

// rejectReason is the content of a <name>.reason file.
func rejectReason(original, claimed string, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "file: %s\nclaimed: %s\n", original, claimed)
	var fe *requestfile.FileError
	if errors.As(err, &fe) {
		if fe.Line > 0 {
			fmt.Fprintf(&b, "line: %d\n", fe.Line)
		}
		fmt.Fprintf(&b, "message: %s\n", fe.Msg)
		return b.String()
	}
	fmt.Fprintf(&b, "message: %s\n", err)
	return b.String()
}

func oneLine(reason string) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(reason), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && (k == "line" || k == "message") {
			parts = append(parts, k+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

// profileByFormat finds the profile a file posted with the facility key
// and no ?profile= is for: the one profile that reads its format (given,
// or sniffed from its first bytes). It returns the body to read in place
// of the one it peeked at.
func (e *Engine) profileByFormat(format string, body io.Reader) (string, io.Reader, error) {
	br := bufio.NewReaderSize(body, requestfile.SniffLen)
	if format == "" {
		head, _ := br.Peek(requestfile.SniffLen) // a short file is all head; a read error surfaces when the body is received
		format = requestfile.Sniff(head)
	}
	if format == "" {
		return "", br, fmt.Errorf("which profile? the file's format cannot be told from its content: add ?profile=NAME (%w)", ErrInvalid)
	}
	var readers []string
	for _, name := range e.order {
		if e.profiles[name].Intake.Format == format {
			readers = append(readers, name)
		}
	}
	switch len(readers) {
	case 1:
		return readers[0], br, nil
	case 0:
		return "", br, fmt.Errorf("which profile? no profile reads %s files: add ?profile=NAME (%w)", format, ErrInvalid)
	}
	return "", br, fmt.Errorf("which profile? %s files are read by %s: add ?profile=NAME (%w)", format, strings.Join(readers, ", "), ErrInvalid)
}

// SubmitFile receives a posted request file, claims it and processes it at
// once, so the caller gets one result per request. format overrides the
// profile's format for this file ("" keeps it). The body is received into
// the profile's receiving/ directory before the profile's lock is taken, so
// a slow sender delays nobody else, and it is never in the inbox, where an
// SFTP upload of the same name could replace it.
func (e *Engine) SubmitFile(ctx context.Context, profileName, format, name string, body io.Reader) (FileResult, error) {
	if profileName == "" {
		var err error
		if profileName, body, err = e.profileByFormat(format, body); err != nil {
			return FileResult{}, fmt.Errorf("submit file: %w", err)
		}
	}
	p := e.profiles[profileName]
	if p == nil {
		return FileResult{}, fmt.Errorf("submit file: %w %q", ErrUnknownProfile, profileName)
	}
	if format == p.Intake.Format {
		format = ""
	}
	if format != "" {
		// Refused before the file lands: a format the profile cannot read
		// is the caller's mistake, not a file to quarantine.
		if err := p.CanRead(format); err != nil {
			return FileResult{}, fmt.Errorf("submit file: format: %w (%w)", err, ErrInvalid)
		}
	}
	if err := intake.CheckName(name); err != nil {
		return FileResult{}, fmt.Errorf("submit file: %w (%w)", err, ErrInvalid)
	}
	dirs := e.dirs[p.Name]
	tmp, err := dirs.Receive(body)
	if err != nil {
		return FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	// The claim is made under the lock, so no other caller processes the
	// file first and leaves this one without its results.
	unlock, err := e.lock(p.Name)
	if err != nil {
		os.Remove(tmp) // never claimed; the caller is told it failed
		return FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	defer unlock()
	claimed, err := dirs.Claim(tmp, name, e.clock(), format)
	if err != nil {
		os.Remove(tmp)
		return FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	e.log.Info("file claimed", "profile", p.Name, "file", claimed)
	out, err := e.resumeLocked(ctx, p, claimed)
	if err != nil {
		return FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	return FileResult{File: out.Name, Rejected: out.Status == store.FileRejected, Reason: out.Reason, Results: out.Results}, nil
}
