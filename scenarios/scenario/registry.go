package scenario

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/annexlab/annex/internal/suggest"
)

// Action is a decoded step: its fields come from the step's YAML, and Run
// does the work in a scenario's world. An Action that fails returns an error;
// a *Failure carries a diff and the mock's closest miss for the report.
type Action interface {
	Run(ctx context.Context, env *Env) error
}

// Validator is implemented by actions whose fields depend on each other;
// Validate runs right after decoding, so the error is reported before
// anything runs, at the step's position.
type Validator interface {
	Validate() error
}

// Kind is one step kind in the registry (the venom model): a name, one line
// of documentation, and a constructor of the action's zero value, into which
// the step's YAML is decoded strictly.
type Kind struct {
	Name string
	Doc  string
	New  func() Action
}

// Registry maps step names to kinds. Build it with NewRegistry and Register;
// it is read-only once scenarios are decoded.
type Registry struct {
	kinds map[string]Kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: map[string]Kind{}} }

// Register adds kinds; a name registered twice is a programming error.
func (r *Registry) Register(kinds ...Kind) error {
	for _, k := range kinds {
		if k.Name == "" || k.New == nil {
			return fmt.Errorf("register step kind %q: name and constructor are required", k.Name)
		}
		if _, dup := r.kinds[k.Name]; dup {
			return fmt.Errorf("register step kind %q: registered twice", k.Name)
		}
		r.kinds[k.Name] = k
	}
	return nil
}

// Lookup finds a kind by name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Kinds lists the registered kinds, sorted by name.
func (r *Registry) Kinds() []Kind {
	var out []Kind
	for _, k := range r.kinds {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Kind) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// closest suggests the registered name nearest to a misspelt one, within
// three edits; of names equally near, the first in sorted order.
func (r *Registry) closest(name string) string {
	names := slices.Sorted(maps.Keys(r.kinds))
	return suggest.Within(name, names, 3)
}
