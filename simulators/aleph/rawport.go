package aleph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

// rawPort is one ALEPH NCIP server on its own TCP port.
type rawPort struct {
	index int
	cfg   PortConfig
	ln    net.Listener
}

// lingerTimeout bounds the wait for the client to finish after the reply,
// so closing does not reset a connection whose reply is still in flight.
const lingerTimeout = 2 * time.Second

func (s *Server) acceptLoop(p *rawPort) {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("aleph: accept", "port", p.index, "err", err)
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(p, conn)
		}()
	}
}

// clientAllowed checks the client against the port's licence records.
func clientAllowed(allowed []netip.Prefix, addr net.Addr) (netip.Addr, bool) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip := ta.AddrPort().Addr().Unmap()
	for _, p := range allowed {
		if p.Contains(ip) {
			return ip, true
		}
	}
	return ip, false
}

// serveConn answers one message on a raw NCIP connection, then closes it.
func (s *Server) serveConn(p *rawPort, conn net.Conn) {
	start := time.Now()
	defer conn.Close()
	stop := context.AfterFunc(s.ctx, func() { conn.Close() })
	defer stop()
	e := journal.Exchange{Simulator: "aleph", Transport: "tcp", Direction: "in",
		RemoteAddr: conn.RemoteAddr().String(), LocalAddr: conn.LocalAddr().String()}
	if ip, ok := clientAllowed(p.cfg.AllowedClients, conn.RemoteAddr()); !ok {
		// ALEPH drops a client without a licence record without a word.
		e.Time, e.Duration = s.now(), time.Since(start)
		e.Error = fmt.Sprintf("refused: client %s has no licence record on port %d (allowed_clients %v); closed without an answer", ip, p.index, p.cfg.AllowedClients)
		s.journal.Add(e)
		return
	}
	conn.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	in, rerr := readMessage(conn, MaxMessage)
	e.Request = in.raw
	e.Method, e.URL = in.method, in.target
	if in.header != nil {
		e.RequestHeaders = in.header
	}
	if len(bytes.TrimSpace(in.raw)) == 0 {
		e.Time, e.Duration = s.now(), time.Since(start)
		e.Error = "no message"
		if rerr != nil {
			e.Error = fmt.Sprintf("no message: %v", rerr)
		}
		s.journal.Add(e)
		return
	}
	res := s.respond(s.ctx, p.cfg, in.xml, in.notes)
	res.fill(&e)

	var frame func([]byte) []byte
	if in.http {
		frame = httpFrame
	}
	conn.SetWriteDeadline(time.Now().Add(s.cfg.ReadTimeout))
	status, sent, werr := 0, []byte(nil), res.gone
	if res.gone == nil {
		status, sent, werr = faults.WriteConn(s.ctx, conn, frame, res.reply, res.fault)
	}
	if in.http {
		e.Status = status
	}
	e.Response = sent
	if werr != nil && !errors.Is(werr, context.Canceled) {
		e.Error = werr.Error()
	}
	// A fault that closed the connection already makes this a no-op.
	lingerClose(conn)
	e.Time, e.Duration = s.now(), time.Since(start)
	s.journal.Add(e)
}

// lingerClose half-closes the connection and discards what the client
// still sends (such as bytes past a miscounted Content-Length), so the
// final close does not turn into a reset that could destroy the reply.
func lingerClose(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	tc.CloseWrite()
	tc.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.Copy(io.Discard, io.LimitReader(tc, MaxMessage))
}

// httpFrame wraps a reply in an HTTP/1.0 response, for clients that spoke HTTP to the raw port.
func httpFrame(body []byte) []byte {
	head := "HTTP/1.0 200 OK\r\nContent-Type: " + replyContentType + "\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
	return append([]byte(head), body...)
}

// rawMessage is one message as read from a raw port.
type rawMessage struct {
	// raw is every byte read, for the journal.
	raw []byte
	// http reports HTTP framing (a request line and headers).
	http           bool
	method, target string
	header         map[string][]string
	// xml is the NCIP document, URL-decoded when it came encoded.
	xml   []byte
	notes []ncip.Finding
}

var (
	requestLine = regexp.MustCompile(`^([A-Z]{3,10}) (\S+) HTTP/\d\.\d\r?$`)
	endTag      = regexp.MustCompile(`</(?:[A-Za-z_][\w.\-]*:)?NCIPMessage\s*>`)
	endTagEnc   = regexp.MustCompile(`(?i)%3C%2F(?:[A-Za-z_][\w.\-]*(?::|%3A))?NCIPMessage(?:\s|\+|%20|%09|%0A|%0D)*%3E`)
)

// maxHeader caps the request line and headers of an HTTP-framed message.
const maxHeader = 64 << 10

// endOf returns the index just past the NCIPMessage end tag, raw or
// URL-encoded, searching from 'from'; -1 when there is none yet.
func endOf(b []byte, from int) int {
	from = max(0, from-80) // an end tag may straddle two reads
	best := -1
	if loc := endTag.FindIndex(b[from:]); loc != nil {
		best = from + loc[1]
	}
	if loc := endTagEnc.FindIndex(b[from:]); loc != nil && (best < 0 || from+loc[1] < best) {
		best = from + loc[1]
	}
	return best
}

// readMessage reads one NCIP message from a raw connection: either HTTP/1.0
// framed (request line, headers, a body of Content-Length) or bare XML up to
// </NCIPMessage>. Content-Length is a hint, not a fact: clients count
// characters instead of bytes, so reading continues past it while the
// document is open, and stops short of it once the document is closed. It
// returns what it has when the reader ends or fails (a read deadline), with
// the error; raw is capped at max+1 bytes so an oversized message is
// reported as such by the parser.
func readMessage(r io.Reader, maxSize int) (rawMessage, error) {
	var m rawMessage
	buf := make([]byte, 0, 4096)
	var rerr error
	more := func() bool {
		if rerr != nil || len(buf) > maxSize {
			return false
		}
		if cap(buf)-len(buf) < 2048 {
			buf = append(buf, make([]byte, 4096)...)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), maxSize+1)])
		buf = buf[:len(buf)+n]
		if err != nil {
			rerr = err
		} else if n == 0 {
			rerr = io.ErrNoProgress
		}
		return n > 0 || rerr == nil
	}
	finish := func(body []byte) (rawMessage, error) {
		m.raw = buf
		xml, notes := extractXML(body)
		m.xml = xml
		m.notes = append(m.notes, notes...)
		if errors.Is(rerr, io.EOF) {
			rerr = nil
		}
		return m, rerr
	}

	// Decide the framing from the first significant byte and line.
	for len(trimBOMSpace(buf)) == 0 && more() {
	}
	t := trimBOMSpace(buf)
	if len(t) == 0 {
		return finish(nil)
	}
	if t[0] != '<' {
		off := len(buf) - len(t)
		for bytes.IndexByte(buf, '\n') < 0 && len(buf) < maxHeader && more() {
		}
		t = buf[off:]
		line := t
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			line = t[:i]
		}
		if sm := requestLine.FindSubmatch(line); sm != nil {
			m.http, m.method, m.target = true, string(sm[1]), string(sm[2])
			return readHTTP(&m, &buf, off+len(line)+1, more, finish)
		}
	}
	// Bare XML (or a bare URL-encoded document): up to the end tag.
	from := 0
	for {
		if end := endOf(buf, from); end >= 0 {
			return finish(buf[:end])
		}
		from = len(buf)
		if !more() {
			return finish(buf)
		}
	}
}

// readHTTP reads the headers and body of an HTTP-framed message whose
// request line ends at bodyStart.
func readHTTP(m *rawMessage, bufp *[]byte, headStart int, more func() bool, finish func([]byte) (rawMessage, error)) (rawMessage, error) {
	// Headers end at the first empty line.
	var headEnd, bodyStart int
	for {
		buf := *bufp
		if headStart > len(buf) {
			headStart = len(buf)
		}
		if i := bytes.Index(buf[headStart:], []byte("\r\n\r\n")); i >= 0 {
			headEnd, bodyStart = headStart+i, headStart+i+4
			break
		}
		if i := bytes.Index(buf[headStart:], []byte("\n\n")); i >= 0 {
			headEnd, bodyStart = headStart+i, headStart+i+2
			break
		}
		if bytes.HasPrefix(buf[headStart:], []byte("\r\n")) {
			headEnd, bodyStart = headStart, headStart+2
			break
		}
		if bytes.HasPrefix(buf[headStart:], []byte("\n")) {
			headEnd, bodyStart = headStart, headStart+1
			break
		}
		if len(buf) > maxHeader || !more() {
			return finish(nil)
		}
	}
	m.header = parseHeader((*bufp)[headStart:headEnd])
	cl := -1
	if v := headerGet(m.header, "Content-Length"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			cl = n
		}
	}
	// A GET carries the message in the query string.
	if i := strings.IndexByte(m.target, '?'); i >= 0 && (m.method == "GET" || cl <= 0) {
		return finish([]byte(m.target[i+1:]))
	}
	from := bodyStart
	for {
		buf := *bufp
		body := buf[bodyStart:]
		if end := endOf(body, from-bodyStart); end >= 0 {
			body = body[:end]
			noteLength(m, cl, body)
			return finish(body)
		}
		if cl >= 0 && len(body) >= cl && !bytes.Contains(body, []byte("NCIPMessage")) {
			// Not an NCIP document in progress: the announced length is all there is.
			return finish(body[:cl])
		}
		from = len(buf)
		if !more() {
			if cl > len(body) {
				m.notes = append(m.notes, ncip.Finding{Rule: "aleph.content-length", Severity: ncip.Warning,
					Message: fmt.Sprintf("Content-Length is %d but the connection delivered %d bytes and no </NCIPMessage>", cl, len(body))})
			}
			return finish(body)
		}
	}
}

// noteLength records a Content-Length that does not count the message's bytes.
func noteLength(m *rawMessage, cl int, body []byte) {
	switch {
	case cl < 0:
		m.notes = append(m.notes, ncip.Finding{Rule: "aleph.content-length", Severity: ncip.Info,
			Message: "no Content-Length; the message was read up to </NCIPMessage>"})
	case cl == len(body):
	case cl == utf8.RuneCount(body):
		m.notes = append(m.notes, ncip.Finding{Rule: "aleph.content-length", Severity: ncip.Warning,
			Message: fmt.Sprintf("Content-Length %d counts characters, not bytes: the message has %d bytes; read up to </NCIPMessage>", cl, len(body))})
	case cl < len(body):
		m.notes = append(m.notes, ncip.Finding{Rule: "aleph.content-length", Severity: ncip.Warning,
			Message: fmt.Sprintf("Content-Length %d would cut the %d-byte message; read up to </NCIPMessage>", cl, len(body))})
	default:
		if len(bytes.TrimSpace(body)) > 0 && cl-len(body) > 2 {
			m.notes = append(m.notes, ncip.Finding{Rule: "aleph.content-length", Severity: ncip.Warning,
				Message: fmt.Sprintf("Content-Length %d is more than the %d-byte message; answered at </NCIPMessage>", cl, len(body))})
		}
	}
}

// parseHeader reads "Name: value" lines leniently: a malformed line is skipped, not fatal.
func parseHeader(b []byte) map[string][]string {
	h := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		k = canonicalKey(strings.TrimSpace(k))
		h[k] = append(h[k], strings.TrimSpace(v))
	}
	return h
}

func canonicalKey(k string) string {
	parts := strings.Split(strings.ToLower(k), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

func headerGet(h map[string][]string, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}
