package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/broadcast"
)

// Staff's view of and hold on the outbox (the REST API's OutboxBackend, issue 13).

// OutboxPage lists up to limit outbox messages with an id greater than after, oldest first.
func (e *Engine) OutboxPage(ctx context.Context, after int64, limit int) ([]OutboxRow, error) {
	return e.store.MessagesAfter(ctx, after, limit)
}

// OutboxActions lists what staff did to messages first..last.
func (e *Engine) OutboxActions(ctx context.Context, first, last int64) (map[int64][]store.OutboxAction, error) {
	return e.store.OutboxActions(ctx, first, last)
}

// OutboxInFlight says whether an attempt at message id is under way, and since when.
func (e *Engine) OutboxInFlight(id int64) (time.Time, bool) { return e.sender.InFlight(id) }

// RetryMessage sends a message at once: a pending one skips the rest of its
// backoff, a failed or cancelled one is pending again. A delivered message,
// or one with an attempt under way, is a conflict.
func (e *Engine) RetryMessage(ctx context.Context, id int64, a store.OutboxAction) (OutboxRow, error) {
	if since, ok := e.sender.InFlight(id); ok {
		return OutboxRow{}, fmt.Errorf("retry message %d: an attempt is in flight since %s (%w)", id, since.Format(time.RFC3339), ErrConflict)
	}
	m, err := e.act(ctx, id, store.ActionRetry, a, func(tx *store.Tx, now time.Time) (store.Message, error) {
		return tx.RetryNow(id, now)
	})
	if err == nil {
		e.sender.Wake(m.Profile)
	}
	return m, err
}

// CancelMessage stops a pending or failed message from being sent again
// and raises an alert (a delivery_failure, saying who cancelled it): the
// library never learns what the message said. An attempt already under
// way still has its answer recorded.
func (e *Engine) CancelMessage(ctx context.Context, id int64, a store.OutboxAction) (OutboxRow, error) {
	return e.act(ctx, id, store.ActionCancel, a, func(tx *store.Tx, now time.Time) (store.Message, error) {
		m, err := tx.Cancel(id, now)
		if err != nil || m.Status == store.MsgDelivered || m.Status == store.MsgCancelled {
			return m, err
		}
		msg := fmt.Sprintf("NCIP %s (outbox message %d) cancelled by %s after %d attempts; the library will not receive it", m.Service, m.ID, a.By, m.Attempts)
		if a.Reason != "" {
			msg += ": " + a.Reason
		}
		_, err = tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDeliveryFailure, Profile: m.Profile, RequestID: m.RequestID,
			Barcode: m.Barcode, Message: msg})
		return m, err
	})
}

// act runs change on message id and records the action with it, in one
// transaction; a message already delivered (or, for cancel, cancelled) is a
// conflict and nothing is recorded.
func (e *Engine) act(ctx context.Context, id int64, action string, a store.OutboxAction,
	change func(*store.Tx, time.Time) (store.Message, error)) (OutboxRow, error) {
	var m OutboxRow
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		now := e.clock()
		before, err := change(tx, now)
		if err != nil {
			return err
		}
		if before.Status == store.MsgDelivered || (action == store.ActionCancel && before.Status == store.MsgCancelled) {
			return fmt.Errorf("message %d is %s (%w)", id, before.Status, ErrConflict)
		}
		a.MessageID, a.Action, a.Time = id, action, now
		if err := tx.AddOutboxAction(a); err != nil {
			return err
		}
		m, err = tx.Message(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return m, fmt.Errorf("%s message %d: no such message (%w)", action, id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("%s message %d: %w", action, id, err)
	}
	return m, nil
}

// WaitOutbox blocks until cond holds for the outbox or ctx ends, checking
// after every recorded outcome; it returns the outbox it held for.
func (e *Engine) WaitOutbox(ctx context.Context, cond func([]OutboxRow) bool) ([]OutboxRow, error) {
	var rows []OutboxRow
	err := broadcast.Until(ctx, e.sender.Changed, func() (done bool, err error) {
		rows, err = e.store.Messages(ctx)
		return err == nil && cond(rows), err
	})
	if err != nil {
		return rows, fmt.Errorf("wait outbox: %w", err)
	}
	return rows, nil
}
