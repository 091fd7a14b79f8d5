package aleph

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/conform"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

// replyContentType is what every NCIP reply is sent as.
const replyContentType = "text/xml; charset=UTF-8"

// serveNCIP answers POST /ncip (the body, raw or URL-encoded, whatever the
// Content-Type says) and GET /ncip?<url-encoded message> (ALEPH's web
// server), with the settings of the first configured port.
func (s *Server) serveNCIP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	p, idx := s.httpPort()
	transport := "http"
	var raw []byte
	if r.Method == http.MethodGet {
		transport = "http-get"
		raw = []byte(r.URL.RawQuery)
	} else {
		var err error
		// One byte over the cap lets the parser report the size rather than a cut message.
		raw, err = io.ReadAll(io.LimitReader(r.Body, MaxMessage+1))
		if err != nil {
			s.journal.Add(journal.Exchange{Time: s.now(), Simulator: "aleph", Transport: transport, Direction: "in",
				RemoteAddr: r.RemoteAddr, Method: r.Method, URL: r.URL.String(), RequestHeaders: r.Header.Clone(),
				Request: raw, Error: fmt.Sprintf("read body: %v", err), Duration: time.Since(start)})
			return
		}
	}
	xml, notes := extractXML(raw)
	res := s.respond(p, xml, notes)
	status, sent, err := faults.WriteHTTP(r.Context(), w, replyContentType, res.reply, res.fault)
	e := journal.Exchange{Time: s.now(), Simulator: "aleph", Transport: transport, Direction: "in",
		RemoteAddr: r.RemoteAddr, LocalAddr: s.httpLn.Addr().String(), Method: r.Method, URL: r.URL.String(),
		RequestHeaders: r.Header.Clone(), Request: raw, Status: status, ResponseHeaders: w.Header().Clone(),
		Response: sent, Duration: time.Since(start)}
	res.fill(&e)
	if err != nil {
		e.Error = err.Error()
	}
	if idx < 0 {
		e.ClosestMiss = joinMiss(e.ClosestMiss, "no port is configured, so the HTTP endpoint has no agency to answer for")
	}
	s.journal.Add(e)
}

// fill copies what the responder found into a journal entry.
func (r *result) fill(e *journal.Exchange) {
	e.Version = r.version
	e.Service = r.service
	e.Problems = r.problems
	e.Findings = r.findings
	if data := r.checkData; data != nil {
		e.CheckLater(func() []ncip.Finding {
			rep, err := conform.Check(data)
			if err != nil {
				return nil // the message was parsed once already; cannot happen
			}
			return rep.Findings
		})
	}
	e.Miss = r.miss
	if r.fault != nil {
		e.Fault = r.fault.Kind
	}
}

func joinMiss(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// extractXML finds the NCIP document in what a client sent: raw XML, a form
// field holding raw or URL-encoded XML (xml=…), or a bare URL-encoded
// document. Clients label these inconsistently (raw XML as
// application/x-www-form-urlencoded, encoded XML as text/html), so the
// content decides, never the Content-Type.
func extractXML(raw []byte) ([]byte, []ncip.Finding) {
	t := trimBOMSpace(raw)
	if len(t) == 0 || t[0] == '<' {
		return raw, nil
	}
	note := func(msg string) []ncip.Finding {
		return []ncip.Finding{{Rule: "aleph.transport", Severity: ncip.Info, Message: msg}}
	}
	if i := bytes.IndexByte(t, '='); i > 0 && isToken(t[:i]) {
		v := t[i+1:]
		if len(v) > 0 && v[0] == '<' {
			return v, note(fmt.Sprintf("the message came as raw XML in the form field %q", t[:i]))
		}
		if j := bytes.IndexByte(v, '&'); j >= 0 {
			v = v[:j]
		}
		if dec, err := url.QueryUnescape(string(v)); err == nil && len(trimBOMSpace([]byte(dec))) > 0 && trimBOMSpace([]byte(dec))[0] == '<' {
			return []byte(dec), note(fmt.Sprintf("the message came URL-encoded in the form field %q", t[:i]))
		}
	}
	if bytes.Contains(bytes.ToUpper(t), []byte("%3C")) {
		if dec, err := url.QueryUnescape(string(t)); err == nil {
			return []byte(dec), note("the message came URL-encoded")
		}
	}
	return raw, nil
}

// trimBOMSpace drops a UTF-8 byte-order mark and leading whitespace.
func trimBOMSpace(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	return bytes.TrimLeft(b, " \t\r\n")
}

// isToken reports whether b can be a form field name.
func isToken(b []byte) bool {
	for _, c := range b {
		if !(c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return len(b) > 0
}
