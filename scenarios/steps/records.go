package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/scenarios/scenario"
)

// field is one key of an expectation beside the value found: want is what
// the scenario gave ("" when it gave nothing, which any value meets).
type field struct {
	key, want, got string
	// part accepts a want that is part of got (reasons, messages).
	part bool
}

// unmet lists the fields given and not met, one "key is …, want …" each.
func unmet(fields ...field) []string {
	var bad []string
	for _, f := range fields {
		if f.want != "" && f.got != f.want && !(f.part && strings.Contains(f.got, f.want)) {
			bad = append(bad, fmt.Sprintf("%s is %q, want %q", f.key, f.got, f.want))
		}
	}
	return bad
}

// record is what an expectation on one record reads of the record it found.
type record struct {
	// state is how the record stands, named when it should be absent.
	state string
	// fields are the expectation's keys beside the record's values.
	fields []field
	// whole describes the record in full, shown beside a mismatch ("" for nothing).
	whole string
}

// lookup is an expectation on one record, found by its key: the record
// must be absent, or be there with every given field as expected.
type lookup[T any] struct {
	step, key string
	absent    bool
	// match finds the record; read tells what it holds.
	match func(T) bool
	read  func(T) record
	// none is the failure when no record matches.
	none string
}

// check is the find-then-compare shared by the record expectations.
func (l lookup[T]) check(rows []T) error {
	i := slices.IndexFunc(rows, l.match)
	switch {
	case i < 0 && l.absent:
		return nil
	case i < 0:
		return scenario.Failf("%s: %s", l.step, l.none)
	}
	r := l.read(rows[i])
	if l.absent {
		return scenario.Failf("%s %s: want it gone, it is %s", l.step, l.key, r.state)
	}
	if bad := unmet(r.fields...); len(bad) > 0 {
		return &scenario.Failure{Msg: fmt.Sprintf("%s %s: %s", l.step, l.key, strings.Join(bad, "; ")), Diff: r.whole}
	}
	return nil
}

// engineRows reads one of the engine's tables for an expectation (read is
// the table's Engine method: Requests, Alerts, Files, Outbox), once the
// outbox has settled so what it reads is final.
func engineRows[T any](ctx context.Context, env *scenario.Env, step string, read func(*engine.Engine, context.Context) ([]T, error)) ([]T, error) {
	if err := idle(ctx, env, step); err != nil {
		return nil, err
	}
	return engineRowsNow(ctx, env, step, read)
}

// engineRowsNow is engineRows without waiting for the outbox to settle.
func engineRowsNow[T any](ctx context.Context, env *scenario.Env, step string, read func(*engine.Engine, context.Context) ([]T, error)) ([]T, error) {
	rows, err := read(env.World.Engine, ctx)
	if err != nil {
		return nil, scenario.Failf("%s: %v", step, err)
	}
	return rows, nil
}

// tally goes through the rows a counting expectation looks at: it counts
// those match accepts and shows every row, for the failure's listing.
func tally[T any](rows []T, show func(T) string, match func(T) bool) (n int, shown []string) {
	for _, r := range rows {
		shown = append(shown, show(r))
		if match(r) {
			n++
		}
	}
	return n, shown
}

// counted reports whether n matching rows meet a count: the count given,
// or at least one when none is.
func counted(want *int, n int) bool {
	if want == nil {
		return n > 0
	}
	return n == *want
}

// listing is the failure's view of every row an expectation looked at.
func listing(title string, rows []string) string {
	return title + ":\n  " + strings.Join(rows, "\n  ")
}
