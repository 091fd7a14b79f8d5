// Package libcheck holds the built-in conformance scenarios `annex
// validate` runs after its static checks (the README's CLI reference): for one library
// profile, a fresh world (engine, SFTP server and the mock of the profile's
// system, on ephemeral ports and a temp directory) drives the standard flow
// — request file in, CheckOutItem on retrieval, CheckInItem on refile,
// CancelRequestItem for an item the facility does not hold — and each
// scenario's outcome is told in a support person's terms: what was checked,
// what the mock answered and why (its closest-miss explanation), which
// profile field is at fault, where it is written, and what to change.
//
// The library side the mock plays is either a mock ALMA or mock ALEPH
// configuration (LoadLibrary: the real library's settings, so the scenarios
// check the profile against them) or, without one, derived from the profile
// itself: the mock then agrees with the profile on every code, and the
// scenarios check the engine's messages, style and flow only.
//
// The scenarios are Go functions rather than scenario files: they are
// parameterised by the profile (its collections, desks and stops decide
// how many items and requests there are), and their failures are mapped to
// profile fields, which a generic expectation cannot do.
package libcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/world"
)

// Status of a scenario.
type Status string

// Statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Result is the outcome of one conformance scenario.
type Result struct {
	// Profile and File name the profile the scenario ran with.
	Profile, File string
	// Name says what the scenario checks, as a sentence without a subject.
	Name   string
	Status Status
	// Problem is what went wrong (or, when skipped, why it did not run).
	Problem string
	// Why is the mock's explanation of the request that came nearest (its closest miss).
	Why string
	// Field is the profile field at fault ("" when it is not the profile's),
	// Where its FILE:LINE:COL, and Fix what to change, in the profile or in ALMA/ALEPH.
	Field, Where, Fix string
	Duration          time.Duration
}

// Line is the report line: "✓ checked …", "✗ …: problem — why: fix (where)"
// or "- not checked …: reason". LineAfter shortens a repeated cause.
func (r Result) Line() string {
	switch r.Status {
	case Passed:
		return "✓ checked " + r.Name
	case Skipped:
		return "- not checked " + r.Name + ": " + r.Problem
	}
	return "✗ " + r.Name + ": " + r.Cause()
}

// Cause is a failure's problem, why and fix, with where the fix goes.
func (r Result) Cause() string {
	var b strings.Builder
	b.WriteString(r.Problem)
	if r.Why != "" {
		b.WriteString(" — " + r.Why)
	}
	if r.Fix != "" {
		b.WriteString(": " + r.Fix)
	}
	if r.Where != "" {
		b.WriteString(" (" + r.Where + ")")
	}
	return b.String()
}

// LineAfter is Line, but a failure whose cause is the previous failure's
// says so instead of repeating it.
func (r Result) LineAfter(prev *Result) string {
	if r.Status == Failed && prev != nil && prev.Status == Failed && prev.Cause() == r.Cause() {
		return "✗ " + r.Name + ": the same cause as above"
	}
	return r.Line()
}

// Library is the library side the mocks play: a mock ALMA or a mock ALEPH
// configuration, read from File.
type Library struct {
	File  string
	ALMA  *alma.Config
	ALEPH *aleph.Config
}

// System is profile.SystemALMA or profile.SystemALEPH.
func (l Library) System() string {
	if l.ALMA != nil {
		return profile.SystemALMA
	}
	return profile.SystemALEPH
}

// LoadLibrary reads a mock ALMA or mock ALEPH configuration. Both loaders
// refuse unknown keys, and the two shapes share none at the top of the
// state, so the one that accepts the file tells which system it describes.
func LoadLibrary(path string) (Library, error) {
	a, errALMA := alma.LoadConfig(path)
	if errALMA == nil {
		return Library{File: path, ALMA: &a}, nil
	}
	b, errALEPH := aleph.LoadConfig(path)
	if errALEPH == nil {
		return Library{File: path, ALEPH: &b}, nil
	}
	var pe *os.PathError
	if errors.As(errALMA, &pe) {
		return Library{}, fmt.Errorf("load library: %w", pe)
	}
	return Library{}, fmt.Errorf("load library: %s is neither a mock ALMA configuration (%v) nor a mock ALEPH one (%v)", path, errALMA, errALEPH)
}

// Options configure Run.
type Options struct {
	// Libraries are the library sides given; a profile uses the one of its
	// system that names its institution or agency, else the first of its
	// system, else one derived from the profile.
	Libraries []Library
	// Facility, when set, gives the facility's circulation stops.
	Facility *profile.Facility
	// TempDir is where the worlds' data directories go; "" means os.TempDir.
	TempDir string
	// Timeout bounds one profile's scenarios; 0 means 30s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Run runs the conformance scenarios of one profile (already loaded and
// statically valid). The description says which library side was used.
func Run(ctx context.Context, p profile.Profile, o Options) (results []Result, description string) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	lib := pickLibrary(p, o.Libraries)
	r := &run{p: p, o: o, lib: lib}
	switch p.System {
	case profile.SystemALMA:
		if lib.ALMA == nil {
			lib.ALMA = deriveALMA(p)
		}
		results = r.alma(ctx, *lib.ALMA)
		description = "ALMA"
	case profile.SystemALEPH:
		if lib.ALEPH == nil {
			lib.ALEPH = deriveALEPH(p)
		}
		results = r.aleph(ctx, *lib.ALEPH)
		description = "ALEPH"
	default:
		return nil, "no scenarios for system " + p.System
	}
	if lib.File != "" {
		description += " as " + lib.File + " configures it"
	} else {
		description += " derived from the profile (it agrees with the profile's codes by construction; give --library FILE to check them against the library's settings)"
	}
	for i := range results {
		results[i].Profile, results[i].File = p.Name, p.File
	}
	return results, description
}

// pickLibrary chooses the library side for a profile.
func pickLibrary(p profile.Profile, libs []Library) Library {
	var first *Library
	for i := range libs {
		l := &libs[i]
		if l.System() != p.System {
			continue
		}
		if first == nil {
			first = l
		}
		switch {
		case l.ALMA != nil && p.ALMA != nil && strings.EqualFold(l.ALMA.State.Institution, p.ALMA.ToAgency):
			return *l
		case l.ALEPH != nil && p.ALEPH != nil:
			for _, port := range l.ALEPH.Ports {
				if strings.EqualFold(port.Agency, p.ALEPH.ToAgency) {
					return *l
				}
			}
		}
	}
	if first != nil {
		return *first
	}
	return Library{}
}

// run is one profile's scenarios in progress.
type run struct {
	p   profile.Profile
	o   Options
	lib Library
	// deskLibs are the ALMA libraries the desk scenarios run for.
	deskLibs []string
}

func (o Options) timeout() time.Duration { return cmp.Or(o.Timeout, 30*time.Second) }

// outOfTime is why the scenarios left when the time ran out were not run.
func (r *run) outOfTime() string {
	return fmt.Sprintf("the scenarios ran out of time (%s for one profile's scenarios)", r.o.timeout())
}

// fail fills a result's failure, locating the field in the profile.
func (r *run) fail(res *Result, problem, why string, fix fix) {
	res.Status, res.Problem, res.Why = Failed, problem, why
	res.Field, res.Fix = fix.field(), fix.text
	if len(fix.path) > 0 {
		res.Where = r.p.Where(fix.field())
	}
}

// why explains a Problem whose text (see almaProblem, alephProblem) names
// the element and value already: the mock's structured miss says only what
// was wanted, and why; its free text otherwise.
func why(ex journal.Exchange) string {
	if ex.Miss != nil {
		return ex.Miss.Expected()
	}
	return ex.ClosestMiss
}

// fix is what to change: the profile field (as a path of keys) and the advice.
type fix struct {
	path []string
	text string
}

func (f fix) field() string { return profile.FieldPath(f.path...) }

// moved does a floor operation on an item, "retrieve" or "refile", and
// waits until the NCIP message it sends the library (CheckOutItem,
// CheckInItem) is delivered; otherwise it fails res and reports false.
func (r *run) moved(ctx context.Context, res *Result, eng *engine.Engine, verb, barcode string) bool {
	op, service := eng.Retrieve, "CheckOutItem"
	if verb == "refile" {
		op, service = eng.Refile, "CheckInItem"
	}
	if err := op(ctx, barcode); err != nil {
		r.fail(res, "the facility could not "+verb+" the item: "+err.Error(), "", fix{})
		return false
	}
	if err := eng.WaitIdle(ctx); err != nil {
		r.fail(res, "the "+service+" was not delivered: "+err.Error(), "", fix{})
		return false
	}
	return true
}

// conformance decides the conformance scenario from every NCIP message a
// library system (ALMA, ALEPH) received, as its journal j holds them: the
// first that wrong finds at fault (it returns why; "" when the message is
// right) fails it as not conformant to version, with the fix; no message
// at all leaves it skipped.
func (r *run) conformance(rconf *Result, j *journal.Journal, system, version string, wrong func(journal.Exchange) string, fx fix) {
	sent := 0
	for _, ex := range j.All() {
		if ex.Direction != "in" || ex.Service == "" {
			continue
		}
		sent++
		if why := wrong(ex); why != "" && rconf.Status == "" {
			r.fail(rconf, fmt.Sprintf("the facility's %s is not conformant %s", ex.Service, version), why, fx)
		}
	}
	if sent == 0 && rconf.Status == "" {
		rconf.Status, rconf.Problem = Skipped, "no message reached "+system
	}
	if rconf.Status == "" {
		rconf.Status = Passed
	}
}

// startWorld starts the mocks and an engine for one profile in a temporary
// directory; the returned stop closes the world and removes the directory.
// On failure every undecided result is marked with why nothing could run.
func (r *run) startWorld(ctx context.Context, results []Result, inv []profile.InventoryItem, opts world.Options) (*world.World, func(), bool) {
	dir, err := os.MkdirTemp(r.o.TempDir, "annex-validate-")
	if err != nil {
		notRun(results, "cannot run: "+err.Error())
		return nil, nil, false
	}
	opts.Facility, opts.DataDir, opts.Logger, opts.Ephemeral = r.facility(inv), dir, r.logger(), true
	w, err := world.Start(ctx, opts)
	if err != nil {
		os.RemoveAll(dir)
		notRun(results, "the mocks could not start: "+err.Error())
		return nil, nil, false
	}
	return w, func() { w.Close(); os.RemoveAll(dir) }, true
}

func (r *run) logger() *slog.Logger {
	return cmp.Or(r.o.Logger, slog.New(slog.DiscardHandler))
}

// facility is the facility the world runs: the given one's stops, the
// scenario's inventory, and a key nobody needs (the scenarios call the engine in-process).
func (r *run) facility(inv []profile.InventoryItem) profile.Facility {
	f := profile.Facility{Name: "annex validate", APIKey: "annex-validate-facility-key", Inventory: inv}
	if r.o.Facility != nil {
		f.Stops = r.o.Facility.Stops
	}
	return f
}

// notRun marks every result not yet decided as failed for one shared reason
// (the world did not start, the time ran out).
func notRun(results []Result, problem string) {
	for i := range results {
		if results[i].Status == "" {
			results[i].Status, results[i].Problem = Failed, problem
		}
	}
}

// skipRest marks every result not yet decided as skipped.
func skipRest(results []Result, reason string) {
	for i := range results {
		if results[i].Status == "" {
			results[i].Status, results[i].Problem = Skipped, reason
		}
	}
}
