package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/suggest"
)

// The outbox endpoints (issue 13), facility key only:
//
//	GET  /api/outbox/v1[?limit=N][&after=CURSOR]  one page of messages (see OutboxMessage)
//	POST /api/outbox/v1/{id}/retry   send the message at once: a pending one skips its backoff,
//	                                 a failed or cancelled one is pending again
//	POST /api/outbox/v1/{id}/cancel  never send it again; raises an alert
//
// The body of retry and cancel is optional: {"by":"who","reason":"why"}.
// Both are recorded with the time and the client's address, and listed
// in the message's "actions".

// OutboxBackend is what the outbox endpoints need of the engine.
type OutboxBackend interface {
	// OutboxPage lists up to limit messages whose id is greater than after.
	OutboxPage(ctx context.Context, after int64, limit int) ([]store.Message, error)
	// OutboxActions lists the actions on the messages first..last.
	OutboxActions(ctx context.Context, first, last int64) (map[int64][]store.OutboxAction, error)
	// OutboxInFlight says whether an attempt at a message is under way, and since when.
	OutboxInFlight(id int64) (time.Time, bool)
	// RetryMessage and CancelMessage record a (its MessageID, Action and
	// Time are theirs to fill) with the change and return the message as
	// it is after it; ErrNotFound, or ErrConflict when the message's state
	// does not allow it.
	RetryMessage(ctx context.Context, id int64, a store.OutboxAction) (store.Message, error)
	CancelMessage(ctx context.Context, id int64, a store.OutboxAction) (store.Message, error)
}

// StateInFlight is an OutboxMessage's state while an attempt is under way;
// otherwise the state is the message's status.
const StateInFlight = "in_flight"

// OutboxMessage is a message as the outbox listing shows it.
type OutboxMessage struct {
	ID        int64  `json:"id"`
	Profile   string `json:"profile"`
	Endpoint  string `json:"endpoint"`
	Transport string `json:"transport"`
	Service   string `json:"service"`
	RequestID string `json:"request_id,omitempty"`
	Barcode   string `json:"barcode,omitempty"`
	// Status is pending, delivered, failed or cancelled; State is the
	// same, or in_flight while an attempt is under way (since InFlightSince).
	Status        string     `json:"status"`
	State         string     `json:"state"`
	InFlightSince *time.Time `json:"in_flight_since,omitempty"`
	Attempts      int        `json:"attempts"`
	// NextAttempt is when a pending message is sent next; null when none is
	// scheduled (delivered, failed, cancelled, or an attempt in flight).
	NextAttempt *time.Time `json:"next_attempt"`
	LastError   string     `json:"last_error,omitempty"`
	InDoubt     bool       `json:"in_doubt,omitempty"`
	Reconciled  bool       `json:"reconciled,omitempty"`
	// Payload and Reply are the XML as text; bytes that are not UTF-8
	// (an ISO-8859-1 message) are in PayloadBase64 or ReplyBase64 instead.
	Payload       string    `json:"payload,omitempty"`
	PayloadBase64 string    `json:"payload_base64,omitempty"`
	Reply         string    `json:"reply,omitempty"`
	ReplyBase64   string    `json:"reply_base64,omitempty"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	// Actions are what staff did to the message (retry, cancel), oldest first.
	Actions []store.OutboxAction `json:"actions,omitempty"`
}

// text shows b as text when it is UTF-8, else in base64 (the second result).
func text(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return "", base64.StdEncoding.EncodeToString(b)
}

// outboxView is m as the API shows it.
func outboxView(m store.Message, since time.Time, flying bool, actions []store.OutboxAction) OutboxMessage {
	v := OutboxMessage{ID: m.ID, Profile: m.Profile, Endpoint: m.Endpoint, Transport: m.Transport, Service: m.Service,
		RequestID: m.RequestID, Barcode: m.Barcode, Status: m.Status, State: m.Status, Attempts: m.Attempts,
		LastError: m.LastError, InDoubt: m.InDoubt, Reconciled: m.Reconciled, Created: m.Created, Updated: m.Updated,
		Actions: actions}
	v.Payload, v.PayloadBase64 = text(m.Payload)
	v.Reply, v.ReplyBase64 = text(m.Reply)
	switch {
	case flying:
		v.State, v.InFlightSince = StateInFlight, &since
	case m.Status == store.MsgPending:
		// A message never tried is due from its enqueueing (stored as 0).
		next := m.Created
		if m.NextAttempt.UnixNano() > 0 {
			next = m.NextAttempt
		}
		v.NextAttempt = &next
	}
	return v
}

func (s *server) registerOutbox(mux *routes.Mux) {
	b := s.cfg.Backend
	mux.HandleFunc("GET /api/outbox/v1", s.facility(listing("messages", s.outboxPage,
		func(m OutboxMessage) int64 { return m.ID })))
	mux.HandleFunc("POST /api/outbox/v1/{id}/retry", s.facility(s.outboxAction(b.RetryMessage)))
	mux.HandleFunc("POST /api/outbox/v1/{id}/cancel", s.facility(s.outboxAction(b.CancelMessage)))
}

func (s *server) outboxPage(ctx context.Context, after int64, limit int) ([]OutboxMessage, error) {
	b := s.cfg.Backend
	rows, err := b.OutboxPage(ctx, after, limit)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	actions, err := b.OutboxActions(ctx, rows[0].ID, rows[len(rows)-1].ID)
	if err != nil {
		return nil, err
	}
	out := make([]OutboxMessage, len(rows))
	for i, m := range rows {
		since, flying := b.OutboxInFlight(m.ID)
		out[i] = outboxView(m, since, flying, actions[m.ID])
	}
	return out, nil
}

func (s *server) outboxAction(do func(context.Context, int64, store.OutboxAction) (store.Message, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			fail(w, http.StatusNotFound, fmt.Errorf("no message %q: want a message id", r.PathValue("id")))
			return
		}
		a, err := DecodeOutboxAction(http.MaxBytesReader(w, r.Body, MaxJSON))
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		a.Source, _, _ = net.SplitHostPort(r.RemoteAddr)
		m, err := do(r.Context(), id, a)
		if err != nil {
			fail(w, statusOf(err), err)
			return
		}
		actions, err := s.cfg.Backend.OutboxActions(r.Context(), m.ID, m.ID)
		if err != nil {
			fail(w, statusOf(err), err)
			return
		}
		since, flying := s.cfg.Backend.OutboxInFlight(m.ID)
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "error": "", "message": outboxView(m, since, flying, actions[m.ID])})
	}
}

// actionFields are the keys of a retry or cancel body.
var actionFields = []string{"by", "reason"}

// DefaultActor is who an action is recorded as when its body names nobody.
const DefaultActor = "facility key"

// DecodeOutboxAction reads the optional body of a retry or cancel,
// {"by":"…","reason":"…"}; an empty body is allowed, an unknown key is an
// error with a did-you-mean.
func DecodeOutboxAction(r io.Reader) (store.OutboxAction, error) {
	a := store.OutboxAction{By: DefaultActor}
	data, err := io.ReadAll(r)
	if err != nil {
		return a, fmt.Errorf("read body: %w", err)
	}
	if len(data) == 0 {
		return a, nil
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(data, &body); err != nil {
		return a, fmt.Errorf(`body: want {"by":"…","reason":"…"}: %w`, err)
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(actionFields, k) {
			msg := fmt.Sprintf("body: unknown field %q", k)
			if s := suggest.Closest(k, actionFields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return a, errors.New(msg + `; want "by" and "reason"`)
		}
		var v string
		if err := json.Unmarshal(body[k], &v); err != nil {
			return a, fmt.Errorf("body: %q must be a string", k)
		}
		if k == "by" && v != "" {
			a.By = v
		} else if k == "reason" {
			a.Reason = v
		}
	}
	return a, nil
}
