package mailer_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/mailer"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/broadcast"
	"github.com/annexlab/annex/simulators/smtp"
)

var email = &profile.Email{To: []string{"annex-staff@library.example.edu"}, From: "annex@facility.example.edu", Grouping: profile.GroupEvent}

// rig is a durable store whose alerts owe email, a mail catcher and a
// mailer pointed at it.
type rig struct {
	st      *store.Store
	m       *mailer.Mailer
	catcher *smtp.Server
}

func newRig(tb testing.TB, ccfg smtp.Config) *rig {
	tb.Helper()
	catcher, err := smtp.Start(ccfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { catcher.Close() })
	r := &rig{catcher: catcher}
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "annex.db"), store.Options{
		OnAlert: func(tx *store.Tx, a store.Alert) error {
			if err := tx.QueueMail(store.Mail{AlertID: a.ID, Profile: a.Profile, Summary: "Invalid Stop Code", Updated: a.Time}); err != nil {
				return err
			}
			tx.AfterCommit(r.wake)
			return nil
		}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	host, port, _ := net.SplitHostPort(catcher.Addr())
	n, _ := strconv.Atoi(port)
	r.st = st
	r.m = mailer.New(mailer.Config{Store: st, SMTP: profile.SMTP{Host: host, Port: n, Security: profile.SMTPNone},
		Emails: map[string]*profile.Email{"alma-main": email}, Initial: 5 * time.Millisecond, Max: 40 * time.Millisecond})
	r.m.Start(context.Background())
	tb.Cleanup(r.m.Close)
	return r
}

func (r *rig) wake() {
	if r.m != nil {
		r.m.Wake()
	}
}

// alerts records n denial alerts, batch per transaction.
func (r *rig) alerts(tb testing.TB, n, batch int) {
	tb.Helper()
	now := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	for i := 0; i < n; i += batch {
		err := r.st.Tx(context.Background(), func(tx *store.Tx) error {
			for j := i; j < min(n, i+batch); j++ {
				_, err := tx.AddAlert(store.Alert{Time: now, Kind: store.AlertDenial, Profile: "alma-main", RequestID: fmt.Sprintf("REQ-%d", j),
					Barcode: "39015000000001", Message: fmt.Sprintf("request REQ-%d denied: Invalid Stop Code: no circulation stop", j)})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// idle waits until no email is owed.
func (r *rig) idle(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := broadcast.Until(ctx, r.m.Changed, func() (bool, error) {
		pending, err := r.st.MailPending(ctx)
		return !pending, err
	})
	if err != nil {
		tb.Fatalf("alert emails still owed: %v", err)
	}
}

// TestDropThenDelivered: connections the server drops are retried on a
// new connection until the message is taken, once.
func TestDropThenDelivered(t *testing.T) {
	r := newRig(t, smtp.Config{Faults: []smtp.Fault{{Kind: smtp.Drop, Stage: smtp.StageData, Count: 2}}})
	r.alerts(t, 1, 1)
	r.idle(t)
	got := r.catcher.Messages(0, 10, smtp.Filter{})
	if len(got) != 1 || got[0].MessageID != "<"+mailer.MessageID(1, "alma-main", email.From)+">" {
		t.Fatalf("caught %d messages; want the one, with its alert's Message-ID", len(got))
	}
	rows, _ := r.st.Mails(context.Background())
	if rows[0].Status != store.MsgDelivered || rows[0].Attempts != 3 {
		t.Errorf("mail row %+v; want delivered at the third attempt", rows[0])
	}
}

// BenchmarkAlertEmails10k: 10,000 denial alerts, recorded 100 to a
// transaction, leave through the mailer (go-mail over one SMTP connection,
// each outcome committed durably) and are all caught. Target: ≤ 10 s;
// the catcher's heap stays within its 16 MiB journal.
func BenchmarkAlertEmails10k(b *testing.B) {
	const n = 10_000
	for b.Loop() {
		b.StopTimer()
		r := newRig(b, smtp.Config{JournalMaxBytes: 16 << 20})
		b.StartTimer()
		r.alerts(b, n, 100)
		r.idle(b)
		b.StopTimer()
		if st := r.catcher.JournalStats(); int64(st.Messages)+st.Evicted != n {
			b.Fatalf("caught %d (+%d evicted), want %d", st.Messages, st.Evicted, n)
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		st := r.catcher.JournalStats()
		b.ReportMetric(float64(st.Bytes)/(1<<20), "journal-MiB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.StartTimer()
	}
}
