package store

import (
	"context"
	"fmt"
	"time"
)

// OutboxAction is something staff did to an outbox message (issue 13):
// who, from where, when and why.
type OutboxAction struct {
	MessageID int64     `json:"-"`
	Time      time.Time `json:"time"`
	// Action is ActionRetry or ActionCancel.
	Action string `json:"action"`
	By     string `json:"by"`
	// Source is where the request came from (the client's address).
	Source string `json:"source,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// RetryNow makes a message due at once: a pending one keeps its attempts,
// a failed or cancelled one becomes pending again. It returns the message
// as it was; ErrNotFound when there is none.
func (t *Tx) RetryNow(id int64, now time.Time) (Message, error) {
	m, err := t.Message(id)
	if err != nil {
		return m, err
	}
	if m.Status == MsgDelivered {
		return m, nil
	}
	if _, err := t.exec(`UPDATE outbox SET status = ?, next_attempt = ?, updated = ? WHERE id = ?`,
		MsgPending, now.UnixNano(), Stamp(now), id); err != nil {
		return m, fmt.Errorf("retry %d: %w", id, err)
	}
	return m, nil
}

// Cancel marks a pending or failed message cancelled, so it is not sent
// again. It returns the message as it was.
func (t *Tx) Cancel(id int64, now time.Time) (Message, error) {
	m, err := t.Message(id)
	if err != nil {
		return m, err
	}
	if m.Status == MsgDelivered || m.Status == MsgCancelled {
		return m, nil
	}
	if _, err := t.exec(`UPDATE outbox SET status = ?, updated = ? WHERE id = ?`, MsgCancelled, Stamp(now), id); err != nil {
		return m, fmt.Errorf("cancel %d: %w", id, err)
	}
	return m, nil
}

// AddOutboxAction records what staff did to a message.
func (t *Tx) AddOutboxAction(a OutboxAction) error {
	if _, err := t.exec(`INSERT INTO outbox_actions (message_id, time, action, by, source, reason) VALUES (?,?,?,?,?,?)`,
		a.MessageID, Stamp(a.Time), a.Action, a.By, a.Source, a.Reason); err != nil {
		return fmt.Errorf("record %s of message %d: %w", a.Action, a.MessageID, err)
	}
	return nil
}

// OutboxActions lists the actions on messages first..last (ids), oldest
// first, by message: what a page of the outbox listing shows beside its rows.
func (s *Store) OutboxActions(ctx context.Context, first, last int64) (map[int64][]OutboxAction, error) {
	rows, err := list(ctx, s.db, `SELECT message_id, time, action, by, source, reason FROM outbox_actions
		WHERE message_id BETWEEN ? AND ? ORDER BY message_id, id`, []any{first, last}, func(r scanner) (OutboxAction, error) {
		var a OutboxAction
		var t string
		err := r.Scan(&a.MessageID, &t, &a.Action, &a.By, &a.Source, &a.Reason)
		a.Time = parseStamp(t)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox actions: %w", err)
	}
	out := map[int64][]OutboxAction{}
	for _, a := range rows {
		out[a.MessageID] = append(out[a.MessageID], a)
	}
	return out, nil
}
