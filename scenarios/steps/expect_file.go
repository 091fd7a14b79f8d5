package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/scenarios/scenario"
)

// ExpectFile checks the request files the engine claimed.
type ExpectFile struct {
	// Status is what became of the file.
	Status string `yaml:"status"`
	// Name is a substring of the file's original name.
	Name string `yaml:"name"`
	// Reason is a substring of the rejection reason.
	Reason string `yaml:"reason"`
	// Accepted is how many of the file's requests were accepted (not given: any).
	Accepted *int `yaml:"accepted"`
	// Denied is how many of the file's requests were denied (not given: any).
	Denied *int `yaml:"denied"`
	// Count is how many files must match (not given: at least one).
	Count *int `yaml:"count"`
}

// ExpectFile registers expect.file.
func (catalog) ExpectFile() scenario.Kind {
	return scenario.Kind{Name: "expect.file", Doc: "request files the engine claimed and what became of them", New: func() scenario.Action { return &ExpectFile{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectFile) Validate() error {
	if x.Status != "" {
		return oneOf("status", x.Status, store.FileProcessed, store.FileRejected)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectFile) Run(ctx context.Context, env *scenario.Env) error {
	files, err := engineRows(ctx, env, "expect.file", (*engine.Engine).Files)
	if err != nil {
		return err
	}
	n, seen := tally(files, func(f store.File) string {
		return fmt.Sprintf("%s: %s (accepted %d, denied %d) %s", f.Original, f.Status, f.Accepted, f.Denied, strings.ReplaceAll(strings.TrimSpace(f.Reason), "\n", "; "))
	}, func(f store.File) bool {
		return (x.Status == "" || f.Status == x.Status) && strings.Contains(f.Original, x.Name) && strings.Contains(f.Reason, x.Reason) &&
			(x.Accepted == nil || f.Accepted == *x.Accepted) && (x.Denied == nil || f.Denied == *x.Denied)
	})
	if counted(x.Count, n) {
		return nil
	}
	want := "at least 1"
	if x.Count != nil {
		want = fmt.Sprint(*x.Count)
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.file: %d files match (status %q, name %q, reason %q), want %s", n, x.Status, x.Name, x.Reason, want),
		Diff: listing("files", seen)}
}
