package smtp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/annexlab/annex/internal/paging"
	"github.com/annexlab/annex/simulators/simapi"
)

// maxWait bounds a long-polling list.
const maxWait = time.Minute

// Handler serves the inspection API:
//
//	GET    /healthz                                   200 "ok"
//	GET    /_sim/mail[?after=ID][&limit=N][&to=ADDR][&subject=TEXT][&body=TEXT][&message_id=ID][&min=N&wait=DURATION]
//	       one page, oldest first (id, received, from, to, subject, message_id, date, size); with min and wait,
//	       answers once at least min messages match or wait has passed (long poll, no client sleeps)
//	GET    /_sim/mail/{id}                            the message parsed: headers and decoded parts
//	GET    /_sim/mail/{id}/raw                        the message as received (message/rfc822)
//	DELETE /_sim/mail                                 DELETE /_sim/mail/{id}
//	GET    /_sim/faults   POST /_sim/faults (one or a list)   DELETE /_sim/faults   DELETE /_sim/faults/{id}
//	GET    /_sim/state                                counters and the journal's size
//	POST   /_sim/reset                                messages and faults gone
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /_sim/mail", s.listMail)
	mux.HandleFunc("DELETE /_sim/mail", func(w http.ResponseWriter, _ *http.Request) {
		s.journal.reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/mail/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.message(w, r)
		if !ok {
			return
		}
		p, err := Parse(m.Raw)
		if err != nil {
			simapi.WriteError(w, http.StatusUnprocessableEntity, err)
			return
		}
		simapi.WriteJSON(w, http.StatusOK, struct {
			Message
			Headers map[string][]string `json:"headers"`
			Parts   []Part              `json:"parts"`
		}{*m, p.Headers, p.Parts})
	})
	mux.HandleFunc("GET /_sim/mail/{id}/raw", func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.message(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "message/rfc822")
		w.Write(m.Raw)
	})
	mux.HandleFunc("DELETE /_sim/mail/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || !s.journal.remove(id) {
			simapi.WriteError(w, http.StatusNotFound, fmt.Errorf("no message %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { simapi.WriteJSON(w, http.StatusOK, s.faults.List()) })
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		data, err := simapi.ReadBody(w, r)
		if err != nil {
			simapi.WriteError(w, http.StatusRequestEntityTooLarge, err)
			return
		}
		list, err := DecodeFaults(data)
		if err != nil {
			simapi.WriteError(w, http.StatusBadRequest, err)
			return
		}
		added := make([]Fault, 0, len(list))
		for _, f := range list {
			added = append(added, s.faults.Add(f))
		}
		simapi.WriteJSON(w, http.StatusCreated, added)
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || !s.faults.Remove(id) {
			simapi.WriteError(w, http.StatusNotFound, fmt.Errorf("no fault %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/state", func(w http.ResponseWriter, _ *http.Request) {
		simapi.WriteJSON(w, http.StatusOK, map[string]any{"smtp": s.Addr(), "accepted": s.accepted.Load(),
			"refused": s.refused.Load(), "dropped": s.dropped.Load(), "journal": s.journal.stats()})
	})
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.journal.reset()
		s.faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func (s *Server) message(w http.ResponseWriter, r *http.Request) (*Message, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	m, ok := s.journal.get(id)
	if err != nil || !ok {
		simapi.WriteError(w, http.StatusNotFound, fmt.Errorf("no message %q (it may have left the journal)", r.PathValue("id")))
		return nil, false
	}
	return m, true
}

func (s *Server) listMail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := paging.Parse(q, "to", "subject", "body", "message_id", "min", "wait")
	if err != nil {
		simapi.WriteError(w, http.StatusBadRequest, err)
		return
	}
	f := Filter{To: q.Get("to"), SubjectContains: q.Get("subject"), BodyContains: q.Get("body"), MessageID: q.Get("message_id")}
	if q.Has("min") || q.Has("wait") {
		n, err := strconv.Atoi(q.Get("min"))
		wait, werr := time.ParseDuration(q.Get("wait"))
		if err != nil || n < 1 || werr != nil || wait <= 0 || wait > maxWait {
			simapi.WriteError(w, http.StatusBadRequest, fmt.Errorf("min=%q wait=%q: give both, min a count from 1 and wait a duration up to %s, e.g. min=1&wait=5s", q.Get("min"), q.Get("wait"), maxWait))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		s.Wait(ctx, f, n) // on timeout the page says how many there are
		cancel()
	}
	out, more := s.journal.list(page.After, page.Limit, f)
	if more {
		w.Header().Set("Link", "<"+page.Next(r.URL, out[len(out)-1].ID)+`>; rel="next"`)
	}
	if out == nil {
		out = []Message{}
	}
	simapi.WriteJSON(w, http.StatusOK, out)
}
