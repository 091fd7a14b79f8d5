// Package runner runs scenario files, each in its own world (fresh engine,
// store, SFTP server and mocks on ephemeral ports and a temp directory), in
// parallel, and reports what happened: a line per scenario, JUnit XML, and a
// self-contained HTML report with a sequence diagram per scenario.
package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/world"
	"github.com/annexlab/annex/simulators/journal"
)

// Clock is the fixed time of every world, so the engine's and the mocks'
// output (due dates, file names) is the same on every run.
func Clock() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

// Options configure a run.
type Options struct {
	Registry *scenario.Registry
	// Update rewrites golden files that differ (annex run --update).
	Update bool
	// Parallel bounds how many scenarios run at once; 0 means GOMAXPROCS.
	Parallel int
	// Logger receives the worlds' logs; nil discards them.
	Logger *slog.Logger
	// Clock is the worlds' clock; nil means Clock.
	Clock func() time.Time
}

// Status of a scenario run.
type Status string

// Statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	// Errored is a scenario file that cannot be read or decoded: it did not run.
	Errored Status = "errored"
)

// Result is what became of one scenario.
type Result struct {
	File        string
	Name        string
	Description string
	Labels      []string
	Status      Status
	Duration    time.Duration
	// Setup is the time the world took to start; Steps the time the steps took.
	Setup, Steps time.Duration
	// Failure is set when Status is Failed.
	Failure *Failure
	// Exchanges are what crossed the wires, in order, for the report.
	Exchanges []Exchange
	// Updated are the golden files rewritten.
	Updated []string
	// Error is set when Status is Errored: why the file cannot be read, one
	// FILE:LINE:COL: message per line.
	Error string
}

// Unreadable is the result of a scenario file that cannot be read or
// decoded: an errored test case named after the file.
func Unreadable(file string, err error) Result {
	return Result{File: file, Name: file, Status: Errored, Error: strings.TrimRight(err.Error(), "\n")}
}

// Failure says where and why a scenario failed.
type Failure struct {
	// Step is the failing step's number (0: the world did not start).
	Step  int
	Kind  string
	Where string // FILE:LINE
	Msg   string
	Diff  string
	// Journal is the mocks' journal around the failing step, one line per exchange.
	Journal []string
	// ClosestMiss is the mock's explanation of the request that came nearest.
	ClosestMiss string
}

// Line is the one-line summary `annex run` prints.
func (r Result) Line() string {
	switch r.Status {
	case Passed:
		return fmt.Sprintf("PASS %s (%s, %s)", r.Name, r.File, roundDur(r.Duration))
	case Skipped:
		return fmt.Sprintf("SKIP %s (%s)", r.Name, r.File)
	case Errored:
		first, _, _ := strings.Cut(r.Error, "\n")
		if !strings.HasPrefix(first, r.File+":") {
			first = r.File + ": " + first
		}
		return "ERROR " + first
	}
	f := r.Failure
	if f.Step == 0 {
		return fmt.Sprintf("FAIL %s: %s", r.Name, f.Msg)
	}
	return fmt.Sprintf("FAIL %s: step %d (%s): %s", r.Name, f.Step, f.Where, f.Msg)
}

// Text is the failure's message, led by the step kind once: step messages
// usually start with their kind already.
func (f *Failure) Text() string {
	if f.Kind == "" || strings.HasPrefix(f.Msg, f.Kind) {
		return f.Msg
	}
	return f.Kind + ": " + f.Msg
}

// Details is the failure's full text: message, diff, closest miss, journal.
func (f *Failure) Details() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: step %d: %s\n", f.Where, f.Step, f.Text())
	if f.Diff != "" {
		b.WriteString(indent(strings.TrimRight(f.Diff, "\n")))
		b.WriteByte('\n')
	}
	if f.ClosestMiss != "" {
		fmt.Fprintf(&b, "closest miss: %s\n", f.ClosestMiss)
	}
	if len(f.Journal) > 0 {
		b.WriteString("journal around the step:\n")
		for _, l := range f.Journal {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func roundDur(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// Collect lists the scenario files under paths: files as given, folders
// recursively (*.yaml and *.yml), sorted, each once.
func Collect(paths []string) ([]string, error) {
	files, err := CollectFiles(paths)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out, nil
}

// File is a collected scenario file.
type File struct {
	// Path is the file as it is opened.
	Path string
	// Key is the path relative to the folder argument it was found under
	// (slash-separated; a file argument is its own key): the same file has
	// the same key however the folder is spelled, which keeps shards stable.
	Key string
}

// CollectFiles is Collect with each file's shard key.
func CollectFiles(paths []string) ([]File, error) {
	var out []File
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("collect scenarios: %w", err)
		}
		if !st.IsDir() {
			out = append(out, File{Path: p, Key: filepath.ToSlash(filepath.Clean(p))})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				rel, err := filepath.Rel(p, path)
				if err != nil {
					return err
				}
				out = append(out, File{Path: path, Key: filepath.ToSlash(rel)})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("collect scenarios: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return slices.CompactFunc(out, func(a, b File) bool { return a.Path == b.Path }), nil
}

// LoadAll decodes scenario files; every file that fails is reported.
func LoadAll(files []string, reg *scenario.Registry, opts scenario.Options) ([]*scenario.Scenario, []error) {
	var scs []*scenario.Scenario
	var errs []error
	for _, f := range files {
		sc, err := scenario.Load(f, reg, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		scs = append(scs, sc)
	}
	return scs, errs
}

// Run runs scenarios in parallel and calls done (serially) as each finishes.
// It returns the results in the order of scs.
func Run(ctx context.Context, scs []*scenario.Scenario, opts Options, done func(Result)) []Result {
	n := cmp.Or(opts.Parallel, runtime.GOMAXPROCS(0))
	results := make([]Result, len(scs))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, sc := range scs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := RunOne(ctx, sc, opts)
			results[i] = r
			if done != nil {
				mu.Lock()
				done(r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

// RunOne runs one scenario in a world of its own.
func RunOne(ctx context.Context, sc *scenario.Scenario, opts Options) (res Result) {
	start := time.Now()
	res = Result{File: sc.File, Name: sc.Name, Description: sc.Description, Labels: sc.Labels, Status: Passed}
	defer func() { res.Duration = time.Since(start) }()
	fail := func(f *Failure) { res.Status, res.Failure = Failed, f }
	dir, err := os.MkdirTemp("", "annex-scenario-*")
	if err != nil {
		fail(&Failure{Where: sc.File, Msg: err.Error()})
		return res
	}
	defer os.RemoveAll(dir)
	clock := opts.Clock
	if clock == nil {
		clock = Clock
	}
	w, err := world.Start(ctx, world.Options{Facility: sc.Facility, Profiles: sc.Profiles, ALMA: sc.ALMA, ALEPH: sc.ALEPH, Mail: sc.Mail,
		DataDir: dir, Clock: clock, Logger: opts.Logger, Ephemeral: true})
	if err != nil {
		fail(&Failure{Where: sc.File, Msg: "start world: " + err.Error()})
		return res
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	env := &scenario.Env{Scenario: sc, World: w, Update: opts.Update, Log: opts.Logger, HTTP: &http.Client{Transport: tr}}
	res.Setup = time.Since(start)
	marks := newMarks(w)
	for _, st := range sc.Steps {
		env.Step = st
		marks.begin(st.Index)
		sctx, cancel := context.WithTimeout(ctx, st.Timeout)
		err := st.Action.Run(sctx, env)
		if err != nil && errors.Is(sctx.Err(), context.DeadlineExceeded) {
			err = timedOut(err, st.Timeout)
		}
		cancel()
		if err != nil {
			f := &Failure{Step: st.Index, Kind: st.Kind, Where: sc.Where(st), Msg: err.Error()}
			var sf *scenario.Failure
			if errors.As(err, &sf) {
				f.Diff, f.ClosestMiss = sf.Diff, sf.ClosestMiss
			}
			f.Journal, f.ClosestMiss = marks.around(st.Index, f.ClosestMiss)
			fail(f)
			break
		}
	}
	res.Steps = time.Since(start) - res.Setup
	res.Exchanges = exchanges(env, marks)
	res.Updated = env.Updated()
	tr.CloseIdleConnections()
	if err := w.Close(); err != nil && res.Status == Passed {
		// A world that cannot shut down cleanly is a bug worth a red line.
		fail(&Failure{Where: sc.File, Msg: "close world: " + err.Error()})
	}
	return res
}

// timedOut says in the scenario's terms that a step ran out of time: Go's
// bare "context deadline exceeded" names neither the limit nor the knob.
func timedOut(err error, limit time.Duration) error {
	said := fmt.Sprintf("no result within the step's timeout of %s (give the step a longer `timeout:`)", limit)
	msg := strings.ReplaceAll(err.Error(), context.DeadlineExceeded.Error(), said)
	if msg == err.Error() {
		return err // the step said it in its own words
	}
	var sf *scenario.Failure
	if errors.As(err, &sf) {
		f := *sf
		f.Msg = msg
		return &f
	}
	return errors.New(msg)
}

// marks remembers which journal entries appeared during which step.
type marks struct {
	w     *world.World
	steps map[string][]stepMark // per simulator: the last journal ID seen when a step began
}

type stepMark struct {
	step int
	id   int64
}

func newMarks(w *world.World) *marks { return &marks{w: w, steps: map[string][]stepMark{}} }

func (m *marks) journals() map[string]*journal.Journal {
	js := map[string]*journal.Journal{}
	if m.w.ALMA != nil {
		js["alma"] = m.w.ALMA.Journal()
	}
	if m.w.ALEPH != nil {
		js["aleph"] = m.w.ALEPH.Journal()
	}
	return js
}

func (m *marks) begin(step int) {
	for name, j := range m.journals() {
		m.steps[name] = append(m.steps[name], stepMark{step, j.LastID()})
	}
}

// stepOf is the step during which a journal entry appeared.
func (m *marks) stepOf(sim string, id int64) int {
	step := 0
	for _, s := range m.steps[sim] {
		if id > s.id {
			step = s.step
		}
	}
	return step
}

// around lists the exchanges of the failing step and the one before it,
// and finds a closest miss among them when the step had none to give:
// only from a request the mock did not answer with success, since a note
// on an exchange that worked does not explain a failure.
func (m *marks) around(step int, miss string) ([]string, string) {
	var lines []string
	for _, name := range []string{"alma", "aleph"} {
		j := m.journals()[name]
		if j == nil {
			continue
		}
		for _, e := range j.All() {
			if s := m.stepOf(name, e.ID); s < step-1 {
				continue
			}
			lines = append(lines, journalLine(name, e))
			if miss == "" && e.ClosestMiss != "" && e.Direction == "in" && failed(e) {
				miss = fmt.Sprintf("%s exchange %d (%s): %s", name, e.ID, e.Service, e.ClosestMiss)
			}
		}
	}
	return lines, miss
}

// failed reports whether the mock did not answer e with success.
func failed(e journal.Exchange) bool {
	return e.Fault != "" || e.Error != "" || len(e.Problems) > 0 || e.Status >= 400
}

func journalLine(sim string, e journal.Exchange) string {
	what := cmp.Or(e.Service, e.Transport)
	reply := "ok"
	switch {
	case e.Fault != "":
		reply = "fault " + e.Fault
	case e.Error != "":
		reply = "error: " + e.Error
	case len(e.Problems) > 0:
		reply = "Problem " + strings.Join(e.Problems, ", ")
	}
	s := fmt.Sprintf("%s #%d %s %s %s → %s", sim, e.ID, e.Direction, e.Transport, what, reply)
	if e.ClosestMiss != "" {
		s += " (closest miss: " + e.ClosestMiss + ")"
	}
	for _, f := range e.Findings {
		s += " [" + f.String() + "]"
	}
	return s
}
