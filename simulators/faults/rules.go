package faults

import (
	"math/rand/v2"
	"slices"
	"sync"
)

// Tally is a rule's bookkeeping as a Rules list keeps it: pointers to the
// rule's id and use count, and how often it applies.
type Tally struct {
	ID, Applied *int
	// Count retires the rule after that many uses; 0 never does.
	Count int
	// Probability applies it to that fraction of what it matches; 0 means all.
	Probability float64
}

// rule is a pointer to a rule type that tells its Tally.
type rule[T any] interface {
	*T
	Tally() Tally
}

// Rules is an ordered list of fault rules, whatever they fault (NCIP
// messages here, SMTP transactions in the mail catcher): Add numbers a
// rule, Pick applies the first that matches and wins its probability draw,
// and a rule with a Count retires after its last use.
type Rules[T any, P rule[T]] struct {
	mu     sync.Mutex
	list   []P
	nextID int
	rng    *rand.Rand
}

// NewRules returns an empty list whose probabilities draw from a generator
// seeded with seed, so a run with probabilistic rules can be repeated.
func NewRules[T any, P rule[T]](seed uint64) *Rules[T, P] {
	return &Rules[T, P]{nextID: 1, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Add installs f, numbered and unused, and returns it so.
func (r *Rules[T, P]) Add(f T) T {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := P(&f).Tally()
	*t.ID, *t.Applied = r.nextID, 0
	r.nextID++
	r.list = append(r.list, &f)
	return f
}

// List returns copies of the rules, in order.
func (r *Rules[T, P]) List() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, len(r.list))
	for _, f := range r.list {
		out = append(out, *f)
	}
	return out
}

// Remove retires one rule; it reports whether it existed.
func (r *Rules[T, P]) Remove(id int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.list {
		if *f.Tally().ID == id {
			r.list = slices.Delete(r.list, i, i+1)
			return true
		}
	}
	return false
}

// Clear retires every rule.
func (r *Rules[T, P]) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = nil
}

// Pick applies the first rule that matches and wins its probability draw,
// and returns a copy of it as applied.
func (r *Rules[T, P]) Pick(matches func(*T) bool) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.list {
		if !matches(f) {
			continue
		}
		t := f.Tally()
		if t.Probability > 0 && r.rng.Float64() >= t.Probability {
			continue
		}
		*t.Applied++
		picked := *f
		if t.Count > 0 && *t.Applied >= t.Count {
			r.list = slices.Delete(r.list, i, i+1)
		}
		return picked, true
	}
	var zero T
	return zero, false
}
