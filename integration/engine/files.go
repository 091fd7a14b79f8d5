package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/intake"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
)

// FileArrived is the "a file arrived" event: annex up wires the SFTP
// server's upload events here. The file is claimed and processed at once;
// a file outside every inbox is an error, a hidden (partial) file is ignored.
func (e *Engine) FileArrived(ctx context.Context, localPath string) error {
	abs, err := filepath.Abs(localPath)
	if err != nil {
		return fmt.Errorf("file arrived: %w", err)
	}
	if intake.Ignored(filepath.Base(abs)) {
		return nil
	}
	p := e.profileOfInbox(filepath.Dir(abs))
	if p == nil {
		return fmt.Errorf("file arrived: %s is not in a profile's inbox", localPath)
	}
	unlock, err := e.lock(p.Name)
	if err != nil {
		return fmt.Errorf("file arrived: %w", err)
	}
	defer unlock()
	// Leftovers first, so files are processed in arrival order.
	if err := e.resumeLocked(ctx, p); err != nil {
		return fmt.Errorf("file arrived: %w", err)
	}
	_, err = e.claimAndProcess(ctx, p, abs, "", false)
	if errors.Is(err, intake.ErrGone) {
		return nil // a rescan or an earlier event took it
	}
	return err
}

func (e *Engine) profileOfInbox(dir string) *profile.Profile {
	for _, name := range e.order {
		if in, err := filepath.Abs(e.dirs[name].Inbox); err == nil && in == dir {
			return e.profiles[name]
		}
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

// scan is the safety net: leftovers, then every file waiting in the inbox.
func (e *Engine) scan(ctx context.Context, p *profile.Profile) error {
	unlock, err := e.lock(p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.resumeLocked(ctx, p); err != nil {
		return err
	}
	names, err := e.dirs[p.Name].InboxFiles()
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := e.claimAndProcess(ctx, p, filepath.Join(e.dirs[p.Name].Inbox, n), "", false); err != nil && !errors.Is(err, intake.ErrGone) {
			return err
		}
	}
	return nil
}

func (e *Engine) resume(ctx context.Context, p *profile.Profile) error {
	unlock, err := e.lock(p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	return e.resumeLocked(ctx, p)
}

// resumeLocked finishes the files left in claimed/: one the store already
// committed is only moved; any other is processed again (its transaction
// never committed, so nothing of it is in the store).
func (e *Engine) resumeLocked(ctx context.Context, p *profile.Profile) error {
	names, err := e.dirs[p.Name].ClaimedFiles()
	if err != nil {
		return fmt.Errorf("resume %s: %w", p.Name, err)
	}
	for _, n := range names {
		if _, err := e.process(ctx, p, n, false); err != nil {
			return fmt.Errorf("resume %s: %w", p.Name, err)
		}
	}
	return nil
}

// fileOutcome is what became of one file.
type fileOutcome struct {
	Name    string
	Status  string // store.FileProcessed or store.FileRejected
	Reason  string
	Results []api.Result
}

func (e *Engine) claimAndProcess(ctx context.Context, p *profile.Profile, path, format string, collect bool) (fileOutcome, error) {
	name, err := e.dirs[p.Name].Claim(path, e.clock(), format)
	if err != nil {
		return fileOutcome{}, err
	}
	e.log.Info("file claimed", "profile", p.Name, "file", name)
	return e.process(ctx, p, name, collect)
}

// applyError marks an error of the store inside the parse, to tell it from the file's own faults.
type applyError struct{ err error }

func (a applyError) Error() string { return a.err.Error() }
func (a applyError) Unwrap() error { return a.err }

// process applies a claimed file in one transaction, then moves it to
// processed/, or quarantines it in rejected/ with its reason. An error
// leaves the file claimed, to be resumed. The file is parsed in the format
// its claimed name records, else in the profile's.
func (e *Engine) process(ctx context.Context, p *profile.Profile, name string, collect bool) (fileOutcome, error) {
	dirs := e.dirs[p.Name]
	out := fileOutcome{Name: name}
	var prior store.File
	err := e.store.Tx(ctx, func(tx *store.Tx) (err error) { prior, err = tx.File(name); return err })
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
			return err
		}
		return tx.PutFile(rec)
	})
	if err == nil {
		if owed {
			e.sender.Wake(p.Name)
		}
		out.Status = store.FileProcessed
		e.log.Info("file processed", "profile", p.Name, "file", name, "accepted", rec.Accepted, "denied", rec.Denied, "skipped", rec.Skipped)
		return out, dirs.Finish(name)
	}
	var ae applyError
	if errors.As(err, &ae) || ctx.Err() != nil {
		return out, fmt.Errorf("process %s: %w", name, err)
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

// SubmitFile writes a posted request file into the profile's inbox and
// processes it at once, so the caller gets one result per request. format
// overrides the profile's format for this file ("" keeps it).
func (e *Engine) SubmitFile(ctx context.Context, profileName, format, name string, body io.Reader) (api.FileResult, error) {
	p := e.profiles[profileName]
	if p == nil {
		return api.FileResult{}, fmt.Errorf("submit file: %w %q", ErrUnknownProfile, profileName)
	}
	if format == p.Intake.Format {
		format = ""
	}
	if format != "" {
		// Refused before the file lands: a format the profile cannot read
		// is the caller's mistake, not a file to quarantine.
		if err := p.CanRead(format); err != nil {
			return api.FileResult{}, fmt.Errorf("submit file: format: %w (%w)", err, api.ErrBadRequest)
		}
	}
	// The lock is taken before the file lands, so the rescan cannot claim
	// it first and leave this caller without its results.
	unlock, err := e.lock(p.Name)
	if err != nil {
		return api.FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	defer unlock()
	path, err := e.dirs[p.Name].WriteInbox(name, body)
	if err != nil {
		return api.FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	if err := e.resumeLocked(ctx, p); err != nil {
		return api.FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	out, err := e.claimAndProcess(ctx, p, path, format, true)
	if err != nil {
		return api.FileResult{}, fmt.Errorf("submit file: %w", err)
	}
	return api.FileResult{File: out.Name, Rejected: out.Status == store.FileRejected, Reason: out.Reason, Results: out.Results}, nil
}
