package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/broadcast"
	"github.com/annexlab/annex/internal/clocktest"
	"github.com/annexlab/annex/ncip"
)

// peer is an NCIP library answering CheckOutItem over HTTP. It records
// every exchange as "barcode/user" in order; fail decides, per exchange
// (numbered from 1), whether to answer HTTP 503 instead.
type peer struct {
	mu   sync.Mutex
	got  []string
	fail func(n int, exchange string) bool
}

func (p *peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	msg, _, err := ncip.Decode(body, ncip.ParseOptions{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	co, ok := msg.Body.(*ncip.CheckOutItem)
	if !ok {
		http.Error(w, "CheckOutItem only", http.StatusBadRequest)
		return
	}
	ex := co.ItemId.ItemIdentifierValue + "/" + co.UserId.UserIdentifierValue
	p.mu.Lock()
	p.got = append(p.got, ex)
	failed := p.fail != nil && p.fail(len(p.got), ex)
	p.mu.Unlock()
	if failed {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	out, err := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.CheckOutItemResponse{ItemId: &co.ItemId, UserId: co.UserId,
		DateDue: "2030-01-01T00:00:00.000Z"}}, ncip.Style{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(out)
}

func (p *peer) exchanges() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// rig is a sender on a real store, with one lane "p" sending to a peer.
type rig struct {
	st    *store.Store
	url   string
	clock *clocktest.Manual
	s     *Sender
}

func newRig(t *testing.T, p *peer, retry profile.Retry, onOutcome func(*store.Tx, store.Message, Outcome) error) *rig {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "annex.db"), store.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := clocktest.New(time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC))
	s := New(Config{Store: st, Lanes: []Lane{{Profile: "p", Retry: retry}}, Clock: clock.Now, OnOutcome: onOutcome})
	return &rig{st: st, url: srv.URL, clock: clock, s: s}
}

// enqueue stores CheckOutItems of (barcode, user) pairs in one transaction, in order.
func (r *rig) enqueue(t *testing.T, pairs ...[2]string) []int64 {
	t.Helper()
	var ids []int64
	err := r.st.Tx(t.Context(), func(tx *store.Tx) error {
		for _, bu := range pairs {
			payload, err := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: &ncip.CheckOutItem{UserId: &ncip.UserId{UserIdentifierValue: bu[1]},
				ItemId: ncip.ItemId{ItemIdentifierValue: bu[0]}}}, ncip.Style{})
			if err != nil {
				return err
			}
			id, err := tx.Enqueue(store.Message{Profile: "p", Endpoint: r.url, Transport: store.TransportHTTP, Service: "CheckOutItem",
				Barcode: bu[0], Payload: payload, Created: r.clock.Now()})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// waitFor waits on the sender's recorded outcomes until cond holds of the outbox.
func (r *rig) waitFor(t *testing.T, what string, cond func(map[int64]store.Message) bool) map[int64]store.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var msgs []store.Message
	byID := map[int64]store.Message{}
	err := broadcast.Until(ctx, r.s.Changed, func() (done bool, err error) {
		if msgs, err = r.st.Messages(ctx); err != nil {
			return false, err
		}
		byID = map[int64]store.Message{}
		for _, m := range msgs {
			byID[m.ID] = m
		}
		return cond(byID), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v; outbox: %+v", what, err, msgs)
	}
	return byID
}

// hour is a backoff no test waits for on the wall clock: a retry comes
// due only because the test moves the sender's clock.
const hour = profile.Duration(time.Hour)

// TestBackoffByInjectedClock: a failed attempt is rescheduled at the
// attempt's time (the injected clock's) plus a backoff within the
// policy's bounds, doubling with each failure; the retry is sent once the
// injected clock passes it — an hour's backoff, with no hour waited.
func TestBackoffByInjectedClock(t *testing.T) {
	p := &peer{fail: func(n int, _ string) bool { return n <= 2 }}
	r := newRig(t, p, profile.Retry{Initial: hour, Max: 8 * hour, Concurrency: 1}, nil)
	id := r.enqueue(t, [2]string{"3901", "u"})[0]
	r.s.Start(t.Context())
	defer r.s.Close()
	for attempt := 1; attempt <= 2; attempt++ {
		m := r.waitFor(t, fmt.Sprintf("failed attempt %d", attempt), func(ms map[int64]store.Message) bool { return ms[id].Attempts == attempt })[id]
		// Backoff after n failures: Initial·2^(n-1), jittered in its upper half.
		d := time.Duration(hour) << (attempt - 1)
		wait := m.NextAttempt.Sub(m.Updated)
		if m.Status != store.MsgPending || !m.Updated.Equal(r.clock.Now()) || wait < d/2 || wait > d {
			t.Fatalf("after attempt %d: %s, updated %v (clock %v), due %v later; want pending, stamped by the clock, due in [%v, %v]",
				attempt, m.Status, m.Updated, r.clock.Now(), wait, d/2, d)
		}
		due, err := r.st.Due(t.Context(), "p", r.clock.Now(), nil, 10)
		if err != nil || len(due) != 0 {
			t.Fatalf("due before the backoff passed: %v, %v", due, err)
		}
		r.clock.Advance(d)
		r.s.Wake("p")
	}
	m := r.waitFor(t, "delivery", func(ms map[int64]store.Message) bool { return ms[id].Status == store.MsgDelivered })[id]
	if m.Attempts != 3 || len(p.exchanges()) != 3 {
		t.Errorf("delivered after %d attempts and %d exchanges, want 3 and 3", m.Attempts, len(p.exchanges()))
	}
}

// TestOrderPerItem: messages about one item go out in the order they were
// enqueued, the next only once the one before is delivered, even when the
// first is backing off; another item's message is not held up by it.
func TestOrderPerItem(t *testing.T) {
	p := &peer{fail: func(_ int, ex string) bool { return ex == "A/1" }}
	r := newRig(t, p, profile.Retry{Initial: hour, Max: hour, Concurrency: 4}, nil)
	ids := r.enqueue(t, [2]string{"A", "1"}, [2]string{"A", "2"}, [2]string{"B", "1"}, [2]string{"A", "3"})
	r.s.Start(t.Context())
	defer r.s.Close()
	r.waitFor(t, "B delivered while A/1 backs off", func(ms map[int64]store.Message) bool {
		return ms[ids[0]].Attempts == 1 && ms[ids[2]].Status == store.MsgDelivered
	})
	// Past A/1's backoff, A/1 alone is due: A/2 and A/3 wait behind it.
	due, err := r.st.Due(t.Context(), "p", r.clock.Now().Add(2*time.Duration(hour)), nil, 10)
	if err != nil || len(due) != 1 || due[0].ID != ids[0] {
		t.Fatalf("due with A/1 pending: %v, %v; want A/1 alone", due, err)
	}
	p.mu.Lock()
	p.fail = nil
	p.mu.Unlock()
	r.clock.Advance(time.Duration(hour))
	r.s.Wake("p")
	r.waitFor(t, "all delivered", func(ms map[int64]store.Message) bool {
		for _, id := range ids {
			if ms[id].Status != store.MsgDelivered {
				return false
			}
		}
		return true
	})
	var a []string
	for _, ex := range p.exchanges() {
		if ex[0] == 'A' {
			a = append(a, ex)
		}
	}
	if want := []string{"A/1", "A/1", "A/2", "A/3"}; !slices.Equal(a, want) {
		t.Errorf("item A's exchanges %v, want %v", a, want)
	}
}

// TestRecordBatch: answers waiting together are recorded in one
// transaction (OnOutcome sees one Tx for all); when that transaction
// fails, each is recorded alone, so the one that cannot be does not hold
// back the others: they are delivered, it stays pending.
func TestRecordBatch(t *testing.T) {
	var mu sync.Mutex
	txs := map[*store.Tx]int{}
	var bad int64
	onOutcome := func(tx *store.Tx, m store.Message, _ Outcome) error {
		mu.Lock()
		defer mu.Unlock()
		txs[tx]++
		if m.ID == bad {
			return errors.New("cannot record this one")
		}
		return nil
	}
	r := newRig(t, &peer{}, profile.Retry{Initial: hour, Max: hour, Concurrency: 1}, onOutcome)
	ids := r.enqueue(t, [2]string{"A", "1"}, [2]string{"B", "1"}, [2]string{"C", "1"}, [2]string{"D", "1"})
	msgs, err := r.st.Messages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l := r.s.lanes["p"]
	batch := func() []finished {
		var b []finished
		for _, m := range msgs {
			b = append(b, finished{lane: l, msg: m, out: Outcome{Kind: store.MsgDelivered, Attempts: 1}, at: r.clock.Now(),
				recorded: make(chan struct{})})
		}
		return b
	}

	r.s.recordBatch(batch()[:2])
	if n := slices.Collect(maps.Values(txs)); len(n) != 1 || n[0] != 2 {
		t.Fatalf("two outcomes recorded in %d transactions (%v), want one", len(txs), txs)
	}

	clear(txs)
	bad = ids[3]
	b := batch()[2:]
	r.s.recordBatch(b)
	for _, f := range b {
		select {
		case <-f.recorded:
		default:
			t.Errorf("message %d: its attempt is not released", f.msg.ID)
		}
	}
	after, err := r.st.Messages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{ids[0]: store.MsgDelivered, ids[1]: store.MsgDelivered, ids[2]: store.MsgDelivered, ids[3]: store.MsgPending}
	for _, m := range after {
		if m.Status != want[m.ID] {
			t.Errorf("message %d: %s, want %s", m.ID, m.Status, want[m.ID])
		}
	}
	if len(txs) != 3 {
		t.Errorf("a failed batch of two, then each alone: %d transactions, want 3", len(txs))
	}
}

// TestScheduleCappedAtStart: a retry scheduled further off than the
// longest backoff (by a clock that has since started anew, as a restarted
// engine's does, or a wall clock set back) waits no longer than Max from
// the sender's start.
func TestScheduleCappedAtStart(t *testing.T) {
	p := &peer{}
	r := newRig(t, p, profile.Retry{Initial: hour, Max: hour, Concurrency: 1}, nil)
	id := r.enqueue(t, [2]string{"A", "1"})[0]
	err := r.st.Tx(t.Context(), func(tx *store.Tx) error {
		return tx.MarkRetry(id, 1, r.clock.Now().Add(10*time.Duration(hour)), "HTTP 503", nil, false, r.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	r.s.Start(t.Context())
	defer r.s.Close()
	r.clock.Advance(time.Duration(hour))
	r.s.Wake("p")
	m := r.waitFor(t, "delivery within Max", func(ms map[int64]store.Message) bool { return ms[id].Status == store.MsgDelivered })[id]
	if m.Attempts != 2 || len(p.exchanges()) != 1 {
		t.Errorf("attempts %d, exchanges %v; want the second attempt, one exchange", m.Attempts, p.exchanges())
	}
}
