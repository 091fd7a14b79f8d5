package conform

import (
	"fmt"
	"strings"
)

// This file is the content-model machinery: a small DSL in which the XSD's
// (and the NCIP 1 structure's) content models are written, compiled into a
// Glushkov automaton whose states are the element occurrences of the model.
// Simulating that automaton over an element's children tells exactly where
// they depart from the model, and a shortest-path search over it says what is
// missing, which is what a support person needs to fix the message.

type particleKind uint8

const (
	pElement particleKind = iota
	pSequence
	pChoice
	pWildcard // xs:any
)

// unbounded is maxOccurs="unbounded".
const unbounded = -1

// particle is one node of a content model: an element reference, a sequence,
// a choice or a wildcard, with its minOccurs and maxOccurs.
type particle struct {
	kind     particleKind
	name     string // element name, for pElement
	min, max int    // max is unbounded or ≥ 1
	items    []particle
}

// seq is xs:sequence. Items are particles or element references written as
// "Name", "Name?", "Name*" or "Name+" (minOccurs/maxOccurs 1/1, 0/1, 0/∞, 1/∞),
// which keeps the models (generated for NCIP 2, written for NCIP 1) as short as the XSD reads.
func seq(items ...any) particle { return group(pSequence, items) }

// choice is xs:choice; items as for seq.
func choice(items ...any) particle { return group(pChoice, items) }

// opt sets a group's occurrence to ?.
func opt(p particle) particle { p.min, p.max = 0, 1; return p }

// wildcard is <xs:any minOccurs="0" maxOccurs="unbounded"/>, the content of Ext.
func wildcard() particle { return particle{kind: pWildcard, max: unbounded} }

func group(k particleKind, items []any) particle {
	p := particle{kind: k, min: 1, max: 1}
	for _, it := range items {
		switch v := it.(type) {
		case string:
			p.items = append(p.items, ref(v))
		case particle:
			p.items = append(p.items, v)
		default:
			// The tables are written in this package; a wrong item is a programming error caught by any test.
			panic(fmt.Sprintf("conform: content model item of type %T", it))
		}
	}
	return p
}

func ref(s string) particle {
	p := particle{kind: pElement, min: 1, max: 1}
	switch s[len(s)-1] {
	case '?':
		p.min, p.max = 0, 1
	case '*':
		p.min, p.max = 0, unbounded
	case '+':
		p.min, p.max = 1, unbounded
	}
	p.name = strings.TrimRight(s, "?*+")
	return p
}

// automaton is the Glushkov automaton of a content model. Its states are the
// start state (-1) and the positions, one per element occurrence after
// expanding minOccurs/maxOccurs; being in position p means p's element was the
// last child read.
type automaton struct {
	labels   []string // element name of each position; "" for a wildcard
	first    []int    // positions reachable from the start state
	follow   [][]int  // positions reachable from each position
	final    []bool   // whether the content may end after each position
	nullable bool     // whether the content may be empty
	names    map[string]bool
	// reach[s+1][p] reports whether position p can be read, after one or
	// more steps, from state s: a child that no state can reach is
	// unexpected without a search.
	reach [][]bool
}

type frag struct {
	first, last []int
	nullable    bool
}

func compile(p particle) *automaton {
	a := &automaton{names: map[string]bool{}}
	f := a.occur(p)
	a.first = f.first
	a.nullable = f.nullable
	a.final = make([]bool, len(a.labels))
	for _, l := range f.last {
		a.final[l] = true
	}
	a.reach = make([][]bool, len(a.labels)+1)
	for s := -1; s < len(a.labels); s++ {
		r := make([]bool, len(a.labels))
		todo := append([]int(nil), a.next(s)...)
		for len(todo) > 0 {
			p := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			if !r[p] {
				r[p] = true
				todo = append(todo, a.follow[p]...)
			}
		}
		a.reach[s+1] = r
	}
	return a
}

// reachable reports whether name can be read from one of states after
// reading zero or more other elements first.
func (a *automaton) reachable(states []int, name string) bool {
	for _, s := range states {
		for p, ok := range a.reach[s+1] {
			if ok && a.accepts(p, name) {
				return true
			}
		}
	}
	return false
}

// occur expands minOccurs/maxOccurs into copies of the particle: min required
// copies, then a starred copy or max-min optional ones.
func (a *automaton) occur(p particle) frag {
	if p.max != unbounded && (p.max < p.min || p.max < 1 || p.max > 100) {
		panic(fmt.Sprintf("conform: bad occurrence %d..%d", p.min, p.max))
	}
	if p.min == 1 && p.max == 1 {
		return a.once(p)
	}
	f := frag{nullable: true}
	for i := 0; i < p.min; i++ {
		f = a.cat(f, a.once(p))
	}
	if p.max == unbounded {
		return a.cat(f, a.star(a.once(p)))
	}
	for i := p.min; i < p.max; i++ {
		g := a.once(p)
		g.nullable = true
		f = a.cat(f, g)
	}
	return f
}

func (a *automaton) once(p particle) frag {
	switch p.kind {
	case pElement, pWildcard:
		pos := len(a.labels)
		a.labels = append(a.labels, p.name)
		a.follow = append(a.follow, nil)
		if p.kind == pElement {
			a.names[p.name] = true
		}
		return frag{first: []int{pos}, last: []int{pos}}
	case pSequence:
		f := frag{nullable: true}
		for _, it := range p.items {
			f = a.cat(f, a.occur(it))
		}
		return f
	default: // pChoice
		var f frag
		for _, it := range p.items {
			g := a.occur(it)
			f.first = union(f.first, g.first)
			f.last = union(f.last, g.last)
			f.nullable = f.nullable || g.nullable
		}
		return f
	}
}

func (a *automaton) cat(x, y frag) frag {
	for _, l := range x.last {
		a.follow[l] = union(a.follow[l], y.first)
	}
	f := frag{first: x.first, last: y.last, nullable: x.nullable && y.nullable}
	if x.nullable {
		f.first = union(x.first, y.first)
	}
	if y.nullable {
		f.last = union(x.last, y.last)
	}
	return f
}

func (a *automaton) star(x frag) frag {
	for _, l := range x.last {
		a.follow[l] = union(a.follow[l], x.first)
	}
	x.nullable = true
	return x
}

// union returns the sorted union of two sorted position sets, sharing neither.
func union(x, y []int) []int {
	out := make([]int, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case j == len(y) || (i < len(x) && x[i] < y[j]):
			out = append(out, x[i])
			i++
		case i == len(x) || y[j] < x[i]:
			out = append(out, y[j])
			j++
		default:
			out = append(out, x[i])
			i++
			j++
		}
	}
	return out
}

func (a *automaton) next(state int) []int {
	if state < 0 {
		return a.first
	}
	return a.follow[state]
}

func (a *automaton) isFinal(state int) bool {
	if state < 0 {
		return a.nullable
	}
	return a.final[state]
}

func (a *automaton) accepts(pos int, name string) bool {
	return a.labels[pos] == name || a.labels[pos] == ""
}

// step returns the states reached from any of states by reading name, appended to buf.
func (a *automaton) step(states []int, name string, buf []int) []int {
	buf = buf[:0]
	for _, s := range states {
		for _, p := range a.next(s) {
			if a.accepts(p, name) && !contains(buf, p) {
				buf = append(buf, p)
			}
		}
	}
	return buf
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// issueKind classifies a departure from a content model.
type issueKind uint8

const (
	// issueMissing: the child came too early; the missing elements must come before it.
	issueMissing issueKind = iota
	// issueOrder: like issueMissing, but every missing element comes later among
	// the children, so the children are out of order rather than incomplete.
	issueOrder
	// issueUnexpected: the child at Child cannot come here at all.
	issueUnexpected
	// issueIncomplete: the children ended before the model was satisfied.
	issueIncomplete
)

// issue is one departure from a content model.
type issue struct {
	kind  issueKind
	child int // index of the child at fault; -1 for issueIncomplete
	// missing is the shortest run of elements that would have made the
	// content valid, one set of alternatives per element.
	missing [][]string
	// expected lists, for issueUnexpected, the elements that could have come instead.
	expected []string
	// repeated reports, for issueUnexpected, that an earlier sibling has the same name.
	repeated bool
	// inModel reports, for issueUnexpected, that the name occurs somewhere in the model.
	inModel bool
}

// issueSink receives the issues match finds, as it finds them.
type issueSink interface {
	// detailed reports whether the next issue will be described: when it
	// will not (the report is full), match leaves out what only describes
	// it, so hostile content costs little per child.
	detailed() bool
	issue(is issue)
}

// match simulates the automaton over the children's names. It passes each
// issue found to sink and returns for each child whether a wildcard matched it.
// After a child that came too early it carries on as if the missing elements
// had been there, and it skips a child that cannot come at all, so one mistake
// gives one issue.
func (a *automaton) match(names []string, sink issueSink) (wild []bool) {
	if len(names) == 0 {
		// Empty content, the common case in hostile input, without allocating.
		if !a.nullable {
			a.incomplete(nil, sink)
		}
		return nil
	}
	wild = make([]bool, len(names))
	states := []int{-1}
	var buf []int
	// Both maps are made on the first departure: valid content needs neither.
	var suppressed map[int]bool
	var seen map[string]bool
	// unreadable is a name just found unexpected in the current states: a
	// run of the same stray element (hostile input) costs a comparison each.
	unreadable := ""
	for i, name := range names {
		if name == unreadable && !suppressed[i] {
			if sink.detailed() {
				seen[name] = true
			}
			sink.issue(a.unexpected(states, name, i, true, sink.detailed()))
			continue
		}
		buf = a.step(states, name, buf)
		if len(buf) > 0 {
			states, buf = buf, states
			unreadable = ""
			wild[i] = a.labels[states[0]] == ""
			if seen != nil && sink.detailed() {
				seen[name] = true
			}
			continue
		}
		if suppressed == nil {
			seen, suppressed = map[string]bool{}, map[int]bool{}
			for _, n := range names[:i] {
				seen[n] = true
			}
		}
		// seen only describes issues: once the report is full, it is left behind.
		detailed := sink.detailed()
		repeated := detailed && seen[name]
		if detailed {
			seen[name] = true
		}
		if suppressed[i] {
			// Already reported as out of order.
			continue
		}
		if a.reachable(states, name) {
			is, goals := a.missing(states, names, i, suppressed)
			sink.issue(is)
			states = append([]int(nil), a.step(goals, name, buf)...)
			unreadable = ""
			wild[i] = a.labels[states[0]] == ""
			continue
		}
		sink.issue(a.unexpected(states, name, i, repeated, detailed))
		unreadable = name
	}
	for _, s := range states {
		if a.isFinal(s) {
			return wild
		}
	}
	a.incomplete(states, sink)
	return wild
}

// incomplete reports content that ended in states (nil: the start state)
// before the model was satisfied.
func (a *automaton) incomplete(states []int, sink issueSink) {
	is := issue{kind: issueIncomplete, child: -1}
	if sink.detailed() {
		if states == nil {
			states = []int{-1}
		}
		is.missing, _ = a.shortest(states, a.isFinal)
	}
	sink.issue(is)
}

// unexpected describes child i, name, which cannot be read from states;
// the elements that could have come instead only when detailed.
func (a *automaton) unexpected(states []int, name string, i int, repeated, detailed bool) issue {
	is := issue{kind: issueUnexpected, child: i, inModel: a.names[name], repeated: repeated}
	if detailed {
		for _, s := range states {
			for _, p := range a.next(s) {
				is.expected = appendName(is.expected, a.labels[p])
			}
		}
	}
	return is
}

// missing describes names[i], which came too early: the elements missing
// before it, or the later children that belong before it. It returns the
// states from which names[i] is read once the missing elements are in place.
func (a *automaton) missing(states []int, names []string, i int, suppressed map[int]bool) (issue, []int) {
	name := names[i]
	layers, goals := a.shortest(states, func(s int) bool {
		for _, p := range a.next(s) {
			if a.accepts(p, name) {
				return true
			}
		}
		return false
	})
	is := issue{kind: issueMissing, child: i, missing: layers}
	if later := laterIndexes(layers, names[i+1:min(i+1+orderWindow, len(names))], i+1); later != nil {
		is.kind = issueOrder
		is.missing = nil
		for _, j := range later {
			suppressed[j] = true
			is.missing = append(is.missing, []string{names[j]})
		}
	}
	return is, goals
}

// orderWindow bounds how far ahead match looks for a missing element that
// comes later, so that hostile input with many children stays linear.
const orderWindow = 32

// laterIndexes returns, when every step of missing has an alternative among
// later (whose first index is base), the index of the first such child per step.
func laterIndexes(missing [][]string, later []string, base int) []int {
	var idx []int
	for _, alts := range missing {
		found := -1
		for j, n := range later {
			for _, alt := range alts {
				if alt == n && !contains(idx, base+j) {
					found = base + j
					break
				}
			}
			if found >= 0 {
				break
			}
		}
		if found < 0 {
			return nil
		}
		idx = append(idx, found)
	}
	return idx
}

func appendName(names []string, name string) []string {
	for _, n := range names {
		if n == name {
			return names
		}
	}
	return append(names, name)
}

// shortest finds the fewest elements to read from states to reach a state
// satisfying goal. It returns, per element to read, the names on any shortest
// path, and the goal states reached (nil when none is reachable, or when a
// state in states already satisfies goal).
func (a *automaton) shortest(states []int, goal func(int) bool) (layers [][]string, goals []int) {
	n := len(a.labels) + 1 // index 0 is the start state
	dist := make([]int, n)
	for i := range dist {
		dist[i] = -1
	}
	frontier := append([]int(nil), states...)
	for _, s := range frontier {
		dist[s+1] = 0
	}
	var levels [][]int
	for d := 0; len(frontier) > 0; d++ {
		levels = append(levels, frontier)
		for _, s := range frontier {
			if goal(s) {
				goals = append(goals, s)
			}
		}
		if goals != nil {
			if d == 0 {
				return nil, nil
			}
			break
		}
		var next []int
		for _, s := range frontier {
			for _, p := range a.next(s) {
				if dist[p+1] < 0 {
					dist[p+1] = d + 1
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	if goals == nil {
		return nil, nil
	}
	// Walk back from the goals, keeping the states on some shortest path.
	onPath := goals
	layers = make([][]string, len(levels)-1)
	for d := len(levels) - 1; d >= 1; d-- {
		var names []string
		for _, p := range sortedInts(onPath) {
			names = appendName(names, a.labels[p])
		}
		layers[d-1] = names
		var prev []int
		for _, s := range levels[d-1] {
			for _, p := range a.next(s) {
				if contains(onPath, p) {
					prev = append(prev, s)
					break
				}
			}
		}
		onPath = prev
	}
	return layers, goals
}

func sortedInts(xs []int) []int {
	out := append([]int(nil), xs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
