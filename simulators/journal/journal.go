// Package journal records every exchange a simulator has, raw bytes both
// ways, so tests and people can see exactly what crossed the wire (the
// Hoverfly model: a journal a test can query and wait on).
package journal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"time"
	"unicode/utf8"

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
	// ClosestMiss explains a request that was almost right.
	ClosestMiss string `json:"closest_miss,omitempty"`
	// ConformanceFailure says why a strict simulator counted the request as
	// not conformant (its Error findings); the reply is what the real system would send.
	ConformanceFailure string `json:"conformance_failure,omitempty"`
	// Error is a transport error (an outgoing call that failed).
	Error string `json:"error,omitempty"`
}

// CheckLater makes the journal compute the exchange's Findings with fn (and
// append them to any already set) the first time the exchange is read.
func (e *Exchange) CheckLater(fn func() []ncip.Finding) { e.check = fn }

// Journal is a bounded, concurrency-safe list of exchanges.
type Journal struct {
	mu      sync.Mutex
	max     int
	entries []Exchange
	nextID  int64
	changed chan struct{} // closed and replaced on every change, to wake waiters
}

// DefaultMax is how many exchanges a journal keeps unless told otherwise.
const DefaultMax = 10000

// New returns a journal keeping the last max exchanges (DefaultMax when max <= 0).
func New(max int) *Journal {
	if max <= 0 {
		max = DefaultMax
	}
	return &Journal{max: max, nextID: 1, changed: make(chan struct{})}
}

// Add records an exchange, assigns its ID and returns it.
func (j *Journal) Add(e Exchange) Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.ID = j.nextID
	j.nextID++
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	j.entries = append(j.entries, e)
	if over := len(j.entries) - j.max; over > 0 {
		j.entries = j.entries[over:] // re-slice: append reallocates (copying only the kept entries) once the array is full, so Add stays amortised O(1)
	}
	j.notify()
	return e
}

func (j *Journal) notify() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// All returns a copy of every exchange kept, oldest first.
func (j *Journal) All() []Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.checkLocked(0)
	return append([]Exchange(nil), j.entries...)
}

// checkLocked runs the deferred checks of the entries from index from on.
func (j *Journal) checkLocked(from int) {
	for i := from; i < len(j.entries); i++ {
		if e := &j.entries[i]; e.check != nil {
			e.Findings = append(e.Findings, e.check()...)
			e.check = nil
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

// Since returns the exchanges with an ID greater than id.
func (j *Journal) Since(id int64) []Exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Exchange
	for i := range j.entries {
		if j.entries[i].ID > id {
			j.checkLocked(i)
			out = append(out, j.entries[i:]...)
			break
		}
	}
	return out
}

// Reset forgets every exchange; IDs keep increasing so a reader's Since stays valid.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = nil
	j.notify()
}

// Wait blocks until cond holds for the journal's exchanges or ctx ends, and
// returns the exchanges it held for. Tests wait on this instead of sleeping.
func (j *Journal) Wait(ctx context.Context, cond func([]Exchange) bool) ([]Exchange, error) {
	for {
		j.mu.Lock()
		j.checkLocked(0)
		entries := append([]Exchange(nil), j.entries...)
		ch := j.changed
		j.mu.Unlock()
		if cond(entries) {
			return entries, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return entries, ctx.Err()
		}
	}
}
