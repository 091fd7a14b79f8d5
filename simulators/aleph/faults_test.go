package aleph

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/internal/simtest"
	"github.com/annexlab/annex/simulators/journal"
)

// reply is what a client saw.
type reply struct {
	status int    // HTTP status, 0 for a bare raw reply
	length int    // announced Content-Length, -1 if none
	body   []byte // what arrived
	err    error  // transport error
}

type transport struct {
	name string
	send func(t *testing.T, s *Server, msg []byte, timeout time.Duration) reply
}

var transports = []transport{
	{"http", func(t *testing.T, s *Server, msg []byte, timeout time.Duration) reply {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Post(s.URL()+"/ncip", "text/xml", bytes.NewReader(msg))
		if err != nil {
			return reply{err: err}
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		r := reply{status: resp.StatusCode, length: int(resp.ContentLength), body: b, err: err}
		if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "ISO-8859-1") {
			r.body = append([]byte("<!--iso-header-->"), r.body...)
		}
		return r
	}},
	{"raw-bare", func(t *testing.T, s *Server, msg []byte, timeout time.Duration) reply {
		return rawDo(t, s, msg, timeout, false)
	}},
	{"raw-http", func(t *testing.T, s *Server, msg []byte, timeout time.Duration) reply {
		return rawDo(t, s, httpFramed("/", "application/x-www-form-urlencoded", len(msg), msg), timeout, true)
	}},
}

func rawDo(t *testing.T, s *Server, payload []byte, timeout time.Duration, framed bool) reply {
	conn, err := net.Dial("tcp", s.PortAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(payload); err != nil {
		return reply{err: err}
	}
	b, err := io.ReadAll(conn)
	r := reply{body: b, err: err, length: -1}
	if framed && len(b) > 0 {
		resp, perr := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
		if perr != nil {
			r.err = errors.Join(r.err, perr)
			return r
		}
		r.status, r.length = resp.StatusCode, int(resp.ContentLength)
		r.body, _ = io.ReadAll(resp.Body)
		if r.length >= 0 && len(r.body) < r.length {
			r.err = errors.Join(r.err, io.ErrUnexpectedEOF)
		}
	}
	return r
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name string
		run  func(*testing.T, transport)
	}{
		{"latency", testFaultLatency},
		{"no-answer", testFaultNoAnswer},
		{"reset", testFaultReset},
		{"reset after processing", testFaultResetAfterProcessing},
		{"status", testFaultStatus},
		{"malformed", testFaultMalformed},
		{"truncated", testFaultTruncated},
		{"problem targeted by service and count", testFaultProblemTargeted},
		{"wrong-charset", testFaultWrongCharset},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, tr) })
			}
		})
	}
}

// replyWait is how long a client waits for a reply the fault does not withhold.
const replyWait = 10 * time.Second

// checkoutFirst is a CheckOutItem of the first item.
func checkoutFirst(t *testing.T) []byte { return checkOutXML(t, "000000001", msgOpts{}) }

// firstLoaned reports whether the library has the first item on loan.
func firstLoaned(t *testing.T, s *Server) bool {
	return itemOf(getState(t, s), "000000001").Status == StatusOnLoan
}

func testFaultLatency(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"latency","latency":"80ms","count":1}`)
	t0 := time.Now()
	r := tr.send(t, s, checkoutFirst(t), replyWait)
	if el := time.Since(t0); el < 80*time.Millisecond {
		t.Fatalf("answered after %v, want ≥ 80ms", el)
	}
	if r.err != nil || len(problemsOf(t, r.body)) != 0 || !firstLoaned(t, s) {
		t.Fatalf("a slow library still does the work: %+v", r)
	}
}

func testFaultNoAnswer(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"no-answer"}`)
	r := tr.send(t, s, checkoutFirst(t), 150*time.Millisecond)
	var ne net.Error
	if !errors.As(r.err, &ne) || !ne.Timeout() || len(r.body) != 0 {
		t.Fatalf("want a client timeout and nothing, got %+v", r)
	}
	waitJournal(t, s, func(e journal.Exchange) bool { return e.Fault == "no-answer" })
	if firstLoaned(t, s) {
		t.Fatal("no-answer changed the state")
	}
}

func testFaultReset(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"reset","count":1}`)
	r := tr.send(t, s, checkoutFirst(t), replyWait)
	if len(r.body) != 0 || (tr.name == "http" && r.err == nil) {
		t.Fatalf("want a reset without a reply, got %+v", r)
	}
	if firstLoaned(t, s) {
		t.Fatal("reset without after_processing changed the state")
	}
	// The next message is answered normally: count 1.
	r = tr.send(t, s, checkoutFirst(t), replyWait)
	if r.err != nil || len(problemsOf(t, r.body)) != 0 || !firstLoaned(t, s) {
		t.Fatalf("after the fault: %+v", r)
	}
}

func testFaultResetAfterProcessing(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"reset","after_processing":true}`)
	tr.send(t, s, checkoutFirst(t), replyWait)
	if !firstLoaned(t, s) {
		t.Fatal("after_processing: the library should have done the work")
	}
}

func testFaultStatus(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"status","status":503,"body":"busy"}`)
	r := tr.send(t, s, checkoutFirst(t), replyWait)
	if tr.name == "raw-bare" {
		// A bare client gets the HTTP status line it did not ask for.
		if !bytes.HasPrefix(r.body, []byte("HTTP/1.0 503")) {
			t.Fatalf("%q", r.body)
		}
	} else if r.status != 503 || string(r.body) != "busy" {
		t.Fatalf("want 503 busy, got %+v", r)
	}
	if firstLoaned(t, s) {
		t.Fatal("status changed the state")
	}
}

func testFaultMalformed(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"malformed","count":1}`)
	r := tr.send(t, s, checkoutFirst(t), replyWait)
	if _, err := ncip.Parse(r.body, ncip.ParseOptions{}); err == nil || !bytes.Contains(r.body, []byte("<</broken")) {
		t.Fatalf("want a malformed reply, got %q", r.body)
	}
	if firstLoaned(t, s) {
		t.Fatal("malformed without after_processing changed the state")
	}
}

func testFaultTruncated(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"truncated","count":1}`)
	r := tr.send(t, s, checkoutFirst(t), replyWait)
	if tr.name == "raw-bare" {
		if _, err := ncip.Parse(r.body, ncip.ParseOptions{}); err == nil || len(r.body) == 0 {
			t.Fatalf("want half a reply, got %q", r.body)
		}
	} else if r.err == nil || r.length <= len(r.body) {
		t.Fatalf("want fewer bytes than announced and an error, got %+v", r)
	}
}

func testFaultProblemTargeted(t *testing.T, tr transport) {
	s := start(t, nil)
	addFault(t, s, `{"kind":"problem","service":"CheckInItem","count":1,"problem_type":"Item Not Checked Out","problem_detail":"lost"}`)
	r := tr.send(t, s, checkoutFirst(t), replyWait)
	if len(problemsOf(t, r.body)) != 0 || !firstLoaned(t, s) {
		t.Fatalf("CheckOutItem is not targeted: %s", r.body)
	}
	r = tr.send(t, s, checkInXML(t, "000000001", msgOpts{}), replyWait)
	p := problemOf(t, r.body)
	if p.ProblemType.Value != "Item Not Checked Out" || p.ProblemType.Scheme != SchemeCheckInError || p.ProblemValue != "lost" {
		t.Fatalf("%s", r.body)
	}
	if !firstLoaned(t, s) {
		t.Fatal("an injected Problem changed the state")
	}
	r = tr.send(t, s, checkInXML(t, "000000001", msgOpts{}), replyWait)
	if len(problemsOf(t, r.body)) != 0 || firstLoaned(t, s) {
		t.Fatalf("count 1: the second CheckInItem is answered normally: %s", r.body)
	}
}

func testFaultWrongCharset(t *testing.T, tr transport) {
	s := start(t, func(c *Config) {
		c.State.Items[0].Barcode = "00000000ü"
	})
	addFault(t, s, `{"kind":"wrong-charset","count":1}`)
	r := tr.send(t, s, checkOutXML(t, "00000000ü", msgOpts{}), replyWait)
	mustContain(t, r.body, `encoding="ISO-8859-1"`)
	mustContain(t, r.body, "00000000ü") // the bytes are still UTF-8
	if tr.name == "http" {
		mustContain(t, r.body, "<!--iso-header-->")
	}
	// The reply is readable, so the library did the work (as mock ALMA has it).
	if itemOf(getState(t, s), "00000000ü").Status != StatusOnLoan {
		t.Error("wrong-charset: the work was not done")
	}
}

// problemsOf decodes a reply (which must be NCIP 1) and returns its Problems.
func problemsOf(t *testing.T, body []byte) []ncip.Problem {
	t.Helper()
	return decodeReply(t, body).Problems()
}

// The inspection API refuses a misspelt key or service with a 400 in the
// body's terms instead of installing a fault that hits everything or
// nothing (issue 13 finding 2).
func TestInspectionAPIRefusesTypos(t *testing.T) {
	s := start(t, nil)
	simtest.CheckRefusals(t, s.URL(), "aleph", []simtest.Refusal{
		{"POST", "/_sim/faults", `{"kind": "reset", "servce": "CheckInItem"}`,
			`fault: line 1:19: unknown field \"servce\" (did you mean \"service\"?)`},
		{"POST", "/_sim/faults", `{"kind": "reset", "service": "CheckinItem"}`,
			`fault 1: service: \"CheckinItem\" is not a service mock ALEPH answers (did you mean \"CheckInItem\"?)`},
		{"POST", "/_sim/faults", `{"kind": "reset", "service": "CancelRequestItem"}`,
			`it answers CheckOutItem, CheckInItem, LookupItem`},
		{"POST", "/_sim/faults", `{"kind": "problem", "problem_typ": "Unknown Item"}`,
			`unknown field \"problem_typ\" (did you mean \"problem_type\"?)`},
		{"PUT", "/_sim/state", "items:\n  - barcode: \"1\"\n    sub_libary: MAIN\n",
			`line 3:5: items[0]: unknown field \"sub_libary\" (did you mean \"sub_library\"?)`},
		{"POST", "/_sim/state", `{"items": [{"barcode": 1, "sub_library": ["MAIN"]}]}`,
			`line 1:42: items[0].sub_library: want a string, got a list`},
		{"POST", "/_sim/post-requests", `{"format": "text"}`,
			`POST /_sim/post-requests: line 1:2: unknown field \"format\": no fields are taken here`},
	})
}
