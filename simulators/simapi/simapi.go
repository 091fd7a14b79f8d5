// Package simapi is the JSON inspection API every simulator serves under
// /_sim/ next to its protocol endpoint: the exchange journal, the state, the
// active faults, and reset (the README's CLI reference).
package simapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/annexlab/annex/internal/paging"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

// MaxBody caps what the inspection API reads from a request.
const MaxBody = 8 << 20

// Simulator is what a mock system exposes to the API.
type Simulator interface {
	// Snapshot returns the state as a JSON-marshalable value.
	Snapshot() any
	// LoadState replaces the state with the YAML (or JSON) document data;
	// errors name the line and field at fault.
	LoadState(data []byte) error
	// ResetState returns to the state the simulator started with.
	ResetState()
}

// API serves /_sim/ for one simulator.
type API struct {
	Sim     Simulator
	Journal *journal.Journal
	Faults  *faults.Set
	// Target names the simulator and the services a fault may name; a
	// fault naming another is refused, since it would never apply.
	Target faults.Target
}

// Register adds the routes to mux:
//
//	GET    /healthz                  200 "ok"
//	GET    /_sim/journal[?after=ID][&limit=N][&service=NAME][&wait=30s]   one page, oldest first; Link: <…>; rel="next" when more follow
//	                                 (since=ID is after's older name; limit defaults to 1,000, at most 10,000;
//	                                 wait: with nothing to list yet, hold the request until an exchange comes, up to MaxWait;
//	                                 the header Journal-Last-Id is the newest exchange's id, where a follower starts)
//	DELETE /_sim/journal
//	GET    /_sim/state               PUT /_sim/state (YAML or JSON body)
//	POST   /_sim/reset               state, journal and faults back to the start
//	GET    /_sim/faults              POST /_sim/faults (one fault or a list)
//	DELETE /_sim/faults              DELETE /_sim/faults/{id}
//	GET    /_sim/                    the index: every route of mux, as JSON
func (a API) Register(name string, mux *routes.Mux) {
	mux.HandleFunc("GET /_sim/{$}", mux.IndexHandler(name, ""))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /_sim/journal", a.journal)
	mux.HandleFunc("DELETE /_sim/journal", func(w http.ResponseWriter, _ *http.Request) {
		a.Journal.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/state", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusOK, a.Sim.Snapshot()) })
	mux.HandleFunc("PUT /_sim/state", a.loadState)
	mux.HandleFunc("POST /_sim/state", a.loadState)
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		if !NoFields(w, r) {
			return
		}
		a.Sim.ResetState()
		a.Journal.Reset()
		a.Faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusOK, a.Faults.List()) })
	mux.HandleFunc("POST /_sim/faults", a.addFaults)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		a.Faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || !a.Faults.Remove(id) {
			WriteError(w, http.StatusNotFound, fmt.Errorf("no fault %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// journal answers one page of the journal as a JSON array, oldest first.
// When more exchanges follow, a Link header (rel="next") gives the next
// page's URL; the array is written one exchange at a time, so a page costs
// one exchange's encoding, not the page's.
func (a API) journal(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := paging.Parse(q, "since", "service", "wait")
	var wait time.Duration
	if err == nil && q.Has("wait") {
		if wait, err = time.ParseDuration(q.Get("wait")); err != nil || wait < 0 || wait > MaxWait {
			err = fmt.Errorf("wait=%q: want a duration from 0s to %s, such as 30s", q.Get("wait"), MaxWait)
		}
	}
	if err == nil && q.Has("since") {
		// since is the cursor's older name, kept for existing clients.
		if q.Has("after") {
			err = errors.New("give after or since, not both: they are the same cursor")
		} else if page.After, err = strconv.ParseInt(q.Get("since"), 10, 64); err != nil || page.After < 0 {
			err = fmt.Errorf("since=%q: want an exchange id", q.Get("since"))
		}
	}
	if err != nil {
		WriteError(w, http.StatusBadRequest, err)
		return
	}
	var keep func(*journal.Exchange) bool
	if service := q.Get("service"); service != "" {
		keep = func(e *journal.Exchange) bool { return e.Service == service }
	}
	out, more, err := a.waitPage(r.Context(), page, keep, wait)
	if err != nil {
		return // the client went away
	}
	w.Header().Set("Journal-Last-Id", strconv.FormatInt(a.Journal.LastID(), 10))
	if more {
		u := *r.URL
		q.Del("since")
		u.RawQuery = q.Encode()
		w.Header().Set("Link", "<"+page.Next(&u, out[len(out)-1].ID)+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	for i := range out {
		if i > 0 {
			bw.WriteString(",")
		}
		b, err := json.MarshalIndent(&out[i], "  ", "  ")
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": fmt.Sprintf("exchange %d: %v", out[i].ID, err)})
		}
		bw.WriteString("\n  ")
		bw.Write(b)
		out[i] = journal.Exchange{} // written: let it go
	}
	if len(out) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	bw.Flush()
}

// MaxWait bounds how long a journal request may wait for an exchange:
// under the HTTP write timeout, and short enough that a follower notices a
// simulator gone.
const MaxWait = time.Minute

// waitPage reads one page; when it is empty and wait is positive, it waits
// on the journal (not a timer loop) until an exchange it keeps arrives or
// wait is over. err is set only when ctx ends.
func (a API) waitPage(ctx context.Context, page paging.Page, keep func(*journal.Exchange) bool, wait time.Duration) ([]journal.Exchange, bool, error) {
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	for {
		// The channel is taken before reading, so an exchange added in between still wakes us.
		changed := a.Journal.Changed()
		out, more := a.Journal.Page(page.After, page.Limit, keep)
		if len(out) > 0 || deadline == nil {
			return out, more, nil
		}
		select {
		case <-changed:
		case <-deadline:
			return nil, false, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

func (a API) loadState(w http.ResponseWriter, r *http.Request) {
	data, err := ReadBody(w, r)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, err)
		return
	}
	if err := a.Sim.LoadState(data); err != nil {
		WriteError(w, http.StatusBadRequest, fmt.Errorf("load state: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, a.Sim.Snapshot())
}

func (a API) addFaults(w http.ResponseWriter, r *http.Request) {
	data, err := ReadBody(w, r)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, err)
		return
	}
	// One fault or a list of them; the document's first byte tells which.
	var list []faults.Fault
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		err = strict.JSON(data, &list)
	} else {
		list = make([]faults.Fault, 1)
		err = strict.JSON(data, &list[0])
	}
	if err != nil {
		WriteError(w, http.StatusBadRequest, fmt.Errorf("fault: %w", err))
		return
	}
	var added []faults.Fault
	for i, f := range list {
		err := f.Validate()
		if err == nil {
			err = a.Target.Check(f.Service)
		}
		if err != nil {
			WriteError(w, http.StatusBadRequest, fmt.Errorf("fault %d: %w", i+1, err))
			return
		}
	}
	for _, f := range list {
		got, _ := a.Faults.Add(f)
		added = append(added, got)
	}
	WriteJSON(w, http.StatusCreated, added)
}

// NoFields checks the body of a request that takes no fields: empty or {}
// is fine; a field would be ignored, so it is refused with a 400 (and
// NoFields reports false, the answer written).
func NoFields(w http.ResponseWriter, r *http.Request) bool {
	data, err := ReadBody(w, r)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, err)
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	var none struct{}
	if err := strict.JSON(data, &none); err != nil {
		WriteError(w, http.StatusBadRequest, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err))
		return false
	}
	return true
}

// ReadBody reads a request body up to MaxBody.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fmt.Errorf("body over the %d-byte limit", MaxBody)
	}
	return data, err
}

// WriteJSON answers with v as indented JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// WriteError answers {"error": "…"}.
func WriteError(w http.ResponseWriter, status int, err error) {
	WriteJSON(w, status, map[string]string{"error": err.Error()})
}
