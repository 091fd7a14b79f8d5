package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/faults"
)

// ALMAExport runs mock ALMA's "Send Requests to Remote Storage" job once.
// The upload's close waits for the engine to process the file, so the
// requests are decided when the step ends.
type ALMAExport struct {
	// ExpectRequests is how many requests the file must hold (nil: any).
	ExpectRequests *int `yaml:"expect_requests"`
	// ExpectError is a substring of the error the job must fail with.
	ExpectError string `yaml:"expect_error"`
}

// Run implements scenario.Action.
func (a *ALMAExport) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.ALMA == nil {
		return scenario.Failf("alma.export: mock ALMA is not running")
	}
	res, err := env.World.ALMA.Export(ctx)
	if err := checkErr("alma.export", err, a.ExpectError); err != nil {
		return err
	}
	if a.ExpectRequests != nil && res.Requests != *a.ExpectRequests {
		return scenario.Failf("alma.export: the file %s held %d requests (%v), want %d", res.File, res.Requests, res.IDs, *a.ExpectRequests)
	}
	return nil
}

// ALMADelete deletes an item in mock ALMA, which tells the facility with DeleteItem.
type ALMADelete struct {
	Barcode string `yaml:"barcode"`
	// ExpectProblem is a ProblemType the facility must answer with; "" means a success reply.
	ExpectProblem string `yaml:"expect_problem"`
}

// Validate implements scenario.Validator.
func (a *ALMADelete) Validate() error {
	if a.Barcode == "" {
		return errors.New("barcode is required")
	}
	return nil
}

// Run implements scenario.Action.
func (a *ALMADelete) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.ALMA == nil {
		return scenario.Failf("alma.delete: mock ALMA is not running")
	}
	res, err := env.World.ALMA.DeleteItem(ctx, a.Barcode)
	if err != nil {
		return scenario.Failf("alma.delete %s: %v", a.Barcode, err)
	}
	if !res.Sent {
		return scenario.Failf("alma.delete %s: the facility did not answer: %s", a.Barcode, res.Error)
	}
	got := strings.Join(res.Problems, ", ")
	switch {
	case a.ExpectProblem == "" && got != "":
		return scenario.Failf("alma.delete %s: the facility answered with Problem %s", a.Barcode, got)
	case a.ExpectProblem != "" && !strings.Contains(got, a.ExpectProblem):
		return scenario.Failf("alma.delete %s: the facility answered with Problems [%s], want %q", a.Barcode, got, a.ExpectProblem)
	}
	return nil
}

// ALEPHPost makes mock ALEPH post its pending hold requests to the facility.
type ALEPHPost struct {
	// ExpectStatus is the facility's HTTP status (default 200).
	ExpectStatus int `yaml:"expect_status"`
	// ExpectPosted is how many requests the file must hold (nil: any).
	ExpectPosted *int `yaml:"expect_posted"`
	// ExpectBody is a substring of the facility's reply.
	ExpectBody string `yaml:"expect_body"`
}

// Run implements scenario.Action.
func (a *ALEPHPost) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.ALEPH == nil {
		return scenario.Failf("aleph.post: mock ALEPH is not running")
	}
	res, err := env.World.ALEPH.PostRequests(ctx)
	if err != nil {
		return scenario.Failf("aleph.post: %v", err)
	}
	want := a.ExpectStatus
	if want == 0 {
		want = http.StatusOK
	}
	if res.Status != want {
		return scenario.Failf("aleph.post: the facility answered HTTP %d, want %d: %s", res.Status, want, res.Body)
	}
	if a.ExpectPosted != nil && res.Posted != *a.ExpectPosted {
		return scenario.Failf("aleph.post: %d requests posted, want %d", res.Posted, *a.ExpectPosted)
	}
	if a.ExpectBody != "" && !strings.Contains(res.Body, a.ExpectBody) {
		return scenario.Failf("aleph.post: the reply does not contain %q: %s", a.ExpectBody, res.Body)
	}
	return nil
}

// Floor is a floor operation on an item: retrieve, refile or missing.
type Floor struct {
	op      string
	Barcode string `yaml:"barcode"`
	// ExpectError is a substring of the error the operation must fail with.
	ExpectError string `yaml:"expect_error"`
}

// Validate implements scenario.Validator.
func (f *Floor) Validate() error {
	if f.Barcode == "" {
		return errors.New("barcode is required")
	}
	return nil
}

// Run implements scenario.Action.
func (f *Floor) Run(ctx context.Context, env *scenario.Env) error {
	eng := env.World.Engine
	op := map[string]func(context.Context, string) error{"retrieve": eng.Retrieve, "refile": eng.Refile, "missing": eng.MarkMissing,
		"scan_done": eng.ScanDone, "return": eng.Return, "deaccession": eng.Deaccession, "receive": eng.Receive}[f.op]
	err := op(ctx, f.Barcode)
	return checkErr("facility."+f.op+" "+f.Barcode, err, f.ExpectError)
}

// Accession adds a new item to storage.
type Accession struct {
	profile.InventoryItem `yaml:",inline"`
	ExpectError           string `yaml:"expect_error"`
}

// Validate implements scenario.Validator.
func (a *Accession) Validate() error {
	if a.Barcode == "" || a.Collection == "" {
		return errors.New("barcode and collection are required")
	}
	return nil
}

// Run implements scenario.Action.
func (a *Accession) Run(ctx context.Context, env *scenario.Env) error {
	it := a.InventoryItem
	if it.Profile == "" {
		it.Profile = env.Scenario.Profiles[0].Name
	}
	return checkErr("facility.accession "+it.Barcode, env.World.Engine.Accession(ctx, it), a.ExpectError)
}

// Fault injects a fault into a mock (toxiproxy's model: a declarative rule).
type Fault struct {
	// On is alma or aleph.
	On                  string `yaml:"on"`
	scenario.FaultGiven `yaml:",inline"`
	Latency             time.Duration `yaml:"latency"`
	AfterProcessing     bool          `yaml:"after_processing"`
}

// Validate implements scenario.Validator.
func (f *Fault) Validate() error {
	if err := oneOf("on", f.On, "alma", "aleph"); err != nil {
		return err
	}
	return f.rule().Validate()
}

func (f *Fault) rule() faults.Fault {
	r := f.FaultGiven.Fault()
	r.Latency, r.AfterProcessing = faults.Duration(f.Latency), f.AfterProcessing
	return r
}

// Run implements scenario.Action.
func (f *Fault) Run(ctx context.Context, env *scenario.Env) error {
	if f.On == "aleph" {
		if env.World.ALEPH == nil {
			return scenario.Failf("fault: mock ALEPH is not running")
		}
		if _, err := env.World.ALEPH.Faults().Add(f.rule()); err != nil {
			return scenario.Failf("fault: %v", err)
		}
		return nil
	}
	if env.World.ALMA == nil {
		return scenario.Failf("fault: mock ALMA is not running")
	}
	if err := env.SimJSON(ctx, http.MethodPost, env.World.ALMA.URL()+"/_sim/faults", f.rule(), nil); err != nil {
		return scenario.Failf("fault: %v", err)
	}
	return nil
}

// FaultClear retires every fault of a mock.
type FaultClear struct {
	On string `yaml:"on"`
}

// Validate implements scenario.Validator.
func (f *FaultClear) Validate() error { return oneOf("on", f.On, "alma", "aleph") }

// Run implements scenario.Action.
func (f *FaultClear) Run(ctx context.Context, env *scenario.Env) error {
	if f.On == "aleph" {
		if env.World.ALEPH == nil {
			return scenario.Failf("fault.clear: mock ALEPH is not running")
		}
		env.World.ALEPH.Faults().Clear()
		return nil
	}
	if env.World.ALMA == nil {
		return scenario.Failf("fault.clear: mock ALMA is not running")
	}
	if err := env.SimJSON(ctx, http.MethodDelete, env.World.ALMA.URL()+"/_sim/faults", nil, nil); err != nil {
		return scenario.Failf("fault.clear: %v", err)
	}
	return nil
}

// EngineRestart closes the engine and opens it on the same data directory.
type EngineRestart struct{}

// Run implements scenario.Action.
func (EngineRestart) Run(ctx context.Context, env *scenario.Env) error {
	if err := env.World.RestartEngine(ctx); err != nil {
		return scenario.Failf("engine.restart: %v", err)
	}
	return nil
}

// REST calls the facility's REST API.
type REST struct {
	// Method defaults to POST with a body, GET without.
	Method string `yaml:"method"`
	// Path is below the engine's base URL, e.g. /api/circrequests/v1.
	Path string `yaml:"path"`
	// Body is sent as JSON (a mapping or list) or as is (a string); BodyFile sends a fixture.
	Body        any    `yaml:"body"`
	BodyFile    string `yaml:"body_file" scenario:"file"`
	ContentType string `yaml:"content_type"`
	// APIKey goes in X-API-Key ("" sends none).
	APIKey string `yaml:"api_key"`
	// ExpectStatus is the HTTP status (default 200).
	ExpectStatus int `yaml:"expect_status"`
	// ExpectJSON maps dotted paths (results.0.deny) to the values expected there.
	ExpectJSON map[string]any `yaml:"expect_json"`
	// ExpectBody is a substring of the reply.
	ExpectBody string `yaml:"expect_body"`
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
	want := r.ExpectStatus
	if want == 0 {
		want = http.StatusOK
	}
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
