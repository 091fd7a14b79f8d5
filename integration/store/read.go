package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Items lists the inventory by barcode.
func (s *Store) Items(ctx context.Context) ([]Item, error) {
	return list(ctx, s.db, `SELECT `+itemCols+` FROM items ORDER BY barcode`, nil, scanItem)
}

// ItemByBarcode returns one item; ErrNotFound when there is none.
func (s *Store) ItemByBarcode(ctx context.Context, barcode string) (Item, error) {
	var it Item
	err := s.Tx(ctx, func(tx *Tx) (err error) { it, err = tx.Item(barcode); return err })
	return it, err
}

// Requests lists every request, oldest first.
func (s *Store) Requests(ctx context.Context) ([]Request, error) {
	return list(ctx, s.db, `SELECT `+requestCols+` FROM requests ORDER BY created, rowid`, nil, scanRequest)
}

// Messages lists the outbox, oldest first.
func (s *Store) Messages(ctx context.Context) ([]Message, error) {
	return list(ctx, s.db, `SELECT `+msgCols+` FROM outbox ORDER BY id`, nil, scanMessage)
}

// Alerts lists alerts, oldest first.
func (s *Store) Alerts(ctx context.Context) ([]Alert, error) {
	return list(ctx, s.db, `SELECT `+alertCols+` FROM alerts ORDER BY id`, nil, scanAlert)
}

const alertCols = `id, time, kind, profile, request_id, barcode, message`

func scanAlert(r scanner) (Alert, error) {
	var a Alert
	var t string
	err := r.Scan(&a.ID, &t, &a.Kind, &a.Profile, &a.RequestID, &a.Barcode, &a.Message)
	a.Time = parseStamp(t)
	return a, err
}

// The pages below serve the engine's list endpoints: each reads at most
// limit rows after a cursor through the table's key, so a listing costs
// its page whatever the history's length.

// AlertsAfter lists up to limit alerts with an id greater than after, oldest first.
func (s *Store) AlertsAfter(ctx context.Context, after int64, limit int) ([]Alert, error) {
	return list(ctx, s.db, `SELECT `+alertCols+` FROM alerts WHERE id > ? ORDER BY id LIMIT ?`, []any{after, limit}, scanAlert)
}

// MessagesAfter lists up to limit outbox messages with an id greater than after, oldest first.
func (s *Store) MessagesAfter(ctx context.Context, after int64, limit int) ([]Message, error) {
	return list(ctx, s.db, `SELECT `+msgCols+` FROM outbox WHERE id > ? ORDER BY id LIMIT ?`, []any{after, limit}, scanMessage)
}

// SeqRequest is a request with its place in arrival order, the cursor of
// a page of requests (a request's own key is two strings).
type SeqRequest struct {
	Seq int64 `json:"seq"`
	Request
}

// RequestsAfter lists up to limit requests that arrived after the one
// numbered after, in arrival order.
func (s *Store) RequestsAfter(ctx context.Context, after int64, limit int) ([]SeqRequest, error) {
	// Requests are never deleted nor replaced, so rowid is their arrival order.
	return list(ctx, s.db, `SELECT rowid, `+requestCols+` FROM requests WHERE rowid > ? ORDER BY rowid LIMIT ?`, []any{after, limit},
		func(r scanner) (SeqRequest, error) {
			var q SeqRequest
			var err error
			q.Request, err = scanRequest(seqScanner{r, &q.Seq})
			return q, err
		})
}

// seqScanner reads a leading rowid before the columns its caller scans.
type seqScanner struct {
	scanner
	seq *int64
}

func (s seqScanner) Scan(dest ...any) error { return s.scanner.Scan(append([]any{s.seq}, dest...)...) }

// Files lists claimed files, oldest first.
func (s *Store) Files(ctx context.Context) ([]File, error) {
	return list(ctx, s.db, `SELECT `+fileCols+` FROM files ORDER BY received, name`, nil, scanFile)
}

// Due returns up to limit pending messages of a profile that may be sent
// now: due, not in exclude (in flight), and with no earlier pending message
// for the same item, so a CheckInItem never overtakes the CheckOutItem
// before it.
func (s *Store) Due(ctx context.Context, profile string, now time.Time, exclude map[int64]bool, limit int) ([]Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.query(ctx, `SELECT `+msgCols+` FROM outbox o INDEXED BY outbox_pending_id WHERE profile = ? AND status = 'pending' AND next_attempt <= ?
		AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.profile = o.profile AND e.barcode = o.barcode AND e.status = 'pending' AND e.id < o.id)
		ORDER BY id LIMIT ?`, profile, now.UnixNano(), limit+len(exclude))
	if err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() && len(out) < limit {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("due messages: %w", err)
		}
		if !exclude[m.ID] {
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest next attempt of a profile's pending
// messages that are not yet due; ok is false when there is none.
func (s *Store) NextDue(ctx context.Context, profile string, now time.Time) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.queryRow(ctx, `SELECT min(next_attempt) FROM outbox WHERE profile = ? AND status = 'pending' AND next_attempt > ?`,
		profile, now.UnixNano()).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, next.Int64), true, nil
}

// AnyPending reports whether any message is pending. It stops at the
// first one: WaitIdle asks after every outcome, so a count would cost
// O(backlog) each time.
func (s *Store) AnyPending(ctx context.Context) (bool, error) {
	var pending bool
	if err := s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending')`).Scan(&pending); err != nil {
		return false, fmt.Errorf("any pending: %w", err)
	}
	return pending, nil
}

func list[T any](ctx context.Context, db *sql.DB, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return out, nil
}

// StatusRow is an item's owner and status, what itemstatus answers from.
type StatusRow struct {
	Profile, Status string
}

// ItemStatuses reads the owner and status of each barcode found, in one
// query (itemstatuslist asks for up to 500 at a time).
func (s *Store) ItemStatuses(ctx context.Context, barcodes []string) (map[string]StatusRow, error) {
	out := make(map[string]StatusRow, len(barcodes))
	if len(barcodes) == 0 {
		return out, nil
	}
	args := make([]any, len(barcodes))
	for i, b := range barcodes {
		args[i] = b
	}
	rows, err := s.query(ctx, `SELECT barcode, profile, status FROM items WHERE barcode IN (`+placeholders(len(barcodes))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("item statuses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		var r StatusRow
		if err := rows.Scan(&b, &r.Profile, &r.Status); err != nil {
			return nil, fmt.Errorf("item statuses: %w", err)
		}
		out[b] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("item statuses: %w", err)
	}
	return out, nil
}

// EventsOf lists an item's events (item_events), oldest first.
func (s *Store) EventsOf(ctx context.Context, barcode string) ([]Event, error) {
	return list(ctx, s.db, `SELECT id, barcode, profile, collection, kind, status, job, request_id, stop, day, time
		FROM item_events WHERE barcode = ? ORDER BY id`, []any{barcode}, func(r scanner) (Event, error) {
		var ev Event
		var t string
		err := r.Scan(&ev.ID, &ev.Barcode, &ev.Profile, &ev.Collection, &ev.Kind, &ev.Status, &ev.Job, &ev.RequestID, &ev.Stop, &ev.Day, &t)
		ev.Time = parseStamp(t)
		return ev, err
	})
}
