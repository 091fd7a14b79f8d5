// Package journal records every exchange a simulator has, raw bytes both
// ways, so tests and people can see exactly what crossed the wire (the
// Hoverfly model: a journal a test can query and wait on). It is bounded
// by count and by bytes, and cuts long bodies, so a simulator's memory
// stays flat however much it is sent (docs/design.md, "Bounded").
package journal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/internal/broadcast"
	"github.com/annexlab/annex/ncip"
)

// Raw is bytes as they crossed the wire. It marshals to a JSON string when it
// is valid UTF-8 and to {"base64": "…"} otherwise, so an ISO-8859-1 message
// is shown exactly rather than mangled.
type Raw []byte

// MarshalJSON implements json.Marshaler.
func (r Raw) MarshalJSON() ([]byte, error) {
	if utf8.Valid(r) {
		return json.Marshal(string(r))
	}
	return json.Marshal(map[string]string{"base64": base64.StdEncoding.EncodeToString(r)})
}

// UnmarshalJSON implements json.Unmarshaler for both shapes.
func (r *Raw) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = Raw(s)
		return nil
	}
	var obj struct {
		Base64 string `json:"base64"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	d, err := base64.StdEncoding.DecodeString(obj.Base64)
	*r = d
	return err
}

// Exchange is one request and what the simulator answered.
type Exchange struct {
	ID         int64         `json:"id"`
	Time       time.Time     `json:"time"`
	Duration   time.Duration `json:"duration_ns"`
	Simulator  string        `json:"simulator"`
	Transport  string        `json:"transport"` // "http", "http-get", "tcp", "sftp", "http-client"
	RemoteAddr string        `json:"remote_addr"`
	LocalAddr  string        `json:"local_addr,omitempty"`
	// Direction is "in" for requests the simulator received, "out" for those it sent (DeleteItem, uploads).
	Direction       string              `json:"direction"`
	Method          string              `json:"method,omitempty"`
	URL             string              `json:"url,omitempty"`
	RequestHeaders  map[string][]string `json:"request_headers,omitempty"`
	Request         Raw                 `json:"request"`
	Status          int                 `json:"status,omitempty"`
	ResponseHeaders map[string][]string `json:"response_headers,omitempty"`
	Response        Raw                 `json:"response"`
	Version         string              `json:"version,omitempty"` // "NCIP 1", "NCIP 2"
	Service         string              `json:"service,omitempty"`
	// Problems are the ProblemType values of the reply.
	Problems []string `json:"problems,omitempty"`
	// Findings are the conformance findings about the request. A simulator
	// may leave them to be computed when the exchange is first read (see
	// CheckLater), which keeps the check out of its request path.
	Findings []ncip.Finding `json:"findings,omitempty"`
	check    func() []ncip.Finding
	// Fault names the injected fault, if one was.
	Fault string `json:"fault,omitempty"`
	// Miss is the structured closest miss: the field of the request that
	// kept it from succeeding, and both values. ClosestMiss is its text
	// (the journal writes it) followed by any free note of the simulator's.
	Miss        *Miss  `json:"miss,omitempty"`
	ClosestMiss string `json:"closest_miss,omitempty"`
	// ConformanceFailure says why a strict simulator counted the request as
	// not conformant (its Error findings); the reply is what the real system would send.
	ConformanceFailure string `json:"conformance_failure,omitempty"`
	// Error is a transport error (an outgoing call that failed).
	Error string `json:"error,omitempty"`
	// RequestTruncated and ResponseTruncated describe a body longer than
	// the journal's body cap: Request or Response holds only its start.
	RequestTruncated  *Truncated `json:"request_truncated,omitempty"`
	ResponseTruncated *Truncated `json:"response_truncated,omitempty"`
}

// Miss is a closest miss: the field of a request that differs from what
// would have worked (or from what a test expected), with both values.
type Miss struct {
	// Exchange is the exchange's id (set by the journal).
	Exchange int64 `json:"exchange,omitempty"`
	// Field names the element or property, such as "ToAgencyId" or "barcode".
	Field string `json:"field"`
	Want  string `json:"want,omitempty"`
	Got   string `json:"got,omitempty"`
	// Hint says why it matters or what to do.
	Hint string `json:"hint,omitempty"`
}

// String is the miss in one line, without the exchange:
// `ToAgencyId: got "01annex_inst", want "01ANNEX_INST" (ALMA compares agency ids case-sensitively)`;
// want is left out when there is no one value that would do.
func (m Miss) String() string {
	s := fmt.Sprintf("%s: got %q", m.Field, m.Got)
	if m.Want != "" {
		s += fmt.Sprintf(", want %q", m.Want)
	}
	if m.Hint != "" {
		s += " (" + m.Hint + ")"
	}
	return s
}

// Expected is the miss without its field and value, for a text that names
// them already: `want "ANNEX" (differs only in case; …)`, or the hint alone.
func (m Miss) Expected() string {
	switch {
	case m.Want == "":
		return m.Hint
	case m.Hint == "":
		return fmt.Sprintf("want %q", m.Want)
	}
	return fmt.Sprintf("want %q (%s)", m.Want, m.Hint)
}

// Barcode is the item the exchange's request is about: the first
// ItemIdentifierValue of an NCIP request, "" for anything else.
func (e *Exchange) Barcode() string {
	doc, err := ncip.Parse(e.Request, ncip.ParseOptions{})
	if err != nil || doc.Root == nil {
		return ""
	}
	barcode := ""
	doc.Root.Walk(func(el *ncip.Element, _ string) {
		if barcode == "" && el.Name == "ItemIdentifierValue" {
			barcode = strings.TrimSpace(el.Text)
		}
	})
	return barcode
}

// Truncated is what the journal keeps of a body it cut: the whole body's
// size and SHA-256, so it can still be told apart from other bodies.
type Truncated struct {
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// CheckLater makes the journal compute the exchange's Findings with fn (and
// append them to any already set) the first time the exchange is read.
func (e *Exchange) CheckLater(fn func() []ncip.Finding) { e.check = fn }

// Limits bound a journal. Zero fields mean the defaults.
type Limits struct {
	// Max is how many exchanges are kept.
	Max int
	// MaxBytes bounds the accounted size of the exchanges kept (bodies,
	// headers, texts and a fixed overhead each); the oldest go first.
	MaxBytes int64
	// MaxBody is the longest request or response body kept whole; a longer
	// one keeps its first MaxBody bytes, with its size and hash beside.
	MaxBody int
}

// Defaults of Limits.
const (
	// DefaultMax is how many exchanges a journal keeps unless told otherwise.
	DefaultMax = 10000
	// DefaultMaxBytes is the accounted size a journal keeps unless told otherwise.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxBody is the body length kept whole: NCIP messages are a
	// few kilobytes, so only hostile or request-file bodies are cut.
	DefaultMaxBody = 64 << 10
)

// entryOverhead is what an exchange costs besides its variable parts: the
// struct, its string and slice headers, the journal's slot.
const entryOverhead = 512

// Journal is a bounded, concurrency-safe list of exchanges.
type Journal struct {
	mu      sync.Mutex
	lim     Limits
	entries []Exchange
	costs   []int64 // costs[i] is the accounted size of entries[i]
	bytes   int64   // the sum of costs
	nextID  int64
	changed broadcast.Signal // notified on every change, to wake waiters
}

// New returns a journal keeping the last max exchanges (DefaultMax when
// max <= 0) within the default byte bounds.
func New(max int) *Journal { return NewLimited(Limits{Max: max}) }

// NewLimited returns a journal bounded by lim.
func NewLimited(lim Limits) *Journal {
	if lim.Max <= 0 {
		lim.Max = DefaultMax
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxBody <= 0 {
		lim.MaxBody = DefaultMaxBody
	}
	// Both bodies of an exchange must fit in the byte bound with room to
	// spare, or a single exchange could never be kept.
	lim.MaxBody = int(min(int64(lim.MaxBody), lim.MaxBytes/4))
	return &Journal{lim: lim, nextID: 1}
}

// Limits returns the journal's bounds, defaults filled in.
func (j *Journal) Limits() Limits { return j.lim }

// Bytes is the accounted size of the exchanges kept; it never exceeds
// Limits().MaxBytes once Add returns.
func (j *Journal) Bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bytes
}

// Add records an exchange, assigns its ID and returns it. A body over the
// body cap is cut (copied, so the caller's buffer is not kept alive); an
// exchange with a cut body has its deferred check run now, since the check
// would otherwise hold the whole body until the exchange is read.
func (j *Journal) Add(e Exchange) Exchange {
	e.Request, e.RequestTruncated = truncate(e.Request, j.lim.MaxBody)
	e.Response, e.ResponseTruncated = truncate(e.Response, j.lim.MaxBody)
	if e.RequestTruncated != nil || e.ResponseTruncated != nil {
		if e.check != nil {
			e.Findings = append(e.Findings, e.check()...)
			e.check = nil
		}
		detach(&e)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	c := cost(&e)
	j.mu.Lock()
	defer j.mu.Unlock()
	e.ID = j.nextID
	j.nextID++
	if e.Miss != nil {
		m := *e.Miss
		m.Exchange = e.ID
		e.Miss = &m
		e.ClosestMiss = strings.TrimSuffix(m.String()+"; "+e.ClosestMiss, "; ")
	}
	j.entries = append(j.entries, e)
	j.costs = append(j.costs, c)
	j.bytes += c
	j.trimLocked()
	j.notify()
	return e
}

// detach copies the exchange's texts: a simulator may have cut them out
// of a string made from the whole body (a finding's path, the service), and
// such a substring would keep the whole body alive behind the cut copy.
func detach(e *Exchange) {
	for _, p := range []*string{&e.Simulator, &e.Transport, &e.RemoteAddr, &e.LocalAddr, &e.Direction, &e.Method, &e.URL,
		&e.Version, &e.Service, &e.Fault, &e.ClosestMiss, &e.ConformanceFailure, &e.Error} {
		*p = strings.Clone(*p)
	}
	if e.Miss != nil {
		m := *e.Miss
		m.Field, m.Want, m.Got, m.Hint = strings.Clone(m.Field), strings.Clone(m.Want), strings.Clone(m.Got), strings.Clone(m.Hint)
		e.Miss = &m
	}
	e.Problems = slices.Clone(e.Problems)
	for i := range e.Problems {
		e.Problems[i] = strings.Clone(e.Problems[i])
	}
	e.Findings = slices.Clone(e.Findings)
	for i := range e.Findings {
		f := &e.Findings[i]
		f.Rule, f.Path, f.Message = strings.Clone(f.Rule), strings.Clone(f.Path), strings.Clone(f.Message)
	}
}

// truncate cuts b to at most max bytes, backing off to a character
// boundary when b is UTF-8 so the kept start still shows as text.
func truncate(b Raw, max int) (Raw, *Truncated) {
	if len(b) <= max {
		return b, nil
	}
	n := max
	if utf8.Valid(b) {
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
	}
	sum := sha256.Sum256(b)
	return append(Raw(nil), b[:n]...), &Truncated{Size: len(b), SHA256: hex.EncodeToString(sum[:])}
}

// cost is the accounted size of an exchange.
func cost(e *Exchange) int64 {
	n := entryOverhead + len(e.Request) + len(e.Response) + len(e.Simulator) + len(e.Transport) + len(e.RemoteAddr) +
		len(e.LocalAddr) + len(e.Direction) + len(e.Method) + len(e.URL) + len(e.Version) + len(e.Service) +
		len(e.Fault) + len(e.ClosestMiss) + len(e.ConformanceFailure) + len(e.Error)
	if m := e.Miss; m != nil {
		n += 64 + len(m.Field) + len(m.Want) + len(m.Got) + len(m.Hint)
	}
	for _, h := range []map[string][]string{e.RequestHeaders, e.ResponseHeaders} {
		for k, vs := range h {
			n += len(k) + 48 // the map slot and the slice header
			for _, v := range vs {
				n += len(v) + 16
			}
		}
	}
	for _, p := range e.Problems {
		n += len(p) + 16
	}
	n += findingsCost(e.Findings)
	if e.RequestTruncated != nil {
		n += 96
	}
	if e.ResponseTruncated != nil {
		n += 96
	}
	return int64(n)
}

func findingsCost(fs []ncip.Finding) int {
	n := 0
	for _, f := range fs {
		n += 80 + len(f.Rule) + len(f.Path) + len(f.Message)
	}
	return n
}

// trimLocked drops the oldest exchanges until both bounds hold.
func (j *Journal) trimLocked() {
	drop := 0
	for drop < len(j.entries) && (len(j.entries)-drop > j.lim.Max || j.bytes > j.lim.MaxBytes) {
		j.bytes -= j.costs[drop]
		drop++
	}
	if drop == 0 {
		return
	}
	// Clear the dropped slots so their bodies can be collected before the
	// backing array is next reallocated; re-slicing keeps Add amortised O(1)
	// (append copies only the kept entries once the array is full).
	clear(j.entries[:drop])
	j.entries, j.costs = j.entries[drop:], j.costs[drop:]
}

func (j *Journal) notify() {
	j.changed.Notify()
}

// All returns a copy of every exchange kept, oldest first.
func (j *Journal) All() []Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.checkLocked(0, len(j.entries))
	return append([]Exchange(nil), j.entries...)
}

// checkLocked runs the deferred checks of the entries [from, to), and
// accounts for the findings they add. The bytes bound is restored on the
// next Add, not here, so a reader's indexes stay valid.
func (j *Journal) checkLocked(from, to int) {
	for i := from; i < to; i++ {
		if e := &j.entries[i]; e.check != nil {
			add := e.check()
			e.Findings = append(e.Findings, add...)
			e.check = nil
			c := int64(findingsCost(add))
			j.costs[i] += c
			j.bytes += c
		}
	}
}

// LastID is the ID of the newest exchange added, 0 before the first. It
// counts on across Reset and trimming, so Since(LastID()) is what comes
// next; unlike All, it copies and checks nothing.
func (j *Journal) LastID() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.nextID - 1
}

// first returns the index of the first entry with an ID greater than id.
func (j *Journal) first(id int64) int {
	return sort.Search(len(j.entries), func(i int) bool { return j.entries[i].ID > id })
}

// Since returns the exchanges with an ID greater than id.
func (j *Journal) Since(id int64) []Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	i := j.first(id)
	if i == len(j.entries) {
		return nil
	}
	j.checkLocked(i, len(j.entries))
	return append([]Exchange(nil), j.entries[i:]...)
}

// Page returns up to limit exchanges with an ID greater than after that
// keep accepts (nil: all), oldest first, and whether more such exchanges
// follow the last one returned. Only the page is copied and checked.
func (j *Journal) Page(after int64, limit int, keep func(*Exchange) bool) (page []Exchange, more bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := j.first(after); i < len(j.entries); i++ {
		if keep != nil && !keep(&j.entries[i]) {
			continue
		}
		if len(page) == limit {
			return page, true
		}
		j.checkLocked(i, i+1)
		page = append(page, j.entries[i])
	}
	return page, false
}

// Changed returns a channel closed at the journal's next change (an
// exchange added, or a reset): a reader waits on it for what comes next.
func (j *Journal) Changed() <-chan struct{} { return j.changed.C() }

// Reset forgets every exchange; IDs keep increasing so a reader's Since stays valid.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries, j.costs, j.bytes = nil, nil, 0
	j.notify()
}

// Wait blocks until cond holds for the journal's exchanges or ctx ends, and
// returns the exchanges it held for. Tests wait on this instead of sleeping.
func (j *Journal) Wait(ctx context.Context, cond func([]Exchange) bool) ([]Exchange, error) {
	var entries []Exchange
	err := broadcast.Until(ctx, j.changed.C, func() (bool, error) {
		j.mu.Lock()
		j.checkLocked(0, len(j.entries))
		entries = append([]Exchange(nil), j.entries...)
		j.mu.Unlock()
		return cond(entries), nil
	})
	return entries, err
}
