package engine_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/routes/routestest"
	"github.com/annexlab/annex/simulators/alma"
)

// announcing tells, on sent, that the engine has begun to send a message:
// the event a test waits on to see an attempt in flight.
type announcing struct {
	sent chan string
	next http.RoundTripper
}

func (a announcing) RoundTrip(r *http.Request) (*http.Response, error) {
	a.sent <- r.URL.String()
	return a.next.RoundTrip(r)
}

// outboxPage is an answer of the outbox endpoints: a page or one message.
type outboxPage struct {
	Messages []api.OutboxMessage `json:"messages"`
	Message  *api.OutboxMessage  `json:"message"`
}

// TestOutboxAPI: the outbox listing shows the XML as text, null for no
// next attempt and an attempt in flight; staff can retry a message now or
// cancel it, with who did it recorded and listed; /api/ lists every route
// (issue 13 findings 10 and 11).
func TestOutboxAPI(t *testing.T) {
	sent := make(chan string, 16)
	w := newALMAWorld(t, func(c *engine.Config, _ *alma.Config) {
		// A failed attempt waits an hour: only a retry brings it forward.
		c.Profiles[0].Retry = profile.Retry{Initial: profile.Duration(time.Hour), Max: profile.Duration(time.Hour),
			Timeout: profile.Duration(time.Minute), Concurrency: 2}
		c.HTTPClient = &http.Client{Transport: announcing{sent, http.DefaultTransport}}
	})
	base := serveAPI(t, w.eng)
	key := w.cfg.Facility.APIKey
	w.export(t)

	list := func() map[string]api.OutboxMessage {
		t.Helper()
		var page outboxPage
		raw := getAPI(t, base+"/api/outbox/v1", key, &page)
		// next_attempt is always there, null when nothing is scheduled.
		var generic struct{ Messages []map[string]any }
		json.Unmarshal(raw, &generic)
		for _, m := range generic.Messages {
			if _, ok := m["next_attempt"]; !ok {
				t.Errorf("message %v has no next_attempt", m["id"])
			}
		}
		out := map[string]api.OutboxMessage{}
		for _, m := range page.Messages {
			out[m.Barcode] = m
		}
		return out
	}

	// An attempt the library does not answer is shown in flight.
	addFault(t, w, map[string]any{"kind": "no-answer", "count": 1, "service": "CheckOutItem"})
	if err := w.eng.Retrieve(t.Context(), "39015000000001"); err != nil {
		t.Fatal(err)
	}
	<-sent
	m := list()["39015000000001"]
	if m.State != api.StateInFlight || m.InFlightSince == nil || m.NextAttempt != nil || m.Status != store.MsgPending {
		t.Errorf("during a no-answer: state %q since %v next %v status %s", m.State, m.InFlightSince, m.NextAttempt, m.Status)
	}
	if !strings.HasPrefix(m.Payload, "<?xml") || !strings.Contains(m.Payload, ">39015000000001<") || m.PayloadBase64 != "" {
		t.Errorf("payload not shown as XML text: %q / %q", m.Payload, m.PayloadBase64)
	}
	url := func(id int64, action string) string { return fmt.Sprintf("%s/api/outbox/v1/%d/%s", base, id, action) }
	postJSON(t, url(m.ID, "retry"), key, nil, http.StatusConflict, nil)

	// Cancelling it raises an alert and records who did it.
	var got outboxPage
	postJSON(t, url(m.ID, "cancel"), key, map[string]string{"by": "alice", "reason": "ALMA is down for the night"}, http.StatusOK, &got)
	if got.Message == nil || got.Message.Status != store.MsgCancelled || len(got.Message.Actions) != 1 ||
		got.Message.Actions[0].By != "alice" || got.Message.Actions[0].Action != store.ActionCancel || got.Message.Actions[0].Source != "127.0.0.1" {
		t.Errorf("cancel answered %+v", got.Message)
	}
	alerts, err := w.eng.Alerts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if a := alerts[len(alerts)-1]; a.Barcode != "39015000000001" || !strings.Contains(a.Message, "cancelled by alice") ||
		!strings.Contains(a.Message, "ALMA is down for the night") {
		t.Errorf("last alert %+v, want the cancellation", a)
	}
	postJSON(t, url(m.ID, "cancel"), key, nil, http.StatusConflict, nil)
	if m := list()["39015000000001"]; len(m.Actions) != 1 || m.Actions[0].Reason != "ALMA is down for the night" {
		t.Errorf("listing shows actions %+v", m.Actions)
	}

	// A failed attempt waits for its backoff: next_attempt is then, not 1970,
	// on the engine's clock (the attempt's updated stamp plus the backoff).
	addFault(t, w, map[string]any{"kind": "status", "status": 503, "count": 1, "service": "CheckOutItem"})
	if err := w.eng.Retrieve(t.Context(), "39015000000002"); err != nil {
		t.Fatal(err)
	}
	two := func(rows []engine.OutboxRow) (engine.OutboxRow, bool) {
		for _, r := range rows {
			if r.Barcode == "39015000000002" {
				return r, true
			}
		}
		return engine.OutboxRow{}, false
	}
	if _, err := w.eng.WaitOutbox(ctxT(t), func(rows []engine.OutboxRow) bool { r, ok := two(rows); return ok && r.Attempts == 1 }); err != nil {
		t.Fatal(err)
	}
	m = list()["39015000000002"]
	if m.State != store.MsgPending || m.NextAttempt == nil || m.NextAttempt.Sub(m.Updated) < 20*time.Minute {
		t.Errorf("after a 503: state %q next %v (updated %v)", m.State, m.NextAttempt, m.Updated)
	}

	// Typos and other keys are refused; retry sends it at once.
	b := postJSON(t, url(m.ID, "retry"), key, map[string]string{"bi": "bob"}, http.StatusBadRequest, nil)
	if !strings.Contains(string(b), `did you mean \"by\"`) {
		t.Errorf("typo answered %s", b)
	}
	postJSON(t, url(m.ID, "retry"), w.cfg.Profiles[0].Intake.APIKey, nil, http.StatusUnauthorized, nil)
	postJSON(t, url(9999, "retry"), key, nil, http.StatusNotFound, nil)
	postJSON(t, url(m.ID, "retry"), key, map[string]string{"by": "bob"}, http.StatusOK, nil)
	if _, err := w.eng.WaitOutbox(ctxT(t), func(rows []engine.OutboxRow) bool {
		r, ok := two(rows)
		return ok && r.Status == store.MsgDelivered
	}); err != nil {
		t.Fatal(err)
	}
	m = list()["39015000000002"]
	if m.NextAttempt != nil || m.Attempts != 2 || !strings.Contains(m.Reply, "CheckOutItemResponse") ||
		len(m.Actions) != 1 || m.Actions[0].By != "bob" || m.Actions[0].Action != store.ActionRetry {
		t.Errorf("after retry: next %v attempts %d actions %+v reply %q", m.NextAttempt, m.Attempts, m.Actions, m.Reply)
	}
	postJSON(t, url(m.ID, "retry"), key, nil, http.StatusConflict, nil)

	// The index lists every route, and each answers.
	hdr := http.Header{"X-Api-Key": {key}}
	listed := routestest.CheckIndex(t, base, "/api/", hdr, func(r routes.Route, name string) string {
		switch name {
		case "barcode":
			return "39015000000003"
		case "which":
			return "ALL"
		case "op":
			return "refile"
		case "id":
			return fmt.Sprint(m.ID)
		case "from", "to":
			return "20250314"
		case "collection", "stop":
			return "ALL"
		case "field":
			return "itemid"
		case "reaccessioned":
			return "N"
		}
		t.Fatalf("%s: no value for {%s}", r.Path, name)
		return ""
	})
	var paths []string
	for _, r := range listed {
		paths = append(paths, r.Method+" "+r.Path)
	}
	for _, want := range []string{"GET /api/outbox/v1", "POST /api/outbox/v1/{id}/retry", "POST /api/outbox/v1/{id}/cancel", "POST /api/ncip"} {
		if !strings.Contains(strings.Join(paths, "\n"), want) {
			t.Errorf("index lacks %s: %v", want, paths)
		}
	}
}
