// Package routes is an http.ServeMux that remembers what was registered on
// it, so a server's index page is built from its routes and cannot drift
// from them (issue 13).
package routes

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Route is one registered pattern, split into its method and path.
type Route struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path"`
}

// Mux is an http.ServeMux that records its patterns.
type Mux struct {
	mux    *http.ServeMux
	mu     sync.Mutex
	routes []Route
}

// New returns an empty Mux.
func New() *Mux { return &Mux{mux: http.NewServeMux()} }

// HandleFunc registers h for pattern, as http.ServeMux.HandleFunc does.
func (m *Mux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.mux.HandleFunc(pattern, h)
	r := Route{Path: pattern}
	if method, path, ok := strings.Cut(pattern, " "); ok {
		r = Route{Method: method, Path: strings.TrimSpace(path)}
	}
	// "/api/{$}" is the path "/api/" exactly: listed as a user types it.
	r.Path = strings.TrimSuffix(r.Path, "{$}")
	m.mu.Lock()
	m.routes = append(m.routes, r)
	m.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

// Routes lists the routes registered so far whose path starts with prefix,
// by path then method.
func (m *Mux) Routes(prefix string) []Route {
	m.mu.Lock()
	out := slices.Clone(m.routes)
	m.mu.Unlock()
	out = slices.DeleteFunc(out, func(r Route) bool { return !strings.HasPrefix(r.Path, prefix) })
	slices.SortFunc(out, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Method, b.Method))
	})
	return out
}

// Index is the body of an index page.
type Index struct {
	Service   string  `json:"service"`
	Endpoints []Route `json:"endpoints"`
}

// IndexHandler answers the routes under prefix as JSON, read when asked,
// so routes registered after it are listed too.
func (m *Mux) IndexHandler(service, prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(Index{Service: service, Endpoints: m.Routes(prefix)})
	}
}
