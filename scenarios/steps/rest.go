package steps

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/annexlab/annex/scenarios/scenario"
)

// REST calls the facility's REST API.
type REST struct {
	// Method defaults to POST with a body, GET without.
	Method string `yaml:"method"`
	// Path is below the engine's base URL, e.g. /api/circrequests/v1.
	Path string `yaml:"path"`
	// Body is sent as JSON (a mapping or list) or as is (a string); body_file sends a fixture instead.
	Body any `yaml:"body"`
	// BodyFile is a fixture file sent as the body (relative to the scenario file).
	BodyFile string `yaml:"body_file" scenario:"file"`
	// ContentType is the request's Content-Type (default: application/json for a mapping or list body).
	ContentType string `yaml:"content_type"`
	// APIKey goes in X-API-Key ("" sends none).
	APIKey string `yaml:"api_key"`
	// ExpectStatus is the HTTP status the reply must have.
	ExpectStatus int `yaml:"expect_status" default:"200"`
	// ExpectJSON maps dotted paths (results.0.deny) to the values expected there.
	ExpectJSON map[string]any `yaml:"expect_json"`
	// ExpectBody is a substring of the reply.
	ExpectBody string `yaml:"expect_body"`
}

// REST registers rest.
func (catalog) REST() scenario.Kind {
	return scenario.Kind{Name: "rest", Doc: "call the facility's REST API", New: func() scenario.Action { return &REST{} }}
}

// Validate implements scenario.Validator.
func (r *REST) Validate() error {
	if !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("path %q must start with /", r.Path)
	}
	if r.Body != nil && r.BodyFile != "" {
		return errors.New("body and body_file are exclusive")
	}
	return nil
}

// Run implements scenario.Action.
func (r *REST) Run(ctx context.Context, env *scenario.Env) error {
	var body []byte
	ct := r.ContentType
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			return scenario.Failf("rest: body: %v", err)
		}
		if ct == "" {
			ct = "application/json"
		}
	}
	if r.BodyFile != "" {
		var err error
		if body, err = env.Scenario.ReadFixture(r.BodyFile); err != nil {
			return scenario.Failf("rest: %v", err)
		}
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, env.World.EngineURL+r.Path, bytes.NewReader(body))
	if err != nil {
		return scenario.Failf("rest: %v", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.APIKey != "" {
		req.Header.Set("X-API-Key", r.APIKey)
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return scenario.Failf("rest %s %s: %v", method, r.Path, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return scenario.Failf("rest %s %s: %v", method, r.Path, err)
	}
	want := cmp.Or(r.ExpectStatus, http.StatusOK)
	env.Record(scenario.Event{From: "scenario", To: "REST", Label: method + " " + r.Path, Request: body, Response: reply,
		Status: strconv.Itoa(resp.StatusCode), Failed: resp.StatusCode != want})
	if resp.StatusCode != want {
		return scenario.Failf("rest %s %s: HTTP %d, want %d: %s", method, r.Path, resp.StatusCode, want, bytes.TrimSpace(reply))
	}
	if r.ExpectBody != "" && !bytes.Contains(reply, []byte(r.ExpectBody)) {
		return scenario.Failf("rest %s %s: the reply does not contain %q: %s", method, r.Path, r.ExpectBody, reply)
	}
	if len(r.ExpectJSON) > 0 {
		var doc any
		if err := json.Unmarshal(reply, &doc); err != nil {
			return scenario.Failf("rest %s %s: the reply is not JSON: %v: %s", method, r.Path, err, reply)
		}
		for _, path := range sortedKeys(r.ExpectJSON) {
			got, ok := jsonAt(doc, path)
			if !ok {
				return scenario.Failf("rest %s %s: no %s in the reply: %s", method, r.Path, path, reply)
			}
			if !sameJSON(r.ExpectJSON[path], got) {
				return scenario.Failf("rest %s %s: %s is %s, want %s", method, r.Path, path, show(got), show(r.ExpectJSON[path]))
			}
		}
	}
	return nil
}
