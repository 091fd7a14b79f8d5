package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/world"
)

// Env is what a step runs against: the scenario's world and the run's
// settings. Steps record the exchanges they make themselves (an SFTP upload,
// a REST call) with Record, for the report.
type Env struct {
	Scenario *Scenario
	World    *world.World
	// Update rewrites golden files that differ instead of failing.
	Update bool
	Log    *slog.Logger
	// HTTP is the client for the mocks' inspection APIs and REST steps.
	HTTP *http.Client
	// Step is the step running now.
	Step Step

	mu      sync.Mutex
	events  []Event
	updated []string
	// own are journal IDs of exchanges the scenario made itself (not the
	// engine), per simulator, so the report draws them from the right column.
	own map[string]map[int64]bool
}

// LaneFloor is the report's lifeline of the facility's floor staff, who
// retrieve, refile, accession and mark items missing.
const LaneFloor = "floor"

// Event is an exchange the scenario itself made, for the report.
type Event struct {
	Time     time.Time
	Step     int
	From, To string
	Label    string
	Request  []byte
	Response []byte
	Status   string
	Failed   bool
}

// Record adds an exchange the scenario made.
func (e *Env) Record(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Step = e.Step.Index
	e.events = append(e.events, ev)
}

// Events returns the recorded exchanges.
func (e *Env) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// Own marks a simulator's journal entry as made by the scenario.
func (e *Env) Own(sim string, id int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.own == nil {
		e.own = map[string]map[int64]bool{}
	}
	if e.own[sim] == nil {
		e.own[sim] = map[int64]bool{}
	}
	e.own[sim][id] = true
}

// IsOwn reports whether a journal entry was made by the scenario.
func (e *Env) IsOwn(sim string, id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.own[sim][id]
}

// Updated lists the golden files rewritten in this run.
func (e *Env) Updated() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.updated...)
}

// NoteUpdated records a rewritten golden file.
func (e *Env) NoteUpdated(path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.updated = append(e.updated, path)
}

// Profile returns the scenario's first profile of a system (alma or aleph).
func (e *Env) Profile(system string) *profile.Profile {
	for i := range e.Scenario.Profiles {
		if e.Scenario.Profiles[i].System == system {
			return &e.Scenario.Profiles[i]
		}
	}
	return nil
}

// SystemOf returns the system of a profile name ("" when unknown).
func (e *Env) SystemOf(profileName string) string {
	for _, p := range e.Scenario.Profiles {
		if p.Name == profileName {
			return p.System
		}
	}
	return ""
}

// WaitIdle waits until the engine's outbox has nothing pending.
func (e *Env) WaitIdle(ctx context.Context) error {
	return e.World.Engine.WaitIdle(ctx)
}

// SimJSON calls a mock's inspection API and decodes its JSON answer into out (when not nil).
func (e *Env) SimJSON(ctx context.Context, method, url string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	return nil
}

// Failure is a step's failure with what the report shows next to it: a
// diff (golden or expected vs actual) and the mock's closest miss.
type Failure struct {
	Msg         string
	Diff        string
	ClosestMiss string
}

func (f *Failure) Error() string { return f.Msg }

// Failf returns a *Failure with a message.
func Failf(format string, args ...any) *Failure {
	return &Failure{Msg: fmt.Sprintf(format, args...)}
}
