// Package api is the facility engine's REST API, in CaiaSoft's public shape
// (docs/libraries.md, REST API): JSON under /api/<endpoint>/v1, the key in X-API-Key,
// answers in CaiaSoft's envelope
//
//	{"success":true,"error":"","request_count":"1","results":[{"item":"…","deny":"N","istatus":"Item Requested"}]}
//
// (success a JSON boolean, counts strings; a denial is "deny":"Y" with the
// reason in istatus). The shapes and status strings are formats/caiasoft's.
// Paths:
//
//	GET  /healthz                             "ok", no key
//	POST /api/requestfile/v1[?profile=P][&format=F]  a request file (raw body or multipart "file"); processed at once, one result per request
//	POST /api/circrequests/v1[?profile=P]     {"requests":[{"barcode","request_type","stop","request_id",…}]} (up to 500)
//	GET  /api/itemstatus/v1/{barcode}         {"barcode","status"}
//	POST /api/itemstatuslist/v1               {"barcodes":[…]} → item_count, items (up to 500)
//	POST /api/incomingitems/v1[?profile=P]    {"incoming":[{barcode, collection, title, …}]} → incoming_count, rejected_count, rejects, warnings
//	POST /api/itemupdates/v1                  {"items":[{barcode, title, …}]} → total_count, updated_count, errors, warnings
//	GET  /api/item/v1/…, /api/circstoplist/v1/…, …  the inventory's read side: see inventory.go
//	POST /api/floor/v1/retrieve|scan-done|return|refile|deaccession|missing|receive  {"barcode":"…"}
//	POST /api/floor/v1/accession              {"barcode","collection","material","tray","profile"}
//	POST /api/floor/v1/picklist               {"barcodes":["…",…]}: retrieve them all in one transaction; one result each
//	GET  /api/                                the index: every route, as JSON
//	GET  /api/alerts/v1, /api/requests/v1, /api/outbox/v1 [?limit=N][&after=CURSOR]  one page, oldest first (see listing)
//	POST /api/outbox/v1/{id}/retry|cancel     act on a message (see outbox.go)
//	POST /api/ncip                            NCIP 2 DeleteItem responder (ALMA → facility); no key, ALMA
//	                                          is checked by its agencies; always HTTP 200 with NCIP
//
// The key identifies the connection. It is compared in constant time
// against the facility's key (every endpoint) and the profiles' intake keys:
// a profile's key posts requestfile, circrequests and incomingitems for its
// own profile, and reads and updates its own items only (another
// connection's item is "Item Restricted from this API Key"). With the
// facility key and no ?profile=, a posted request's stop picks its profile
// and an incoming item's collection does. CaiaSoft's endpoints ignore
// unknown JSON fields and report them (on the request, or in warnings);
// annex's own (floor) refuse them. Request bodies are capped.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/paging"
	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/strict"
)

// Body caps.
const (
	// MaxJSON caps a JSON request body.
	MaxJSON = 4 << 20
	// MaxFile caps a posted request file (the profile's MaxFileSize still applies when parsing).
	MaxFile = 256 << 20
)

// Backend is what the API serves: the engine. Its errors wrap the
// engine's kinds (engine.ErrNotFound, ErrConflict, ErrInvalid), which
// statusOf maps to HTTP statuses.
type Backend interface {
	Circulation
	SubmitFile(ctx context.Context, profile, format, name string, body io.Reader) (engine.FileResult, error)
	// AlertsPage and RequestsPage list up to limit rows whose cursor (an
	// alert's id, a request's seq) is greater than after.
	AlertsPage(ctx context.Context, after int64, limit int) ([]store.Alert, error)
	RequestsPage(ctx context.Context, after int64, limit int) ([]store.SeqRequest, error)
	// OutboxBackend serves the outbox endpoints (outbox.go).
	OutboxBackend
	// ServeNCIP answers one NCIP message (DeleteItem) with NCIP.
	ServeNCIP(ctx context.Context, body []byte) []byte
	Inventory
}

// Config configures the handler.
type Config struct {
	Backend Backend
	// FacilityKey opens every endpoint.
	FacilityKey string
	// ProfileKeys are the profiles' intake keys (profile → key).
	ProfileKeys map[string]string
	// Profiles names every profile; with the facility key and one profile, ?profile= may be left out.
	Profiles []string
	Logger   *slog.Logger
}

type server struct {
	cfg Config
	log *slog.Logger
}

// ForEngine returns the API handler serving e, with its keys and profiles.
func ForEngine(e *engine.Engine, log *slog.Logger) http.Handler {
	facility, keys := e.Keys()
	return New(Config{Backend: e, FacilityKey: facility, ProfileKeys: keys, Profiles: e.ProfileNames(), Logger: log})
}

// New returns the API handler.
func New(cfg Config) http.Handler {
	s := &server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := routes.New()
	// The index is built from the routes registered, so it lists them all.
	mux.HandleFunc("GET /api/{$}", mux.IndexHandler("annex facility engine", ""))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("POST /api/requestfile/v1", s.requestFile)
	s.routesCirculation(mux)
	mux.HandleFunc("GET /api/alerts/v1", s.facility(listing("alerts", s.cfg.Backend.AlertsPage,
		func(a store.Alert) int64 { return a.ID })))
	mux.HandleFunc("GET /api/requests/v1", s.facility(listing("requests", s.cfg.Backend.RequestsPage,
		func(q store.SeqRequest) int64 { return q.Seq })))
	s.registerOutbox(mux)
	mux.HandleFunc("POST /api/ncip", s.ncip)
	s.routesInventory(mux)
	return handler{mux}
}

// handler is the API's routes, with a trailing slash dropped from an API
// path: CaiaSoft's clients write some paths with one (…/itemstatuslist/v1/).
type handler struct{ *routes.Mux }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; len(p) > len("/api/") && strings.HasPrefix(p, "/api/") && strings.HasSuffix(p, "/") {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = strings.TrimSuffix(p, "/"), ""
		r2.URL = &u
		r = &r2
	}
	h.Mux.ServeHTTP(w, r)
}

// Routes lists the handler's patterns ("GET /api/item/v1/{barcode}", …),
// so a test can hold the OpenAPI description to them.
func (h handler) Routes() []string {
	var out []string
	for _, r := range h.Mux.Routes("") {
		out = append(out, strings.TrimSpace(r.Method+" "+r.Path))
	}
	return out
}

// listing serves one page of a list endpoint:
//
//	{"success":true,"error":"","requests":[…],"count":"1000","next":"/api/requests/v1?after=1000&limit=1000"}
//
// next is there only when more rows follow. The query takes limit
// (default 1,000, at most 10,000) and after (a cursor from next) and
// nothing else.
func listing[T any](key string, page func(context.Context, int64, int) ([]T, error), cursor func(T) int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := paging.Parse(r.URL.Query())
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		// One row more than the page tells whether another page follows.
		rows, err := page(r.Context(), p.After, p.Limit+1)
		if err != nil {
			fail(w, statusOf(err), err)
			return
		}
		body := map[string]any{"success": true, "error": ""}
		if len(rows) > p.Limit {
			rows = rows[:p.Limit]
			body["next"] = p.Next(r.URL, cursor(rows[len(rows)-1]))
		}
		if rows == nil {
			rows = []T{}
		}
		body[key], body["count"] = rows, strconv.Itoa(len(rows))
		writeJSON(w, http.StatusOK, body)
	}
}

// keyMatches compares in constant time; an empty configured key never matches.
func keyMatches(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *server) isFacility(r *http.Request) bool {
	return keyMatches(r.Header.Get("X-API-Key"), s.cfg.FacilityKey)
}

// facility guards an endpoint with the facility's key.
func (s *server) facility(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.isFacility(r) {
			fail(w, http.StatusUnauthorized, errUnauthorized)
			return
		}
		h(w, r)
	}
}

// poster resolves the profile a post is for: the key identifies the
// connection. A profile's intake key posts for its own profile (a
// ?profile= naming another is refused). The facility key may name one with
// ?profile=; without it, the only profile, or "" where byContent says the
// posted content decides (circrequests: the stop; incomingitems: the
// collection; requestfile: the file's format).
func (s *server) poster(r *http.Request, byContent bool) (string, int, error) {
	key := r.Header.Get("X-API-Key")
	want := r.URL.Query().Get("profile")
	// Every key is compared, so the time taken does not tell which one matched.
	matched := ""
	for name, k := range s.cfg.ProfileKeys {
		if keyMatches(key, k) && (want == "" || want == name) {
			matched = name
		}
	}
	if matched != "" {
		return matched, 0, nil
	}
	if !s.isFacility(r) {
		return "", http.StatusUnauthorized, errUnauthorized
	}
	switch {
	case want != "":
		return want, 0, nil
	case len(s.cfg.Profiles) == 1:
		return s.cfg.Profiles[0], 0, nil
	case byContent:
		return "", 0, nil
	}
	return "", http.StatusBadRequest, errors.New("which profile? add ?profile=NAME")
}

func (s *server) requestFile(w http.ResponseWriter, r *http.Request) {
	prof, status, err := s.poster(r, true) // "" with the facility key: the file's format picks the profile
	if err != nil {
		fail(w, status, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFile)
	body, name := io.Reader(r.Body), "requestfile.xml"
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		var part *multipart.Part
		for {
			part, err = mr.NextPart()
			if err != nil {
				fail(w, http.StatusBadRequest, fmt.Errorf("multipart: no file part: %w", err))
				return
			}
			if part.FileName() != "" || part.FormName() == "file" {
				break
			}
		}
		body = part
		if part.FileName() != "" {
			name = part.FileName()
		}
	} else if mt == "text/plain" {
		name = "requestfile.txt"
	}
	res, err := s.cfg.Backend.SubmitFile(r.Context(), prof, r.URL.Query().Get("format"), name, body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, err)
			return
		}
		fail(w, statusOf(err), err)
		return
	}
	if res.Rejected {
		writeJSON(w, http.StatusUnprocessableEntity, caiasoft.CircReply{Error: "request file rejected: " + oneLine(res.Reason),
			RequestCount: "0", Results: []caiasoft.Result{}})
		return
	}
	answer(w, res.Results)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// answer writes CaiaSoft's circrequests reply, which requestfile shares.
func answer(w http.ResponseWriter, results []engine.Result) {
	out := make([]caiasoft.Result, len(results))
	for i, r := range results {
		out[i] = r.Result
	}
	writeJSON(w, http.StatusOK, caiasoft.CircReply{Success: true, RequestCount: strconv.Itoa(len(out)), Results: out})
}

// maxPickList bounds one pick list, so one request cannot hold the store's
// write transaction for long.
const maxPickList = 10000

func (s *server) pickList(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Barcodes []string `json:"barcodes"`
	}
	if err := decodeStrict(w, r, &body); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if len(body.Barcodes) == 0 || len(body.Barcodes) > maxPickList {
		fail(w, http.StatusBadRequest, fmt.Errorf(`"barcodes" must list 1 to %d barcodes, not %d`, maxPickList, len(body.Barcodes)))
		return
	}
	errs, err := s.cfg.Backend.RetrieveMany(r.Context(), body.Barcodes)
	if err != nil {
		fail(w, statusOf(err), err)
		return
	}
	type result struct {
		Barcode string `json:"barcode"`
		Error   string `json:"error"`
	}
	results := make([]result, len(errs))
	for i, e := range errs {
		results[i].Barcode = body.Barcodes[i]
		if e != nil {
			results[i].Error = e.Error()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "error": "", "results": results})
}

func (s *server) ncip(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, engine.MaxNCIP+1))
	if err != nil {
		body = nil
	}
	out := s.cfg.Backend.ServeNCIP(r.Context(), body)
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, engine.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, engine.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, context.Canceled):
		return 499
	}
	return http.StatusInternalServerError
}

// decodeStrict reads a control API's JSON body into v: unknown fields and
// wrong types are refused with the line:col, field path and did-you-mean.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSON))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("decode body: over the %d-byte limit", MaxJSON)
		}
		return fmt.Errorf("decode body: %w", err)
	}
	if err := strict.JSON(data, v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}

func fail(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, caiasoft.CircReply{Error: err.Error(), RequestCount: "0", Results: []caiasoft.Result{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
