// Package outbox delivers the NCIP messages the facility's workflow owes
// (docs/design.md, "Nothing lost"). Messages are rendered and stored by the
// workflow in the same transaction as the state change that owes them; the
// outbox only sends the stored bytes, so every retry is byte-identical.
//
// Each profile has a lane: up to Retry.Concurrency messages in flight to its
// endpoint, over HTTP (POST, keep-alive) or a raw TCP NCIP port (ALEPH:
// HTTP/1.0 framing, read until the server closes). Transport errors,
// timeouts, 5xx and replies that are not NCIP are retried with exponential
// backoff and jitter; an NCIP Problem is final. Lanes sleep on a channel
// (woken by Wake after an enqueue commits, and by finished attempts) and on
// a timer set for the earliest next attempt: there is no polling.
//
// Answers are recorded in batches by one recorder (one transaction for all
// the answers waiting), and an attempt keeps its slot until its outcome is
// committed. Messages about one item leave in the order they were enqueued.
//
// No business effect twice (docs/design.md): an attempt whose request went out
// but whose answer did not come back (a timeout, a reset or EOF after the
// request was written, a 5xx or unreadable reply, or a crash mid-attempt)
// leaves its message in doubt: the library may have acted on it. A lane
// with a Reconciler then asks the library (NCIP LookupItem) before sending
// again, and records the message delivered, reconciled, when the effect is
// already there. So that a kill -9 cannot hide an attempt, such a lane
// marks messages in doubt durably, a few at a time, before their first
// send. A lane without a Reconciler delivers at least once: a message in
// doubt is simply sent again, and at most Concurrency messages per lane are
// in doubt when the process dies.
package outbox

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/backoff"
	"github.com/annexlab/annex/internal/broadcast"
	"github.com/annexlab/annex/internal/chanbatch"
	"github.com/annexlab/annex/ncip"
)

// MaxReply caps a peer's reply.
const MaxReply = 4 << 20

// Retry defaults, applied to zero fields of a lane's policy.
const (
	DefaultInitial     = 500 * time.Millisecond
	DefaultMax         = time.Minute
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 4
	// AlertAfter is the attempt after which a delivery_failure alert is raised (once).
	AlertAfter = 5
)

// Lane is one profile's delivery policy.
type Lane struct {
	Profile string
	Retry   profile.Retry
	// Reconcile, when set, is asked about a message in doubt before it is
	// sent again; nil means the library cannot be asked (at-least-once).
	Reconcile Reconciler
}

// Reconciler asks a library whether a message took effect: it is how the
// outbox learns the fate of an attempt whose answer was lost.
type Reconciler interface {
	// Query renders the question about m (an NCIP LookupItem), sent to
	// m's endpoint over m's transport.
	Query(m store.Message) ([]byte, error)
	// Applied reads the library's answer to Query: whether m's effect is
	// in place. The answer has no Problems (those are handled by the outbox).
	Applied(m store.Message, answer *ncip.Message) (bool, error)
}

// Outcome is what became of one attempt.
type Outcome struct {
	// Kind is store.MsgDelivered, store.MsgFailed (an NCIP Problem) or
	// store.MsgPending (to be retried).
	Kind string
	// Attempts is the number of attempts so far, this one included.
	Attempts int
	// Problem describes the Problem of a failed message.
	Problem string
	// Err is the error of an attempt to be retried.
	Err   error
	Reply []byte
	// InDoubt (pending only): the library may have acted on the message.
	InDoubt bool
	// Reconciled (delivered only): no resend; the library's answer to a
	// lookup, in Reply, showed an earlier attempt had taken effect.
	Reconciled bool
}

// Config configures a Sender.
type Config struct {
	Store  *store.Store
	Lanes  []Lane
	Client *http.Client
	// Clock stamps what the sender records and keeps its schedule: a
	// failed attempt's retry is due at Clock()+Backoff, and a lane sends a
	// message once Clock() has reached its due time. It must advance (the
	// lane waits for the next due time on a real timer); nil means time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
	// OnOutcome runs in the transaction that records the outcome, so the
	// workflow's reaction (a request's reason, an alert) commits with it.
	OnOutcome func(tx *store.Tx, m store.Message, o Outcome) error
}

// Sender runs the lanes.
type Sender struct {
	cfg   Config
	log   *slog.Logger
	clock func() time.Time
	lanes map[string]*lane

	cancel   context.CancelFunc
	wg       sync.WaitGroup // the lanes
	recorder sync.WaitGroup
	// finished carries answered attempts to the recorder, which records
	// them in batches.
	finished chan finished

	changed broadcast.Signal // after every recorded batch

	flyMu  sync.Mutex
	flying map[int64]time.Time // message id → when its attempt started, until its outcome is recorded
}

type lane struct {
	Lane
	wake chan struct{}
}

// finished is one answered attempt waiting to be recorded.
type finished struct {
	lane     *lane
	msg      store.Message
	out      Outcome
	at       time.Time
	recorded chan struct{} // closed once the outcome is committed (or failed to be)
}

// New returns a Sender; Start runs it.
func New(cfg Config) *Sender {
	s := &Sender{cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)), clock: cfg.Clock,
		lanes: map[string]*lane{}, finished: make(chan finished, maxRecord),
		flying: map[int64]time.Time{}}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.cfg.Client == nil {
		s.cfg.Client = &http.Client{}
	}
	for _, l := range cfg.Lanes {
		l.Retry = Defaults(l.Retry)
		s.lanes[l.Profile] = &lane{Lane: l, wake: make(chan struct{}, 1)}
	}
	return s
}

// Defaults fills the zero fields of a retry policy.
func Defaults(r profile.Retry) profile.Retry {
	r.Initial = cmp.Or(r.Initial, profile.Duration(DefaultInitial))
	r.Max = cmp.Or(r.Max, profile.Duration(DefaultMax))
	r.Timeout = cmp.Or(r.Timeout, profile.Duration(DefaultTimeout))
	r.Concurrency = cmp.Or(r.Concurrency, DefaultConcurrency)
	return r
}

// Start starts one goroutine per lane and the recorder; they stop when
// ctx ends or on Close.
func (s *Sender) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.capSchedules(ctx)
	for _, l := range s.lanes {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(ctx, l)
		}()
	}
	s.recorder.Add(1)
	go func() {
		defer s.recorder.Done()
		s.record()
	}()
	// The recorder outlives the lanes: every answer they hand over is
	// recorded before Close returns.
	go func() {
		s.wg.Wait()
		close(s.finished)
	}()
}

// capSchedules brings forward what is due later than a lane's longest
// backoff from now. Such a schedule was kept by another clock: a restarted
// engine's, which starts anew from a fixed test or scenario time, or a
// wall clock since set back. Without this, a message would wait out the
// difference.
func (s *Sender) capSchedules(ctx context.Context) {
	now := s.clock()
	for _, l := range s.lanes {
		var n int64
		err := s.cfg.Store.Tx(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.CapSchedule(l.Profile, now.Add(time.Duration(l.Retry.Max)))
			return err
		})
		switch {
		case err != nil:
			s.log.Error("outbox: cap schedule", "profile", l.Profile, "err", err)
		case n > 0:
			s.log.Info("outbox: retries scheduled beyond the longest backoff brought forward", "profile", l.Profile, "messages", n)
		}
	}
}

// Close stops the lanes, waits for attempts in flight and records the
// answers already received. An attempt cut short stays pending, to be sent
// again after a restart.
func (s *Sender) Close() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
	s.recorder.Wait()
}

// Wake tells a profile's lane that a message was enqueued. Call it after
// the enqueuing transaction committed.
func (s *Sender) Wake(profile string) {
	if l := s.lanes[profile]; l != nil {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// InFlight reports whether an attempt at message id is under way (sent or
// being sent, its outcome not yet recorded) and when it started.
func (s *Sender) InFlight(id int64) (time.Time, bool) {
	s.flyMu.Lock()
	defer s.flyMu.Unlock()
	t, ok := s.flying[id]
	return t, ok
}

// Changed returns a channel closed at the next recorded outcome.
func (s *Sender) Changed() <-chan struct{} { return s.changed.C() }

// prefetch is how many due messages a lane reads ahead. Reading one batch
// per slot freed made the Due query the engine's hottest path under load.
const prefetch = 1024

// maxRecord bounds one recorded batch.
const maxRecord = 1024

func (s *Sender) run(ctx context.Context, l *lane) {
	inflight := map[int64]bool{} // attempts running, until their outcome is recorded
	var queue []store.Message    // due messages read ahead, oldest first
	skip := map[int64]bool{}     // inflight and queued: not to be read again
	marked := map[int64]bool{}   // marked in doubt by this lane before their first send here
	done := make(chan int64)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		retryIn := time.Duration(0)
		// One "now" for both queries: a message falling due between them
		// would otherwise be neither sent nor timed, and wait forever.
		now := s.clock()
		if free := l.Retry.Concurrency - len(inflight); free > 0 && ctx.Err() == nil {
			if len(queue) < free {
				msgs, err := s.cfg.Store.Due(ctx, l.Profile, now, skip, max(prefetch, free))
				if err != nil && ctx.Err() == nil {
					s.log.Error("outbox: due messages", "profile", l.Profile, "err", err)
					retryIn = time.Second
				}
				for _, m := range msgs {
					skip[m.ID] = true
				}
				queue = append(queue, msgs...)
			}
			for len(queue) > 0 && len(inflight) < l.Retry.Concurrency {
				m := queue[0]
				if l.Reconcile != nil && !m.InDoubt && !marked[m.ID] {
					if err := s.markAhead(ctx, l, queue, marked); err != nil {
						if ctx.Err() == nil {
							s.log.Error("outbox: mark in doubt", "profile", l.Profile, "err", err)
							retryIn = time.Second
						}
						break
					}
				}
				queue = queue[1:]
				inflight[m.ID] = true
				go func() {
					s.attempt(ctx, l, m)
					done <- m.ID
				}()
			}
		}
		// With messages queued, a finished attempt wakes the lane; only an
		// empty queue needs the timer for the next backed-off message.
		if retryIn == 0 && len(queue) == 0 && ctx.Err() == nil {
			if next, ok, err := s.cfg.Store.NextDue(ctx, l.Profile, now); err != nil {
				retryIn = time.Second
			} else if ok {
				// A real timer: the lane must wake by itself when the next
				// message falls due. A clock moved by a test (not by time)
				// wakes the lane sooner through Wake.
				retryIn = max(next.Sub(now), time.Millisecond)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if retryIn > 0 {
			timer.Reset(retryIn)
		}
		select {
		case <-ctx.Done():
			for len(inflight) > 0 {
				delete(inflight, <-done)
			}
			return
		case <-l.wake:
		case id := <-done:
			delete(inflight, id)
			delete(skip, id)
			delete(marked, id)
		case <-timer.C:
		}
	}
}

// markAheadMin is the least number of messages a reconciling lane marks
// in doubt in one transaction; it marks 4 × Concurrency when that is more.
// More per transaction costs fewer commits; fewer costs fewer lookups
// after a crash (every marked message not yet answered is looked up).
const markAheadMin = 16

// markAhead marks the next queued messages in doubt in one transaction,
// before any of them is sent, so a crash mid-attempt leaves them to be
// looked up rather than resent.
func (s *Sender) markAhead(ctx context.Context, l *lane, queue []store.Message, marked map[int64]bool) error {
	n := max(markAheadMin, 4*l.Retry.Concurrency)
	var ids []int64
	for _, m := range queue {
		if len(ids) == n {
			break
		}
		if !m.InDoubt && !marked[m.ID] {
			ids = append(ids, m.ID)
		}
	}
	if err := s.cfg.Store.Tx(ctx, func(tx *store.Tx) error { return tx.MarkInDoubt(ids) }); err != nil {
		return err
	}
	for _, id := range ids {
		marked[id] = true
	}
	return nil
}

// attempt makes one attempt at a message (a lookup first if it is in doubt
// and the lane can ask), hands the outcome to the recorder and waits until
// it is recorded. The slot stays taken until then, so at most Concurrency
// messages per lane have an unrecorded fate when the process dies.
func (s *Sender) attempt(ctx context.Context, l *lane, m store.Message) {
	s.flyMu.Lock()
	s.flying[m.ID] = s.clock()
	s.flyMu.Unlock()
	defer func() {
		s.flyMu.Lock()
		delete(s.flying, m.ID)
		s.flyMu.Unlock()
	}()
	o := s.try(ctx, l, m)
	if ctx.Err() != nil {
		// Shutting down: what the peer did is unknown, so the message stays
		// pending (and, on a reconciling lane, in doubt) with its attempt
		// uncounted, and is looked up or sent again after restart.
		return
	}
	f := finished{lane: l, msg: m, out: o, at: s.clock(), recorded: make(chan struct{})}
	s.finished <- f
	<-f.recorded
}

// try is one attempt's exchanges with the library and their outcome.
func (s *Sender) try(ctx context.Context, l *lane, m store.Message) Outcome {
	o := Outcome{Attempts: m.Attempts + 1}
	if l.Reconcile != nil && m.InDoubt {
		applied, answer, err := s.reconcile(ctx, l, m)
		switch {
		case err != nil:
			// The library could not be asked: still in doubt, asked again later.
			o.Kind, o.Err, o.Reply, o.InDoubt = store.MsgPending, err, answer, true
			return o
		case applied:
			o.Kind, o.Reply, o.Reconciled = store.MsgDelivered, answer, true
			return o
		}
		// The effect is not there: the earlier attempt was not acted on, so sending is safe.
	}
	reply, sent, err := s.send(ctx, l, m.Endpoint, m.Transport, m.Payload)
	o.Reply = reply
	if err == nil {
		var msg *ncip.Message
		msg, _, err = ncip.Decode(reply, ncip.ParseOptions{MaxSize: MaxReply})
		switch {
		case err != nil:
			err = fmt.Errorf("reply is not NCIP: %w", err)
		case len(msg.Problems()) > 0:
			o.Kind, o.Problem = store.MsgFailed, DescribeProblems(msg.Problems())
			return o
		case !msg.IsResponse():
			err = fmt.Errorf("reply is not an NCIP response but %s", msg.Body.ServiceName())
		default:
			o.Kind = store.MsgDelivered
			return o
		}
	}
	// No usable answer. If the request went out whole, the library may
	// have acted on it all the same: a timeout, a reset or EOF before the
	// answer, a 5xx or an unreadable reply all leave that open.
	o.Kind, o.Err, o.InDoubt = store.MsgPending, err, sent
	return o
}

// reconcile asks the library whether m took effect. A Problem in the
// answer (the library cannot look the item up, or does not answer
// LookupItem at all) settles nothing, so m is sent again: at least once,
// as on a lane without lookups. err means the library could not be asked.
func (s *Sender) reconcile(ctx context.Context, l *lane, m store.Message) (applied bool, answer []byte, err error) {
	query, err := l.Reconcile.Query(m)
	if err != nil {
		s.log.Warn("outbox: cannot look up a message in doubt; sending it again", "id", m.ID, "profile", m.Profile,
			"service", m.Service, "barcode", m.Barcode, "err", err)
		return false, nil, nil
	}
	answer, _, err = s.send(ctx, l, m.Endpoint, m.Transport, query)
	if err != nil {
		return false, answer, fmt.Errorf("lookup: %w", err)
	}
	msg, _, err := ncip.Decode(answer, ncip.ParseOptions{MaxSize: MaxReply})
	switch {
	case err != nil:
		return false, answer, fmt.Errorf("lookup: reply is not NCIP: %w", err)
	case len(msg.Problems()) > 0:
		s.log.Warn("outbox: lookup answered with a Problem; sending the message in doubt again", "id", m.ID, "profile", m.Profile,
			"service", m.Service, "barcode", m.Barcode, "problem", DescribeProblems(msg.Problems()))
		return false, answer, nil
	case !msg.IsResponse():
		return false, answer, fmt.Errorf("lookup: reply is not an NCIP response but %s", msg.Body.ServiceName())
	}
	applied, err = l.Reconcile.Applied(m, msg)
	if err != nil {
		return false, answer, fmt.Errorf("lookup: %w", err)
	}
	return applied, answer, nil
}

// record writes answered attempts in batches: one transaction for all the
// answers waiting, instead of one transaction (and savepoint) per message,
// which made recording the store's busiest work in a large delivery. It
// runs until the lanes have stopped and every answer they handed over is
// recorded.
func (s *Sender) record() {
	batch := make([]finished, 0, maxRecord)
	for f := range s.finished {
		batch = chanbatch.Fill(append(batch[:0], f), s.finished, maxRecord)
		s.recordBatch(batch)
	}
}

// recordBatch records a batch in one transaction. If that fails, each
// outcome is tried in a transaction of its own, so one that cannot be
// recorded does not hold back the others; it stays pending and is sent
// again (at least once, as after a crash).
func (s *Sender) recordBatch(batch []finished) {
	errs := make([]error, len(batch))
	if err := s.recordTx(batch); err != nil {
		if len(batch) == 1 {
			errs[0] = err
		} else {
			for i := range batch {
				errs[i] = s.recordTx(batch[i : i+1])
			}
		}
	}
	// The attempts are over once recorded: no longer in flight by the time
	// notify wakes a waiter, who would otherwise see a recorded outcome
	// still marked in flight.
	s.flyMu.Lock()
	for _, f := range batch {
		delete(s.flying, f.msg.ID)
	}
	s.flyMu.Unlock()
	for i, f := range batch {
		close(f.recorded)
		m, o := f.msg, f.out
		if errs[i] != nil {
			s.log.Error("outbox: record outcome", "id", m.ID, "profile", m.Profile, "err", errs[i])
			continue
		}
		switch o.Kind {
		case store.MsgDelivered:
			// Info, not Debug: a delivered message is what an operator watches for.
			s.log.Info("NCIP delivered", "id", m.ID, "profile", m.Profile, "service", m.Service, "barcode", m.Barcode,
				"attempts", o.Attempts, "reconciled", o.Reconciled)
		case store.MsgFailed:
			s.log.Warn("outbox: NCIP problem", "id", m.ID, "profile", m.Profile, "service", m.Service, "problem", o.Problem)
		default:
			s.log.Info("outbox: attempt failed, will retry", "id", m.ID, "profile", m.Profile, "service", m.Service,
				"attempts", o.Attempts, "in_doubt", o.InDoubt, "err", o.Err)
		}
	}
	s.changed.Notify()
}

func (s *Sender) recordTx(batch []finished) error {
	// The outcomes are recorded even while Close cancels the lanes: the peers have answered.
	return s.cfg.Store.Tx(context.Background(), func(tx *store.Tx) error {
		for _, f := range batch {
			m, o := f.msg, f.out
			var err error
			switch {
			case o.Kind == store.MsgDelivered && o.Reconciled:
				err = tx.MarkReconciled(m.ID, o.Attempts, o.Reply, f.at)
			case o.Kind == store.MsgDelivered:
				err = tx.MarkDelivered(m.ID, o.Attempts, o.Reply, f.at)
			case o.Kind == store.MsgFailed:
				err = tx.MarkFailed(m.ID, o.Attempts, o.Reply, o.Problem, f.at)
			default:
				next := f.at.Add(Backoff(f.lane.Retry, o.Attempts))
				err = tx.MarkRetry(m.ID, o.Attempts, next, o.Err.Error(), o.Reply, o.InDoubt, f.at)
			}
			if err == nil && s.cfg.OnOutcome != nil {
				err = s.cfg.OnOutcome(tx, m, o)
			}
			if err != nil {
				return fmt.Errorf("message %d: %w", m.ID, err)
			}
		}
		return nil
	})
}

// Backoff is the wait after the given number of failed attempts: Initial
// doubling up to Max, with jitter drawn from its upper half so lanes that
// failed together do not retry together.
func Backoff(r profile.Retry, attempts int) time.Duration {
	d := backoff.Doubling(time.Duration(r.Initial), time.Duration(r.Max), attempts)
	return d/2 + rand.N(d/2+1)
}

// DescribeProblems renders Problems for a request's reason and an alert.
func DescribeProblems(ps []ncip.Problem) string {
	var parts []string
	for _, p := range ps {
		s := p.ProblemType.Value
		if p.ProblemDetail != "" && p.ProblemDetail != s {
			s += ": " + p.ProblemDetail
		}
		if p.ProblemElement != "" || p.ProblemValue != "" {
			s += " (" + strings.TrimSpace(p.ProblemElement+" "+p.ProblemValue) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// send makes one exchange with the peer within the lane's attempt timeout.
// sent reports whether the whole request went out: when it did and err is
// not nil, the peer may have acted on it.
func (s *Sender) send(ctx context.Context, l *lane, endpoint, transport string, payload []byte) (reply []byte, sent bool, err error) {
	// A real deadline, not the clock's: the peer's silence is measured in real time.
	ctx, cancel := context.WithTimeout(ctx, time.Duration(l.Retry.Timeout))
	defer cancel()
	if transport == store.TransportTCP {
		return sendTCP(ctx, endpoint, payload)
	}
	return s.sendHTTP(ctx, endpoint, payload)
}

func (s *Sender) sendHTTP(ctx context.Context, url string, payload []byte) ([]byte, bool, error) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, false, fmt.Errorf("post %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, wrote.Load(), fmt.Errorf("post %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply+1))
	if err != nil {
		return body, true, fmt.Errorf("post %s: read reply: %w", url, err)
	}
	if resp.StatusCode >= 500 {
		return body, true, fmt.Errorf("post %s: HTTP %d", url, resp.StatusCode)
	}
	return body, true, nil
}

// sendTCP speaks to an ALEPH NCIP port as its clients do: an HTTP/1.0 POST
// over a raw socket, then everything up to the server's close is the reply.
func sendTCP(ctx context.Context, addr string, payload []byte) ([]byte, bool, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	head := "POST /ncip HTTP/1.0\r\nHost: " + addr + "\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-Length: " +
		strconv.Itoa(len(payload)) + "\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write(append([]byte(head), payload...)); err != nil {
		// Part of the request may have gone out, but not all of it: a
		// peer cannot act on a message it did not receive whole.
		return nil, false, fmt.Errorf("write %s: %w", addr, err)
	}
	raw, err := io.ReadAll(io.LimitReader(conn, MaxReply+1))
	if err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return raw, true, fmt.Errorf("read %s: %w", addr, err)
	}
	if !bytes.HasPrefix(raw, []byte("HTTP/")) {
		return raw, true, nil // a bare XML reply
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return raw, true, fmt.Errorf("read %s: %w", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return body, true, fmt.Errorf("read %s: %w", addr, err)
	}
	if resp.StatusCode >= 500 {
		return body, true, fmt.Errorf("%s: HTTP %d", addr, resp.StatusCode)
	}
	return body, true, nil
}
