// Package mailer delivers the alert emails the facility's workflow owes
// (issue 15; docs/libraries.md, "Email alerts"; nothing lost). It is the outbox idea for
// mail: an alert that owes an email is queued in the store in the same
// transaction as the alert itself (store.Options.OnAlert), so a kill -9 at
// any point loses none; the mailer seals waiting alerts into messages (one
// per alert, or one digest per group), then sends each over SMTP.
//
// Outcomes: a 2xx marks the message delivered, and it is never sent again;
// a connection error, a timeout or a 4xx is retried with exponential
// backoff; a 5xx is final, recorded failed with a delivery_failure alert
// (which owes no email itself). A crash after the server's 2xx but before
// the store records it makes the next run send the message again, with the
// same Message-ID (derived from the alert), so the duplicate is
// recognisable. The loop sleeps on a wake channel and a timer set for the
// earliest next attempt: there is no polling.
//
// Composing and sending use github.com/wneessen/go-mail.
package mailer

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/backoff"
	"github.com/annexlab/annex/internal/broadcast"
)

// Defaults.
const (
	DefaultInitial = 500 * time.Millisecond
	DefaultMax     = time.Minute
	DefaultTimeout = 30 * time.Second
	// AlertAfter is the attempt after which a still-retrying message raises a delivery_failure alert (once).
	AlertAfter = 5
	// DefaultConcurrency is how many SMTP connections send at once.
	DefaultConcurrency = 8
	// maxDue bounds the messages one round takes on.
	maxDue = 400
)

// Config configures a Mailer.
type Config struct {
	Store *store.Store
	// SMTP is the facility's mail server.
	SMTP profile.SMTP
	// Emails are the profiles' email settings, by profile name.
	Emails map[string]*profile.Email
	// Initial and Max bound the retry backoff (defaults 500ms and 1m).
	Initial, Max time.Duration
	// Concurrency is how many connections send at once (default 8): each
	// outcome is committed before its connection sends the next message,
	// and the store's group commit lets the connections share an fsync.
	Concurrency int
	// Clock stamps records; nil means time.Now. Backoff uses wall time.
	Clock  func() time.Time
	Logger *slog.Logger
}

// Mailer sends the queued alert emails.
type Mailer struct {
	cfg   Config
	log   *slog.Logger
	clock func() time.Time
	wake  chan struct{}

	cancel context.CancelFunc
	wg     sync.WaitGroup

	changed broadcast.Signal // after every recorded outcome
}

// New returns a Mailer; Start runs it.
func New(cfg Config) *Mailer {
	cfg.Initial = cmp.Or(cfg.Initial, DefaultInitial)
	cfg.Max = cmp.Or(cfg.Max, DefaultMax)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, DefaultConcurrency)
	m := &Mailer{cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)), clock: cfg.Clock,
		wake: make(chan struct{}, 1)}
	if m.clock == nil {
		m.clock = time.Now
	}
	return m
}

// Start runs the delivery loop until ctx ends or Close.
func (m *Mailer) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.run(ctx)
	}()
}

// Close stops the loop and waits for it.
func (m *Mailer) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

// Wake tells the loop new alert emails were committed.
func (m *Mailer) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Changed returns a channel closed after the next recorded outcome, for
// waiting on progress without sleeping.
func (m *Mailer) Changed() <-chan struct{} { return m.changed.C() }

func (m *Mailer) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		roundErr := m.round(ctx)
		if roundErr != nil && ctx.Err() == nil {
			m.log.Error("mailer", "err", roundErr)
		}
		wait := time.Hour
		next, ok, err := m.cfg.Store.NextMailAttempt(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			m.log.Error("mailer", "err", err)
			wait = m.cfg.Initial
		case ok:
			wait = max(time.Until(next), time.Millisecond)
		}
		if roundErr != nil {
			// The store failed (a full disk, say): do not spin on it.
			wait = max(wait, m.cfg.Initial)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-timer.C:
		}
	}
}

// round seals waiting alerts and sends every message due, over up to
// Concurrency connections.
func (m *Mailer) round(ctx context.Context) error {
	if err := m.cfg.Store.SealMail(ctx, time.Now()); err != nil {
		return err
	}
	due, err := m.cfg.Store.MailDue(ctx, time.Now(), maxDue)
	if err != nil || len(due) == 0 {
		return err
	}
	work := make(chan store.MailMessage, len(due))
	for _, b := range due {
		work <- b
	}
	close(work)
	errs := make(chan error, m.cfg.Concurrency)
	for range min(m.cfg.Concurrency, len(due)) {
		go func() { errs <- m.deliver(ctx, work) }()
	}
	var first error
	for range min(m.cfg.Concurrency, len(due)) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// deliver sends the messages it takes from work over one connection,
// dialled when first needed and again after a connection error.
func (m *Mailer) deliver(ctx context.Context, work <-chan store.MailMessage) error {
	var client *mail.Client
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	for msg := range work {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e := m.cfg.Emails[msg.Mail[0].Profile]
		if e == nil {
			// The profile no longer mails: nothing can be sent, and a retry would not change that.
			if err := m.record(ctx, msg, store.MsgFailed, errors.New("the profile has no alerts.email any more"), 0); err != nil {
				return err
			}
			continue
		}
		if client == nil {
			var err error
			if client, err = m.dial(ctx); err != nil {
				client = nil
				if err := m.record(ctx, msg, store.MsgPending, err, 0); err != nil {
					return err
				}
				continue
			}
		}
		err := m.send(ctx, client, msg, e)
		code := smtpCode(err)
		status := store.MsgPending
		switch {
		case err == nil:
			status, code = store.MsgDelivered, 250
		case code >= 500 && code < 600:
			status = store.MsgFailed
		case code == 0:
			// The connection itself failed: start the next one afresh.
			client.Close()
			client = nil
		}
		if err := m.record(ctx, msg, status, err, code); err != nil {
			// Unrecorded, the message stays owed and is sent again (same
			// Message-ID) once the store takes writes: stop this round.
			return err
		}
	}
	return nil
}

func (m *Mailer) send(ctx context.Context, client *mail.Client, sm store.MailMessage, e *profile.Email) error {
	msg, err := Compose(sm, e)
	if err != nil {
		return err
	}
	if err := client.Send(msg); err != nil {
		return fmt.Errorf("send %s: %w", msg.GetMessageID(), err)
	}
	return ctx.Err()
}

// dial opens an SMTP session with the facility's server.
func (m *Mailer) dial(ctx context.Context) (*mail.Client, error) {
	s := m.cfg.SMTP
	timeout := cmp.Or(time.Duration(s.Timeout), DefaultTimeout)
	// No NOOP before each message: a dead connection shows at MAIL FROM
	// anyway, as a connection error, and the message is retried.
	opts := []mail.Option{mail.WithPort(s.PortOrDefault()), mail.WithTimeout(timeout), mail.WithHELO("annex.localhost"), mail.WithoutNoop(),
		mail.WithTLSConfig(&tls.Config{ServerName: s.Host, InsecureSkipVerify: s.InsecureSkipVerify, MinVersion: tls.VersionTLS12})}
	switch s.SecurityOrDefault() {
	case profile.SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case profile.SMTPNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.DialWithContext(dctx); err != nil {
		return nil, fmt.Errorf("smtp dial %s:%d: %w", s.Host, s.PortOrDefault(), err)
	}
	return c, nil
}

// smtpCode is the server's reply code in err, 0 when the server gave none
// (a connection error, a timeout).
func smtpCode(err error) int {
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// record commits an attempt's outcome and, for a final failure or a long
// run of retries, a delivery_failure alert that owes no email.
func (m *Mailer) record(ctx context.Context, sm store.MailMessage, status string, sendErr error, code int) error {
	now := m.clock()
	attempts := sm.Mail[0].Attempts + 1
	next := time.Now()
	if status == store.MsgPending {
		next = next.Add(backoff.Doubling(m.cfg.Initial, m.cfg.Max, attempts))
	}
	lastErr := ""
	if sendErr != nil {
		lastErr = sendErr.Error()
	}
	profileName := sm.Mail[0].Profile
	id := MessageID(sm.Batch, profileName, m.from(profileName))
	err := m.cfg.Store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SetMailOutcome(sm.Batch, status, attempts, next, lastErr, now); err != nil {
			return err
		}
		var text string
		switch {
		case status == store.MsgFailed:
			text = fmt.Sprintf("alert email <%s> (%s) not delivered, not retried: %s", id, Subject(sm), lastErr)
		case status == store.MsgPending && attempts == AlertAfter:
			text = fmt.Sprintf("alert email <%s> (%s) not delivered after %d attempts (still retrying): %s", id, Subject(sm), attempts, lastErr)
		default:
			return nil
		}
		a := sm.Alerts[0]
		_, err := tx.AddAlertUnmailed(store.Alert{Time: now, Kind: store.AlertDeliveryFailure, Profile: profileName,
			RequestID: a.RequestID, Barcode: a.Barcode, Message: text})
		return err
	})
	if err != nil {
		return fmt.Errorf("record outcome of %s: %w", id, err)
	}
	switch status {
	case store.MsgDelivered:
		m.log.Info("alert email sent", "message_id", id, "alerts", len(sm.Alerts))
	case store.MsgFailed:
		m.log.Error("alert email refused", "message_id", id, "code", code, "err", sendErr)
	default:
		m.log.Warn("alert email to be retried", "message_id", id, "attempts", attempts, "code", code, "err", sendErr)
	}
	m.changed.Notify()
	return nil
}

func (m *Mailer) from(profileName string) string {
	if e := m.cfg.Emails[profileName]; e != nil {
		return e.From
	}
	return ""
}
