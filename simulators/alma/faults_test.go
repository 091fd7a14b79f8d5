package alma

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/internal/simtest"
	"github.com/annexlab/annex/simulators/journal"
)

func addFault(t *testing.T, s *Server, js string) {
	t.Helper()
	simtest.AddFault(t, s.URL(), js)
}

// rawPost posts and returns the response and the error of reading it, so a
// test can see exactly how the transport failed.
func rawPost(c *http.Client, url string, body []byte) (*http.Response, []byte, error) {
	resp, err := c.Post(url, "text/xml", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp, out, err
}

func TestFaultCountThenNormal(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"status","status":503,"body":"<html>down for maintenance</html>","count":1}`)
	body := encode(t, checkIn(hdr(), barcode3))
	status, out := post(t, nil, s.NCIPURL(), body)
	if status != 503 || string(out) != "<html>down for maintenance</html>" {
		t.Fatalf("first: %d %s", status, out)
	}
	status, out = post(t, nil, s.NCIPURL(), body)
	if status != 200 || bytes.Contains(out, []byte("Problem")) {
		t.Fatalf("second: %d %s", status, out)
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Fault == faults.Status })
	if e.Status != 503 {
		t.Errorf("journal status %d", e.Status)
	}
}

func TestFaultTargetsService(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"status","status":500,"service":"CheckOutItem"}`)
	if status, _ := post(t, nil, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3))); status != 200 {
		t.Errorf("CheckInItem got %d", status)
	}
	if status, _ := post(t, nil, s.NCIPURL(), encode(t, checkOut(hdr(), annexUser, barcode3))); status != 500 {
		t.Errorf("CheckOutItem got %d", status)
	}
	// Without after_processing the fault replaced processing.
	if it := itemOf(t, getState(t, s), barcode3); it.Status != StatusInPlace {
		t.Errorf("state changed under a fault: %+v", it)
	}
}

func TestFaultAfterProcessingChangesState(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"status","status":502,"after_processing":true}`)
	if status, _ := post(t, nil, s.NCIPURL(), encode(t, checkOut(hdr(), annexUser, barcode1))); status != 502 {
		t.Fatalf("status %d", status)
	}
	if it := itemOf(t, getState(t, s), barcode1); it.Status != StatusInTransit {
		t.Errorf("the work was not done before the answer was lost: %+v", it)
	}
}

func TestFaultLatency(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"latency","latency":"150ms","count":1}`)
	t0 := time.Now()
	status, out := post(t, nil, s.NCIPURL(), encode(t, checkOut(hdr(), annexUser, barcode1)))
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("answered after %v, want ≥ 150ms", d)
	}
	if status != 200 || bytes.Contains(out, []byte("Problem")) {
		t.Fatalf("%d %s", status, out)
	}
	if it := itemOf(t, getState(t, s), barcode1); it.Status != StatusInTransit {
		t.Errorf("a slow ALMA still does the work: %+v", it)
	}
}

func TestFaultNoAnswer(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"no-answer","count":1}`)
	c := &http.Client{Timeout: 200 * time.Millisecond}
	_, _, err := rawPost(c, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3)))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
	waitJournal(t, s, func(e journal.Exchange) bool { return e.Fault == faults.NoAnswer })
}

func TestFaultReset(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"reset","count":1}`)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, _, err := rawPost(c, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3)))
	if err == nil || !(strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "EOF")) {
		t.Fatalf("want connection reset or EOF, got %v", err)
	}
}

func TestFaultMalformed(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"malformed","count":1}`)
	_, out := post(t, nil, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3)))
	var se *ncip.SyntaxError
	if _, err := ncip.Parse(out, ncip.ParseOptions{}); !errors.As(err, &se) {
		t.Fatalf("reply is well-formed (%v):\n%s", err, out)
	}
}

func TestFaultTruncated(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"truncated","count":1}`)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, _, err := rawPost(c, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3)))
	if !errors.Is(err, io.ErrUnexpectedEOF) && (err == nil || !strings.Contains(err.Error(), "reset")) {
		t.Fatalf("want unexpected EOF, got %v", err)
	}
}

func TestFaultProblem(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"problem","problem_type":"Temporary Processing Failure","problem_detail":"database is down","service":"CheckOutItem"}`)
	m, out := send(t, s, checkOut(hdr(), annexUser, barcode1))
	checkEcho(t, out)
	p := m.Problems()
	if _, ok := m.Body.(*ncip.CheckOutItemResponse); !ok || len(p) != 1 || p[0].ProblemType.Value != "Temporary Processing Failure" || p[0].ProblemDetail != "database is down" {
		t.Fatalf("reply:\n%s", out)
	}
	st := getState(t, s)
	if it := itemOf(t, st, barcode1); it.Status != StatusRequested || requestOf(t, st, "REQ-1").Step != StepPending {
		t.Errorf("a problem fault changed the state: %+v", it)
	}
}

// after_processing narrows a problem fault as any other: the library did
// the work, and its answer is the Problem (as mock ALEPH does).
func TestFaultProblemAfterProcessing(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"problem","problem_type":"Temporary Processing Failure","after_processing":true,"count":1}`)
	m, _ := send(t, s, checkOut(hdr(), annexUser, barcode1))
	if p := m.Problems(); len(p) != 1 || p[0].ProblemType.Value != "Temporary Processing Failure" {
		t.Fatalf("want the Problem, got %+v", m.Body)
	}
	if it := itemOf(t, getState(t, s), barcode1); it.Status != StatusInTransit {
		t.Errorf("after_processing: the work was not done: %+v", it)
	}
}

func TestFaultWrongCharset(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"wrong-charset","count":1}`)
	resp, out, err := rawPost(http.DefaultClient, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="ISO-8859-1"`)) || !strings.Contains(resp.Header.Get("Content-Type"), "ISO-8859-1") {
		t.Errorf("reply %s with %s", out, resp.Header.Get("Content-Type"))
	}
}

func TestFaultsListedAndCleared(t *testing.T) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"status","status":503}`)
	resp, err := http.Get(s.URL() + "/_sim/faults")
	if err != nil {
		t.Fatal(err)
	}
	var list []faults.Fault
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 {
		t.Fatalf("faults = %+v", list)
	}
	req, _ := http.NewRequest(http.MethodDelete, s.URL()+"/_sim/faults", nil)
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	if status, _ := post(t, nil, s.NCIPURL(), encode(t, checkIn(hdr(), barcode3))); status != 200 {
		t.Errorf("status %d after clearing", status)
	}
}

// The inspection API refuses what it would misread (issue 13 finding 2): a
// misspelt key or service used to be accepted with 201, and the fault then
// hit every message or none. Each refusal is a 400 in the body's terms.
func TestInspectionAPIRefusesTypos(t *testing.T) {
	s := start(t, nil)
	simtest.CheckRefusals(t, s.URL(), "alma", []simtest.Refusal{
		{"POST", "/_sim/faults", `{"kind": "status", "status": 503, "servce": "CheckOutItem"}`,
			`fault: line 1:35: unknown field \"servce\" (did you mean \"service\"?)`},
		{"POST", "/_sim/faults", `{"kind": "status", "status": 503, "service": "CheckOutitem"}`,
			`fault 1: service: \"CheckOutitem\" is not a service mock ALMA answers (did you mean \"CheckOutItem\"?)`},
		{"POST", "/_sim/faults", `{"kind": "reset", "service": "RenewItem"}`,
			`it answers CheckInItem, CheckOutItem, CancelRequestItem, LookupItem`},
		{"POST", "/_sim/faults", "[{\"kind\": \"reset\"},\n {\"kind\": \"reset\", \"cuont\": 1}]",
			`fault: line 2:20: [1]: unknown field \"cuont\" (did you mean \"count\"?)`},
		{"POST", "/_sim/faults", `{"kind": "status", "status": "503"}`,
			`fault: line 1:30: status: want a whole number, got \"503\"`},
		{"POST", "/_sim/faults", `{"kind": "latency", "latency": "soon"}`,
			`fault: line 1:32: latency: \"soon\" is not a duration (want e.g. \"500ms\" or \"5s\")`},
		{"PUT", "/_sim/state", "institution: X\nitemz: []\n",
			`load state: line 2:1: unknown field \"itemz\" (did you mean \"items\"?)`},
		{"PUT", "/_sim/state", `{"institution": "X", "items": [{"barcode": "1", "libary": "MAIN"}]}`,
			`load state: line 1:49: items[0]: unknown field \"libary\" (did you mean \"library\"?)`},
		{"PUT", "/_sim/state", `{"institution": "X", "items": {"barcode": "1"}}`,
			`load state: line 1:31: items: want a list, got a mapping`},
		// The endpoints that take no fields refuse one rather than ignore it.
		{"POST", "/_sim/export", `{"profile": "ANNEX"}`,
			`POST /_sim/export: line 1:2: unknown field \"profile\": no fields are taken here`},
		{"POST", "/_sim/reset", `{"keep_faults": true}`,
			`POST /_sim/reset: line 1:2: unknown field \"keep_faults\"`},
		{"POST", "/_sim/items/" + barcode3 + "/delete", `{"barcode": "x"}`,
			`unknown field \"barcode\"`},
	})
	if status, body := simtest.Do(t, "POST", s.URL()+"/_sim/faults", `{"kind": "reset", "service": "CheckOutItem"}`); status != http.StatusCreated {
		t.Errorf("a correct fault: HTTP %d %s", status, body)
	}
}
