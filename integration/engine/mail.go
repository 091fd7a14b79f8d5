package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/intake"
	"github.com/annexlab/annex/integration/mailer"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
)

// newMailer returns the mailer of the profiles that email their alerts
// (issue 15), or nil when none does.
func newMailer(cfg Config, profiles map[string]*profile.Profile, st *store.Store, clock func() time.Time, log *slog.Logger) (*mailer.Mailer, error) {
	emails := map[string]*profile.Email{}
	for name, p := range profiles {
		if p.Alerts.Email != nil {
			emails[name] = p.Alerts.Email
		}
	}
	if len(emails) == 0 {
		return nil, nil
	}
	if cfg.Facility.SMTP == nil {
		return nil, errors.New("a profile emails its alerts (alerts.email) but the facility has no smtp: section")
	}
	s := cfg.Facility.SMTP
	return mailer.New(mailer.Config{Store: st, SMTP: *s, Emails: emails, Initial: time.Duration(s.RetryInitial), Max: time.Duration(s.RetryMax),
		Concurrency: s.Concurrency, Clock: clock, Logger: log}), nil
}

// mailAlert is store.Options.OnAlert: it queues the email an alert owes,
// in the alert's own transaction, and wakes the mailer once it commits.
func (e *Engine) mailAlert(tx *store.Tx, a store.Alert) error {
	p := e.profiles[a.Profile]
	if e.mailer == nil || p == nil || !p.Alerts.Email.Wants(a.Kind) {
		return nil
	}
	m := store.Mail{AlertID: a.ID, Profile: p.Name, Updated: a.Time}
	var req *store.Request
	if a.RequestID != "" {
		q, err := tx.Request(p.Name, a.RequestID)
		switch {
		case err == nil:
			req = &q
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	switch p.Alerts.Email.Grouping {
	case profile.GroupFile:
		if req != nil && req.File != "" {
			m.Group = mailer.FileGroup(req.File)
		}
	case profile.GroupFloorBatch:
		if a.Barcode != "" {
			b, err := tx.FloorBatch(a.Barcode)
			if err != nil {
				return err
			}
			if b != "" {
				m.Group = mailer.FloorGroup(b)
			}
		}
	}
	m.Summary = summary(a, req)
	if m.Group != "" {
		m.NextAttempt = time.Now().Add(p.Alerts.Email.Wait()) // wall clock: it schedules the mailer's timer
	}
	if err := tx.QueueMail(m); err != nil {
		return err
	}
	tx.AfterCommit(e.mailer.Wake)
	return nil
}

// summary is the short reason a subject line ends with: a denial's
// istatus ("Invalid Stop Code"), a Problem's text, what was done.
func summary(a store.Alert, req *store.Request) string {
	switch a.Kind {
	case store.AlertDenial:
		if req != nil {
			code, _, _ := strings.Cut(req.Reason, ":")
			return code
		}
	case store.AlertFulfilment:
		return "retrieved"
	case store.AlertNCIPProblem:
		if _, p, ok := strings.Cut(a.Message, "answered with a Problem: "); ok {
			return p
		}
	case store.AlertRejectedFile:
		// "request file NAME rejected: REASON" → "NAME: REASON"
		if name, reason, ok := strings.Cut(strings.TrimPrefix(a.Message, "request file "), " rejected: "); ok {
			return name + ": " + reason
		}
	case store.AlertHeldFile:
		if name, _, ok := strings.Cut(strings.TrimPrefix(a.Message, "request file "), " kept claimed"); ok {
			return name + ": kept claimed after a store error, to be retried"
		}
	case store.AlertDeliveryFailure:
		if what, _, ok := strings.Cut(a.Message, " (still retrying)"); ok {
			return what
		}
	}
	return a.Message
}

// markFloorBatch records that barcodes are retrieved in one pick list, so
// their fulfilments can be mailed as one digest (grouping floor_batch).
func (e *Engine) markFloorBatch(tx *store.Tx, barcodes []string) error {
	if e.mailer == nil || len(barcodes) == 0 {
		return nil
	}
	batch := fmt.Sprintf("%s+%d@%s", barcodes[0], len(barcodes), e.clock().UTC().Format(time.RFC3339Nano))
	for _, b := range barcodes {
		if err := tx.SetFloorBatch(b, batch); err != nil {
			return err
		}
	}
	return nil
}

// holdAlert records the held_file alert of a valid request file that a
// store or disk error keeps claimed (issue 11 item 5), once per file and
// run. The store that failed may still refuse it; then it waits in memory
// and is recorded by the next call that finds the store writable.
func (e *Engine) holdAlert(ctx context.Context, p *profile.Profile, name string, cause error) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	if e.held == nil {
		e.held = map[string]store.Alert{}
	}
	if _, seen := e.held[name]; !seen {
		original, _ := intake.ParseClaimName(name)
		e.held[name] = store.Alert{Time: e.clock(), Kind: store.AlertHeldFile, Profile: p.Name,
			Message: fmt.Sprintf("request file %s kept claimed, to be retried: the store failed, not the file: %s", original, strings.Join(strings.Fields(cause.Error()), " "))}
		e.heldOwed = append(e.heldOwed, name)
	}
	e.flushHeldLocked(ctx)
}

// flushHeldLocked records the held_file alerts still owed; e.heldMu is held.
func (e *Engine) flushHeldLocked(ctx context.Context) {
	for len(e.heldOwed) > 0 {
		name := e.heldOwed[0]
		a := e.held[name]
		if err := e.store.Tx(ctx, func(tx *store.Tx) error { _, err := tx.AddAlert(a); return err }); err != nil {
			e.log.Error("alert: request file kept claimed, to be retried (the alert itself waits for the store)",
				"profile", a.Profile, "file", name, "err", err)
			return
		}
		e.heldOwed = e.heldOwed[1:]
	}
}

// flushHeld records the held_file alerts still owed, if any.
func (e *Engine) flushHeld(ctx context.Context) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	e.flushHeldLocked(ctx)
}

// WaitMailIdle blocks until no alert email is owed (each is delivered or
// failed) or ctx ends. Tests wait on it instead of sleeping.
func (e *Engine) WaitMailIdle(ctx context.Context) error {
	if e.mailer == nil {
		return nil
	}
	return waitNoneOwed(ctx, e.mailer.Changed, e.store.MailPending, "wait mail idle", "alert emails still owed")
}

// Mails lists the alert emails owed and sent.
func (e *Engine) Mails(ctx context.Context) ([]store.Mail, error) { return e.store.Mails(ctx) }
