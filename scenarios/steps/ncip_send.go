package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/journal"
)

// NCIPSend sends a fixture NCIP message straight to a mock, the way some
// client out there does: ALEPH's raw port with an HTTP/1.0 frame whose
// Content-Length counts characters, its web server's GET /ncip?<message>,
// or a plain POST.
type NCIPSend struct {
	// To is the mock the message is sent to.
	To string `yaml:"to"`
	// File is the fixture message (relative to the scenario file).
	File string `yaml:"file" scenario:"file"`
	// Via is http (POST, default), get (ALEPH's /ncip?…) or tcp (ALEPH's raw port).
	Via string `yaml:"via"`
	// From is the source IP address of a tcp send.
	From string `yaml:"from"`
	// ContentLength of a tcp send counts bytes (default) or chars; none leaves the header out.
	ContentLength string `yaml:"content_length"`
	// Expect is ok (a reply without Problem), problem, or refused (no reply at all).
	Expect string `yaml:"expect"`
	// Problem is a substring the reply's Problem must contain.
	Problem string `yaml:"problem"`
	// Finding is a substring of what the mock's journal says about the
	// exchange: a conformance finding, its closest miss or its error.
	Finding string `yaml:"finding"`
}

// NCIPSend registers ncip.send.
func (catalog) NCIPSend() scenario.Kind {
	return scenario.Kind{Name: "ncip.send", Doc: "send a fixture NCIP message to a mock, as some client would",
		New: func() scenario.Action { return &NCIPSend{} }}
}

// Validate implements scenario.Validator.
func (n *NCIPSend) Validate() error {
	if err := oneOf("to", n.To, profile.SystemALMA, profile.SystemALEPH); err != nil {
		return err
	}
	if n.Via == "" {
		n.Via = "http"
	}
	if err := oneOf("via", n.Via, "http", "get", "tcp"); err != nil {
		return err
	}
	if n.To == profile.SystemALMA && n.Via != "http" {
		return errors.New("ALMA is reached over http only")
	}
	if n.ContentLength == "" {
		n.ContentLength = "bytes"
	}
	if err := oneOf("content_length", n.ContentLength, "bytes", "chars", "none"); err != nil {
		return err
	}
	if n.Expect == "" {
		n.Expect = "ok"
	}
	return oneOf("expect", n.Expect, "ok", "problem", "refused")
}

// Run implements scenario.Action.
func (n *NCIPSend) Run(ctx context.Context, env *scenario.Env) error {
	msg, err := env.Scenario.ReadFixture(n.File)
	if err != nil {
		return scenario.Failf("ncip.send: %v", err)
	}
	m, err := mockOf(env, "ncip.send", n.To)
	if err != nil {
		return err
	}
	last := m.journal.LastID()
	var reply []byte
	switch {
	case n.To == profile.SystemALMA:
		reply, err = n.post(ctx, env, env.World.ALMA.NCIPURL(), msg)
	case n.Via == "http":
		reply, err = n.post(ctx, env, m.url+"/ncip", msg)
	case n.Via == "get":
		reply, err = n.get(ctx, env, m.url+"/ncip?"+url.QueryEscape(string(msg)))
	default:
		reply, err = n.tcp(ctx, env.World.ALEPH.PortAddrs()[0], msg)
	}
	// The mock journals an exchange once it has answered: wait for it.
	got, werr := m.journal.Wait(ctx, func(es []journal.Exchange) bool { return len(es) > 0 && es[len(es)-1].ID > last })
	var ex journal.Exchange
	if werr == nil {
		for _, e := range got {
			if e.ID > last && e.Direction == "in" {
				ex = e
				env.Own(n.To, e.ID)
			}
		}
	}
	env.Record(scenario.Event{From: "scenario", To: strings.ToUpper(n.To), Label: "NCIP " + ex.Service + " via " + n.Via,
		Request: msg, Response: reply, Status: errText(err), Failed: err != nil})
	problem := bytes.Contains(reply, []byte("Problem"))
	switch {
	case n.Expect == "refused" && len(bytes.TrimSpace(reply)) > 0:
		return scenario.Failf("ncip.send: want no answer, got %s", reply)
	case n.Expect != "refused" && err != nil:
		return scenario.Failf("ncip.send via %s: %v", n.Via, err)
	case n.Expect == "ok" && problem:
		return &scenario.Failure{Msg: fmt.Sprintf("ncip.send: the reply is a Problem: %s", reply), ClosestMiss: ex.ClosestMiss}
	case n.Expect == "problem" && !problem:
		return scenario.Failf("ncip.send: want a Problem, got %s", reply)
	case n.Problem != "" && !bytes.Contains(reply, []byte(n.Problem)):
		return scenario.Failf("ncip.send: the reply does not contain %q: %s", n.Problem, reply)
	}
	if n.Finding != "" {
		if werr != nil {
			return scenario.Failf("ncip.send: the mock journaled nothing: %v", werr)
		}
		var said []string
		for _, f := range ex.Findings {
			said = append(said, f.String())
		}
		said = append(said, ex.ClosestMiss, ex.Error, ex.ConformanceFailure)
		if !strings.Contains(strings.Join(said, "\n"), n.Finding) {
			return scenario.Failf("ncip.send: the journal does not say %q; it says: %s", n.Finding, strings.Join(said, " | "))
		}
	}
	return nil
}

func (n *NCIPSend) post(ctx context.Context, env *scenario.Env, u string, msg []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	return do(env, req)
}

func (n *NCIPSend) get(ctx context.Context, env *scenario.Env, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return do(env, req)
}

func do(env *scenario.Env, req *http.Request) ([]byte, error) {
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// tcp speaks to ALEPH's raw port as the odd clients do: an HTTP/1.0 POST
// over a socket, form-encoded content type, raw XML body.
func (n *NCIPSend) tcp(ctx context.Context, addr string, msg []byte) ([]byte, error) {
	conn, stop, err := dialFrom(ctx, n.From, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer stop()
	head := "POST /ncip HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	switch n.ContentLength {
	case "bytes":
		head += "Content-Length: " + strconv.Itoa(len(msg)) + "\r\n"
	case "chars":
		head += "Content-Length: " + strconv.Itoa(utf8.RuneCount(msg)) + "\r\n"
	}
	if _, err := conn.Write(append([]byte(head+"\r\n"), msg...)); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(conn)
	if err != nil && len(raw) == 0 {
		return nil, err
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); bytes.HasPrefix(raw, []byte("HTTP/")) && i >= 0 {
		raw = raw[i+4:]
	}
	return raw, nil
}
