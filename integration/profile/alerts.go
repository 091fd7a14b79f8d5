package profile

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/strict"
	didyoumean "github.com/annexlab/annex/internal/suggest"
)

// Groupings of alert emails (docs/libraries.md, "Email alerts": CaiaSoft's grouping is not
// public, so it is assumed and configurable).
const (
	// GroupEvent sends one message per alert.
	GroupEvent = "event"
	// GroupFile sends one digest per request file: the alerts its
	// processing raised together (its denials), and later the alerts about
	// its requests that are waiting together.
	GroupFile = "file"
	// GroupFloorBatch sends one digest per floor batch: the alerts that
	// follow from one pick list (its fulfilments) that are waiting together.
	GroupFloorBatch = "floor_batch"
)

// Groupings lists the grouping values.
func Groupings() []string { return []string{GroupEvent, GroupFile, GroupFloorBatch} }

// SMTP security modes.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPNone     = "none"
)

// Alerts is a profile's alert settings.
type Alerts struct {
	// Email sends the profile's alerts by email; nil sends none.
	Email *Email `yaml:"email,omitempty" json:"email,omitempty"`
}

// Email says who is mailed which alerts, and how they are grouped.
type Email struct {
	To []string `yaml:"to" json:"to"`
	Cc []string `yaml:"cc,omitempty" json:"cc,omitempty"`
	// From is the sender address.
	From string `yaml:"from" json:"from"`
	// Kinds are the alert kinds mailed (store.AlertKinds); empty means all of them.
	Kinds []string `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	// Grouping is GroupEvent (default, assumed), GroupFile or GroupFloorBatch.
	Grouping string `yaml:"grouping,omitempty" json:"grouping,omitempty"`
	// DigestWait is how long a digest waits for more alerts of its group
	// after the latest one: default 0 for file (a file's denials are
	// raised together), 5s for floor_batch (its fulfilments come one by
	// one, as the library answers each CheckOutItem).
	DigestWait Duration `yaml:"digest_wait,omitempty" json:"digest_wait,omitempty"`
}

// DefaultFloorBatchWait is DigestWait's default for GroupFloorBatch.
const DefaultFloorBatchWait = 5 * time.Second

// Wait is how long an alert of this grouping waits for its digest to fill.
func (e *Email) Wait() time.Duration {
	switch {
	case e.Grouping == GroupEvent || e.Grouping == "":
		return 0
	case e.DigestWait != 0:
		return time.Duration(e.DigestWait)
	case e.Grouping == GroupFloorBatch:
		return DefaultFloorBatchWait
	}
	return 0
}

// Wants reports whether alerts of kind are mailed.
func (e *Email) Wants(kind string) bool {
	return e != nil && (len(e.Kinds) == 0 || slices.Contains(e.Kinds, kind))
}

// SMTP is the facility's outgoing mail server.
type SMTP struct {
	Host string `yaml:"host" json:"host"`
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port int `yaml:"port,omitempty" json:"port,omitempty"`
	// Security is starttls (default), tls (implicit TLS) or none.
	Security string `yaml:"security,omitempty" json:"security,omitempty"`
	// Username and Password, when set, authenticate (AUTH PLAIN or LOGIN).
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	Password string `yaml:"password,omitempty" json:"-"`
	// InsecureSkipVerify accepts any certificate: only for a local mail
	// catcher with a generated one.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// Timeout bounds one delivery attempt (default 30s).
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// RetryInitial is the first wait after a 4xx or a connection error
	// (default 500ms); it doubles up to RetryMax (default 1m).
	RetryInitial Duration `yaml:"retry_initial,omitempty" json:"retry_initial,omitempty"`
	RetryMax     Duration `yaml:"retry_max,omitempty" json:"retry_max,omitempty"`
	// Concurrency is how many connections send at once (default 8).
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
}

// SecurityOrDefault is Security with its default filled in.
func (s *SMTP) SecurityOrDefault() string {
	if s.Security == "" {
		return SMTPStartTLS
	}
	return s.Security
}

// PortOrDefault is Port, or the usual port of the security mode.
func (s *SMTP) PortOrDefault() int {
	if s.Port != 0 {
		return s.Port
	}
	switch s.SecurityOrDefault() {
	case SMTPTLS:
		return 465
	case SMTPNone:
		return 25
	}
	return 587
}

func (c checker) checkAlerts(a *Alerts) {
	e := a.Email
	if e == nil {
		return
	}
	if len(e.To) == 0 {
		c.errorf("alerts.email.to", "is required: at least one recipient address, e.g. annex-staff@library.example.edu")
	}
	for i, v := range e.To {
		c.checkAddress(strict.JoinIndex("alerts.email.to", i), v)
	}
	for i, v := range e.Cc {
		c.checkAddress(strict.JoinIndex("alerts.email.cc", i), v)
	}
	if c.required("alerts.email.from", e.From, "the sender address, e.g. annex@facility.example.edu") {
		c.checkAddress("alerts.email.from", e.From)
	}
	kinds := store.AlertKinds()
	for i, k := range e.Kinds {
		if !slices.Contains(kinds, k) {
			c.errorf(strict.JoinIndex("alerts.email.kinds", i), "unknown alert kind %q%s", k, closest(k, kinds))
		}
	}
	if e.DigestWait < 0 {
		c.errorf("alerts.email.digest_wait", "must not be negative (0 means the grouping's default)")
	}
	switch {
	case e.Grouping == "":
		c.warnf("alerts.email", "grouping is not set: assumed event (one message per alert); how CaiaSoft groups alert emails is not public, so state event, file or floor_batch to silence this")
	case !slices.Contains(Groupings(), e.Grouping):
		c.errorf("alerts.email.grouping", "unknown grouping %q%s", e.Grouping, closest(e.Grouping, Groupings()))
	}
}

// checkAddress checks one bare email address (no display name, so the
// envelope and the header say the same).
func (c checker) checkAddress(field, v string) {
	a, err := mail.ParseAddress(v)
	switch {
	case err != nil:
		c.errorf(field, "%q is not an email address (%v)", v, err)
	case a.Address != v:
		c.errorf(field, "%q: write the bare address %s, without a display name", v, a.Address)
	case !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") && a.Address[strings.LastIndexByte(a.Address, '@')+1:] != "localhost":
		c.warnf(field, "%q has a domain without a dot; most mail servers refuse it", v)
	}
}

func closest(word string, known []string) string {
	if best := didyoumean.Closest(word, known); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return "; known: " + strings.Join(known, ", ")
}

func (c checker) checkSMTP(s *SMTP) {
	if s == nil {
		return
	}
	c.required("smtp.host", s.Host, "the mail server's host name, e.g. smtp.facility.example.edu")
	if s.Port < 0 || s.Port > 65535 {
		c.errorf("smtp.port", "%d is not a port (1 to 65535; 0 means the security mode's usual port)", s.Port)
	}
	modes := []string{SMTPStartTLS, SMTPTLS, SMTPNone}
	if s.Security != "" && !slices.Contains(modes, s.Security) {
		c.errorf("smtp.security", "unknown security %q%s", s.Security, closest(s.Security, modes))
	}
	if (s.Username == "") != (s.Password == "") {
		c.errorf("smtp", "username and password go together: give both for AUTH, or neither")
	}
	if s.SecurityOrDefault() == SMTPNone && s.Username != "" && !loopback(s.Host) {
		c.warnf("smtp.security", "none sends the SMTP password unencrypted over the network; use starttls or tls")
	}
	if s.Concurrency < 0 || s.Concurrency > 64 {
		c.errorf("smtp.concurrency", "must be from 0 (meaning 8) to 64, not %d", s.Concurrency)
	}
	if s.InsecureSkipVerify && !loopback(s.Host) {
		c.warnf("smtp.insecure_skip_verify", "accepts any certificate from %s; meant for a local mail catcher only", s.Host)
	}
	for _, d := range []struct {
		field string
		v     Duration
	}{{"smtp.timeout", s.Timeout}, {"smtp.retry_initial", s.RetryInitial}, {"smtp.retry_max", s.RetryMax}} {
		if d.v < 0 {
			c.errorf(d.field, "must not be negative (0 means the default)")
		}
	}
}
