// Package routestest checks a server's index page against the server: every
// route it lists must answer, with something other than 404 or 405.
package routestest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/annexlab/annex/internal/routes"
)

var wildcard = regexp.MustCompile(`\{([A-Za-z0-9_$]*)(\.\.\.)?\}`)

// CheckIndex reads the index at base+index (with header set on every
// request) and sends each listed route a request, its wildcards filled by
// value(route, name). It returns the routes listed.
func CheckIndex(t testing.TB, base, index string, header http.Header, value func(r routes.Route, name string) string) []routes.Route {
	t.Helper()
	var idx routes.Index
	code, body := send(t, http.MethodGet, base+index, header)
	if code != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", index, code, body)
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		t.Fatalf("GET %s: %v: %s", index, err, body)
	}
	if len(idx.Endpoints) == 0 {
		t.Fatalf("GET %s lists no endpoint: %s", index, body)
	}
	for _, r := range idx.Endpoints {
		path := wildcard.ReplaceAllStringFunc(r.Path, func(w string) string {
			name := wildcard.FindStringSubmatch(w)[1]
			if name == "$" || name == "" {
				return ""
			}
			return value(r, name)
		})
		method := r.Method
		if method == "" {
			method = http.MethodGet
		}
		code, body := send(t, method, base+path, header)
		if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			t.Errorf("%s %s (listed as %s %s): HTTP %d: %s", method, path, r.Method, r.Path, code, body)
		}
	}
	return idx.Endpoints
}

func send(t testing.TB, method, url string, header http.Header) (int, []byte) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost || method == http.MethodPut {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, b
}
