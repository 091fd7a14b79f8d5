package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mail is an alert that owes an email (issue 15).
type Mail struct {
	AlertID int64  `json:"alert_id"`
	Profile string `json:"profile"`
	// Group is the digest the alert joins ("" for a message of its own).
	Group string `json:"group,omitempty"`
	// Summary is the short reason the subject line ends with.
	Summary string `json:"summary,omitempty"`
	// Batch is the message the alert was sealed into: the id of its first
	// alert; 0 until sealed.
	Batch       int64     `json:"batch"`
	Status      string    `json:"status"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	Updated     time.Time `json:"updated"`
}

// QueueMail records that an alert owes an email, pending. m.NextAttempt
// (wall clock) is, for an alert of a group, when the group may be sealed
// if nothing else joins it by then (see SealMail).
func (t *Tx) QueueMail(m Mail) error {
	_, err := t.exec(`INSERT INTO mail (alert_id, profile, grp, summary, status, next_attempt, updated) VALUES (?,?,?,?,?,?,?)`,
		m.AlertID, m.Profile, m.Group, m.Summary, MsgPending, m.NextAttempt.UnixNano(), Stamp(m.Updated))
	if err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	return nil
}

// SetFloorBatch records the pick list an item is retrieved in, for alert
// digests per floor batch.
func (t *Tx) SetFloorBatch(barcode, batch string) error {
	_, err := t.exec(`INSERT INTO floor_batches (barcode, batch) VALUES (?,?) ON CONFLICT (barcode) DO UPDATE SET batch = excluded.batch`, barcode, batch)
	if err != nil {
		return fmt.Errorf("set floor batch: %w", err)
	}
	return nil
}

// FloorBatch returns the pick list an item was last retrieved in ("" for none).
func (t *Tx) FloorBatch(barcode string) (string, error) {
	var b string
	err := t.queryRow(`SELECT batch FROM floor_batches WHERE barcode = ?`, barcode).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("floor batch %s: %w", barcode, err)
	}
	return b, nil
}

// SealMail puts every pending, unsealed alert into its message: an alert
// without a group alone, the alerts of one group into one digest once the
// group has been quiet, its latest NextAttempt passed at now (wall
// clock). A sealed message never changes, so every attempt sends the same
// alerts under the same Message-ID.
func (s *Store) SealMail(ctx context.Context, now time.Time) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE mail SET batch = alert_id WHERE batch = 0 AND grp = '' AND status = 'pending'`); err != nil {
			return fmt.Errorf("seal mail: %w", err)
		}
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT profile, grp, MIN(alert_id) FROM mail WHERE batch = 0 AND status = 'pending'
			GROUP BY profile, grp HAVING MAX(next_attempt) <= ?`, now.UnixNano())
		if err != nil {
			return fmt.Errorf("seal mail: %w", err)
		}
		type group struct {
			profile, grp string
			first        int64
		}
		var groups []group
		for rows.Next() {
			var g group
			if err := rows.Scan(&g.profile, &g.grp, &g.first); err != nil {
				rows.Close()
				return fmt.Errorf("seal mail: %w", err)
			}
			groups = append(groups, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("seal mail: %w", err)
		}
		for _, g := range groups {
			if _, err := tx.exec(`UPDATE mail SET batch = ? WHERE batch = 0 AND status = 'pending' AND profile = ? AND grp = ?`, g.first, g.profile, g.grp); err != nil {
				return fmt.Errorf("seal mail: %w", err)
			}
		}
		return nil
	})
}

// MailDue reads up to limit sealed messages whose next attempt is due at
// now (wall clock), oldest first, each with its mail rows and alerts, in
// one query.
func (s *Store) MailDue(ctx context.Context, now time.Time, limit int) ([]MailMessage, error) {
	var cols []string
	for _, c := range strings.Split(mailCols, ", ") {
		cols = append(cols, "mail."+c)
	}
	for _, c := range strings.Split(alertCols, ", ") {
		cols = append(cols, "alerts."+c)
	}
	rows, err := s.query(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM mail JOIN alerts ON alerts.id = mail.alert_id
		WHERE mail.status = 'pending' AND mail.batch IN (SELECT DISTINCT batch FROM mail
			WHERE status = 'pending' AND batch > 0 AND next_attempt <= ? ORDER BY batch LIMIT ?)
		ORDER BY mail.batch, mail.alert_id`, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("mail due: %w", err)
	}
	defer rows.Close()
	var out []MailMessage
	for rows.Next() {
		var m Mail
		var a Alert
		var next int64
		var upd, at string
		if err := rows.Scan(&m.AlertID, &m.Profile, &m.Group, &m.Summary, &m.Batch, &m.Status, &m.Attempts, &next, &m.LastError, &upd,
			&a.ID, &at, &a.Kind, &a.Profile, &a.RequestID, &a.Barcode, &a.Message); err != nil {
			return nil, fmt.Errorf("mail due: %w", err)
		}
		m.NextAttempt, m.Updated, a.Time = time.Unix(0, next), parseStamp(upd), parseStamp(at)
		if len(out) == 0 || out[len(out)-1].Batch != m.Batch {
			out = append(out, MailMessage{Batch: m.Batch})
		}
		last := &out[len(out)-1]
		last.Mail, last.Alerts = append(last.Mail, m), append(last.Alerts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mail due: %w", err)
	}
	return out, nil
}

// NextMailAttempt is when the mailer has something to do next: the
// earliest next attempt of a sealed message, or the time an unsealed
// group may be sealed (its latest alert's wait); ok is false when no
// email is owed.
func (s *Store) NextMailAttempt(ctx context.Context) (next time.Time, ok bool, err error) {
	var n sql.NullInt64
	if err := s.queryRow(ctx, `SELECT MIN(t) FROM (
		SELECT next_attempt AS t FROM mail WHERE status = 'pending' AND batch > 0
		UNION ALL
		SELECT MAX(next_attempt) FROM mail WHERE status = 'pending' AND batch = 0 GROUP BY profile, grp)`).Scan(&n); err != nil {
		return time.Time{}, false, fmt.Errorf("next mail attempt: %w", err)
	}
	return time.Unix(0, n.Int64), n.Valid, nil
}

// MailPending reports whether any alert email is still owed.
func (s *Store) MailPending(ctx context.Context) (bool, error) {
	_, ok, err := s.NextMailAttempt(ctx)
	return ok, err
}

const mailCols = `alert_id, profile, grp, summary, batch, status, attempts, next_attempt, last_error, updated`

func scanMail(r scanner) (Mail, error) {
	var m Mail
	var next int64
	var upd string
	err := r.Scan(&m.AlertID, &m.Profile, &m.Group, &m.Summary, &m.Batch, &m.Status, &m.Attempts, &next, &m.LastError, &upd)
	m.NextAttempt, m.Updated = time.Unix(0, next), parseStamp(upd)
	return m, err
}

// MailMessage is one sealed message: its mail rows and their alerts, in alert order.
type MailMessage struct {
	Batch  int64
	Mail   []Mail
	Alerts []Alert
}

// SetMailOutcome records an attempt at a sealed message: status
// MsgDelivered, MsgFailed, or MsgPending with the next attempt (wall clock).
func (t *Tx) SetMailOutcome(batch int64, status string, attempts int, next time.Time, lastErr string, now time.Time) error {
	// A delivered message keeps the error of the attempt before, if any: it tells why it took more than one.
	_, err := t.exec(`UPDATE mail SET status = ?, attempts = ?, next_attempt = ?, last_error = CASE WHEN ? = '' THEN last_error ELSE ? END, updated = ?
		WHERE batch = ? AND status = 'pending'`,
		status, attempts, next.UnixNano(), lastErr, lastErr, Stamp(now), batch)
	if err != nil {
		return fmt.Errorf("set mail outcome %d: %w", batch, err)
	}
	return nil
}

// Mails lists every alert email row, by alert.
func (s *Store) Mails(ctx context.Context) ([]Mail, error) {
	return list(ctx, s.db, `SELECT `+mailCols+` FROM mail ORDER BY alert_id`, nil, scanMail)
}
