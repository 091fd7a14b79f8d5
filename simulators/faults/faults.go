// Package faults is the simulators' catalogue of injectable faults, in the
// toxiproxy manner: each kind is a small type with its own fields, its own
// validation and what it does to a reply over HTTP and over a raw TCP
// connection, registered by name in a Registry; a Fault adds the targeting
// every kind shares (service, count, probability).
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/internal/suggest"
)

// Kind is one kind of fault. A kind is a struct whose exported fields,
// tagged json and yaml, are written beside the shared ones
// ({"kind": "status", "status": 503}); its methods use value receivers.
type Kind interface {
	// Name is the kind as users write it ("latency").
	Name() string
	// Validate reports a field that cannot work, naming it.
	Validate() error
	// Effect says how the fault meets the simulator's work.
	Effect() Effect
	// HTTP delivers the reply through w, or what the fault sends instead.
	HTTP(ctx context.Context, w http.ResponseWriter, r Reply) (status int, sent []byte, err error)
	// Conn delivers the reply over a raw connection, or what the fault
	// sends instead; status is the HTTP status framed, when framed.
	Conn(ctx context.Context, conn net.Conn, r Reply) (status int, sent []byte, err error)
}

// Effect is how a fault meets the simulator's work on a message.
type Effect int

const (
	// Withholds: no reply goes out (reset, no-answer, or a bare HTTP
	// status), so none is built, and the work is not done.
	Withholds Effect = iota
	// Answers: the simulator answers in its own protocol's terms (an NCIP
	// Problem, see Answerer) instead of doing the work.
	Answers
	// Spoils: the reply is built but spoiled on its way, standing for a
	// library that did not do the work.
	Spoils
	// Keeps: the reply arrives readable, so the work is done.
	Keeps
)

// Answerer is a kind whose stand-in reply the simulator builds itself.
type Answerer interface {
	// Problem is the NCIP Problem to answer and its detail.
	Problem() (problemType, detail string)
}

// Waiter is a kind that holds the message for a while: before the work
// (a client that gives up meanwhile changes nothing) unless the fault says
// after_processing.
type Waiter interface {
	Wait(ctx context.Context) error
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

// Fault is one rule: what happens (Kind), to which messages, how often.
// Its JSON and YAML form is flat: the kind's name under "kind", the
// shared fields and the kind's own fields side by side.
type Fault struct {
	ID int
	// Kind is what goes wrong, with its own fields.
	Kind Kind
	// Service limits the fault to one NCIP service ("CheckOutItem"); "" matches every message.
	Service string
	// Count applies the fault to the next Count matching messages, then retires it; 0 means every one.
	Count int
	// Probability applies it to that fraction of matching messages; 0 means all of them.
	Probability float64
	// AfterProcessing lets the simulator change its state before the fault
	// hits the reply (the library did the work, the answer was lost);
	// otherwise the fault replaces processing and nothing changes.
	AfterProcessing bool
	// Applied counts how many times the fault has hit.
	Applied int
}

// shared is the JSON and YAML form of a Fault's own fields.
type shared struct {
	ID              int     `json:"id,omitempty" yaml:"id,omitempty"`
	Kind            string  `json:"kind" yaml:"kind"`
	Service         string  `json:"service,omitempty" yaml:"service,omitempty"`
	Count           int     `json:"count,omitempty" yaml:"count,omitempty"`
	Probability     float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	AfterProcessing bool    `json:"after_processing,omitempty" yaml:"after_processing,omitempty"`
	Applied         int     `json:"applied" yaml:"-"`
}

// Name is the fault's kind as users write it, "" without one.
func (f Fault) Name() string {
	if f.Kind == nil {
		return ""
	}
	return f.Kind.Name()
}

// Validate reports a rule that cannot work, naming the field.
func (f Fault) Validate() error {
	switch {
	case f.Kind == nil:
		return fmt.Errorf("fault: kind is required")
	case f.Count < 0:
		return fmt.Errorf("fault %s: count %d is negative", f.Name(), f.Count)
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("fault %s: probability %g is not between 0 and 1", f.Name(), f.Probability)
	}
	if err := f.Kind.Validate(); err != nil {
		return fmt.Errorf("fault %s: %w", f.Name(), err)
	}
	return nil
}

// MarshalJSON writes the flat form: shared fields, then the kind's.
func (f Fault) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(shared{ID: f.ID, Kind: f.Name(), Service: f.Service, Count: f.Count,
		Probability: f.Probability, AfterProcessing: f.AfterProcessing, Applied: f.Applied})
	if err != nil || f.Kind == nil {
		return head, err
	}
	own, err := json.Marshal(f.Kind)
	if err != nil {
		return nil, fmt.Errorf("fault %s: %w", f.Name(), err)
	}
	if len(own) <= 2 { // {}
		return head, nil
	}
	return append(append(head[:len(head)-1], ','), own[1:]...), nil
}

// Commits reports whether the simulator should do the work the message
// asks for: with no fault, with after_processing, or when the fault leaves
// the reply readable.
func (f *Fault) Commits() bool {
	return f == nil || f.AfterProcessing || f.Kind.Effect() == Keeps
}

// Withholds reports whether no reply goes out, so none need be built
// (unless after_processing asks for the work anyway).
func (f *Fault) Withholds() bool {
	return f != nil && f.Kind.Effect() == Withholds
}

// Answer returns the Problem a fault asks the simulator to answer with.
func (f *Fault) Answer() (Answerer, bool) {
	if f == nil {
		return nil, false
	}
	a, ok := f.Kind.(Answerer)
	return a, ok
}

// Before runs what the fault does before the simulator's work (a wait,
// unless after_processing puts it after); an error means the client left.
func (f *Fault) Before(ctx context.Context) error {
	if w, ok := f.waiter(); ok && !f.AfterProcessing {
		return w.Wait(ctx)
	}
	return nil
}

// after runs a wait that after_processing put after the work.
func (f *Fault) after(ctx context.Context) error {
	if w, ok := f.waiter(); ok && f.AfterProcessing {
		return w.Wait(ctx)
	}
	return nil
}

func (f *Fault) waiter() (Waiter, bool) {
	if f == nil {
		return nil, false
	}
	w, ok := f.Kind.(Waiter)
	return w, ok
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
type Set struct{ rules *Rules[Fault, *Fault] }

// Tally is the fault's bookkeeping, for Rules.
func (f *Fault) Tally() Tally {
	return Tally{ID: &f.ID, Applied: &f.Applied, Count: f.Count, Probability: f.Probability}
}

// NewSet returns an empty set whose probabilities draw from a generator
// seeded with seed, so a run with probabilistic faults can be repeated.
func NewSet(seed uint64) *Set { return &Set{rules: NewRules[Fault](seed)} }

// Add validates and installs a fault and returns it with its ID.
func (s *Set) Add(f Fault) (Fault, error) {
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return s.rules.Add(f), nil
}

// List returns the active faults.
func (s *Set) List() []Fault { return s.rules.List() }

// Remove retires one fault; it reports whether it existed.
func (s *Set) Remove(id int) bool { return s.rules.Remove(id) }

// Clear retires every fault.
func (s *Set) Clear() { s.rules.Clear() }

// Pick returns the fault to apply to a message of the given service, or
// nil: the first matching rule whose probability draw succeeds. A rule
// with a Count retires after its last use.
func (s *Set) Pick(service string) *Fault {
	f, ok := s.rules.Pick(func(f *Fault) bool { return f.Service == "" || f.Service == service })
	if !ok {
		return nil
	}
	return &f
}
