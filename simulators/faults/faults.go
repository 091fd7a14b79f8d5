// Package faults is the simulators' catalogue of injectable faults, in the
// toxiproxy manner: each kind is a small declarative rule, targeted by
// service, count or probability, applied where a reply is delivered.
package faults

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/annexlab/annex/internal/suggest"
)

// The fault kinds.
const (
	// Latency delays the reply by Latency.
	Latency = "latency"
	// NoAnswer never answers; the connection stays open until the client gives up.
	NoAnswer = "no-answer"
	// Reset closes the connection abruptly (TCP RST) without a reply.
	Reset = "reset"
	// Status answers with the HTTP status Status and Body (maybe empty).
	Status = "status"
	// Malformed answers with a reply that is not well-formed XML.
	Malformed = "malformed"
	// Truncated announces the whole reply but sends half of it, then closes.
	Truncated = "truncated"
	// Problem answers with an NCIP Problem of ProblemType (and ProblemDetail) instead of processing.
	Problem = "problem"
	// WrongCharset sends the reply's UTF-8 bytes under a declaration and
	// Content-Type that say ISO-8859-1.
	WrongCharset = "wrong-charset"
)

// Kinds lists every fault kind, for documentation and validation.
func Kinds() []string {
	return []string{Latency, NoAnswer, Reset, Status, Malformed, Truncated, Problem, WrongCharset}
}

// Duration is a time.Duration written as "150ms" in JSON and YAML.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "150ms" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want \"150ms\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalText reads "150ms" (YAML).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Fault is one rule: what happens, to which messages, how often.
type Fault struct {
	ID   int    `json:"id,omitempty" yaml:"id,omitempty"`
	Kind string `json:"kind" yaml:"kind"`
	// Service limits the fault to one NCIP service ("CheckOutItem"); "" matches every message.
	Service string `json:"service,omitempty" yaml:"service,omitempty"`
	// Count applies the fault to the next Count matching messages, then retires it; 0 means every one.
	Count int `json:"count,omitempty" yaml:"count,omitempty"`
	// Probability applies it to that fraction of matching messages; 0 means all of them.
	Probability float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	// AfterProcessing lets the simulator change its state before the fault
	// hits the reply (the library did the work, the answer was lost);
	// otherwise the fault replaces processing and nothing changes.
	AfterProcessing bool `json:"after_processing,omitempty" yaml:"after_processing,omitempty"`

	Latency       Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
	Status        int      `json:"status,omitempty" yaml:"status,omitempty"`
	Body          string   `json:"body,omitempty" yaml:"body,omitempty"`
	ProblemType   string   `json:"problem_type,omitempty" yaml:"problem_type,omitempty"`
	ProblemDetail string   `json:"problem_detail,omitempty" yaml:"problem_detail,omitempty"`

	// Applied counts how many times the fault has hit.
	Applied int `json:"applied" yaml:"-"`
}

// Validate reports a rule that cannot work, naming the field.
func (f Fault) Validate() error {
	if !slices.Contains(Kinds(), f.Kind) {
		return fmt.Errorf("fault kind %q: want one of %s", f.Kind, strings.Join(Kinds(), ", "))
	}
	switch {
	case f.Count < 0:
		return fmt.Errorf("fault %s: count %d is negative", f.Kind, f.Count)
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("fault %s: probability %g is not between 0 and 1", f.Kind, f.Probability)
	case f.Kind == Latency && f.Latency <= 0:
		return fmt.Errorf("fault latency: latency must be positive, e.g. \"500ms\"")
	case f.Kind == Status && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("fault status: status %d is not an HTTP status", f.Status)
	case f.Kind == Problem && f.ProblemType == "":
		return fmt.Errorf("fault problem: problem_type is required, e.g. \"Unknown Item\"")
	}
	return nil
}

// Target is what a fault can be aimed at: a simulator, by its name in
// messages ("mock ALMA"), and the NCIP services it answers.
type Target struct {
	Name     string
	Services []string
}

// Check reports a fault's service that the target does not answer, since
// such a fault would never apply; "" (every message) is always fine, and
// so is any service for a target that lists none. A near miss gets a
// did-you-mean.
func (t Target) Check(service string) error {
	if service == "" || len(t.Services) == 0 || slices.Contains(t.Services, service) {
		return nil
	}
	if s := suggest.Closest(service, t.Services); s != "" {
		return fmt.Errorf("service: %q is not a service %s answers (did you mean %q?)", service, t.Name, s)
	}
	return fmt.Errorf("service: %q is not a service %s answers; it answers %s", service, t.Name, strings.Join(t.Services, ", "))
}

// Set is a simulator's active faults.
type Set struct {
	mu     sync.Mutex
	faults []*Fault
	nextID int
	rng    *rand.Rand
}

// NewSet returns an empty set whose probabilities draw from a generator
// seeded with seed, so a run with probabilistic faults can be repeated.
func NewSet(seed uint64) *Set {
	return &Set{nextID: 1, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Add validates and installs a fault and returns it with its ID.
func (s *Set) Add(f Fault) (Fault, error) {
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.ID = s.nextID
	f.Applied = 0
	s.nextID++
	s.faults = append(s.faults, &f)
	return f, nil
}

// List returns the active faults.
func (s *Set) List() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// Remove retires one fault; it reports whether it existed.
func (s *Set) Remove(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.ID == id {
			s.faults = slices.Delete(s.faults, i, i+1)
			return true
		}
	}
	return false
}

// Clear retires every fault.
func (s *Set) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Pick returns the fault to apply to a message of the given service, if
// any: the first matching rule whose probability draw succeeds. A rule with
// a Count retires after its last use.
func (s *Set) Pick(service string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Service != "" && f.Service != service {
			continue
		}
		if f.Probability > 0 && s.rng.Float64() >= f.Probability {
			continue
		}
		f.Applied++
		picked := *f
		if f.Count > 0 && f.Applied >= f.Count {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return picked, true
	}
	return Fault{}, false
}
