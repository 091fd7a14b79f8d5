// Package simtest is what the simulators' tests share: a client of the
// /_sim/ inspection API (package simapi) that fails the test where a call
// fails, waiting on the journal, and the checks every simulator's API must
// pass (refusing misspelt input, listing every route in its index).
package simtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/routes/routestest"
	"github.com/annexlab/annex/simulators/journal"
)

// Do sends body to url with method and returns the status and the body of
// the answer.
func Do(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// State reads GET /_sim/state of the simulator at base into a T.
func State[T any](t testing.TB, base string) T {
	t.Helper()
	resp, err := http.Get(base + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st T
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// PutState replaces the state of the simulator at base with doc (YAML or
// JSON).
func PutState(t testing.TB, base, doc string) {
	t.Helper()
	if status, body := Do(t, http.MethodPut, base+"/_sim/state", doc); status != http.StatusOK {
		t.Fatalf("put state: %d %s", status, body)
	}
}

// AddFault installs one fault (JSON) in the simulator at base.
func AddFault(t testing.TB, base, fault string) {
	t.Helper()
	status, body := Do(t, http.MethodPost, base+"/_sim/faults", fault)
	var added []json.RawMessage
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &added) != nil || len(added) != 1 {
		t.Fatalf("add fault: %d %s", status, body)
	}
}

// WaitJournal waits until j holds an exchange matching cond, and returns it.
func WaitJournal(t testing.TB, j *journal.Journal, cond func(journal.Exchange) bool) journal.Exchange {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var found journal.Exchange
	_, err := j.Wait(ctx, func(es []journal.Exchange) bool {
		for _, e := range es {
			if cond(e) {
				found = e
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("journal: no matching exchange: %v", err)
	}
	return found
}

// Find returns the element of list that match accepts, failing the test
// when none does; what names the element sought ("item 3901…").
func Find[T any](t testing.TB, list []T, what string, match func(T) bool) T {
	t.Helper()
	for _, x := range list {
		if match(x) {
			return x
		}
	}
	t.Fatalf("no %s in state", what)
	var zero T
	return zero
}

// Refusal is a call the inspection API must refuse with a 400 whose body
// contains Want. It is an unnamed struct type, so a table of them is
// written in short, positional rows.
type Refusal = struct{ Method, Path, Body, Want string }

// CheckRefusals sends each call to the simulator at base and checks that it
// is refused in the body's terms, never in Go's (a Go type, "pkg." of the
// simulator's package, a YAML tag), and that no fault was installed on
// the way (issue 13 finding 2).
func CheckRefusals(t *testing.T, base, pkg string, calls []Refusal) {
	t.Helper()
	for _, c := range calls {
		status, body := Do(t, c.Method, base+c.Path, c.Body)
		if status != http.StatusBadRequest || !strings.Contains(body, c.Want) {
			t.Errorf("%s %s %s: HTTP %d %s, want 400 with %s", c.Method, c.Path, c.Body, status, body, c.Want)
		}
		for _, goName := range []string{"Go struct", pkg + ".", "faults.", "!!"} {
			if strings.Contains(body, goName) {
				t.Errorf("%s: the message speaks Go (%q): %s", c.Body, goName, body)
			}
		}
	}
	if status, body := Do(t, http.MethodGet, base+"/_sim/faults", ""); status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("a refused fault was installed: %d %s", status, body)
	}
}

// CheckIndex checks that GET /_sim/ of the simulator at base lists every
// route, that every route listed answers (value gives a path's
// {name}s, as in routestest.CheckIndex), and that the listing holds each
// of want ("POST /ncip") (issue 13 finding 10).
func CheckIndex(t *testing.T, base string, value func(r routes.Route, name string) string, want ...string) {
	t.Helper()
	listed := routestest.CheckIndex(t, base, "/_sim/", nil, value)
	var paths []string
	for _, r := range listed {
		paths = append(paths, r.Method+" "+r.Path)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(paths, "\n"), w) {
			t.Errorf("index lacks %s: %v", w, paths)
		}
	}
}
