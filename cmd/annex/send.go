package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/annexlab/annex/ncip"
)

// maxReply caps what send reads back, so a misbehaving peer cannot exhaust memory.
const maxReply = 16 << 20

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func runSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("send", "send [--header 'Name: value']… [--timeout D] [--raw-tcp [--bare]] URL FILE", stderr)
	var headers headerFlags
	fs.Var(&headers, "header", "extra HTTP header 'Name: value' (repeatable); Content-Type defaults to text/xml; charset=UTF-8")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	rawTCP := fs.Bool("raw-tcp", false, "URL is host:port of an NCIP 1 (ALEPH) port: send over a raw socket, read the reply until the peer closes")
	bare := fs.Bool("bare", false, "with --raw-tcp: send the XML alone, without HTTP/1.0 framing")
	pos, code, ok := parseArgs(fs, args, exactly(2))
	if !ok {
		return code
	}
	target, file := pos[0], pos[1]
	msg, err := readInput(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "annex send: %s: %v\n", file, unwrapPath(err))
		return exitTrouble
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var status int
	var body []byte
	if *rawTCP {
		status, body, err = sendRawTCP(ctx, target, msg, headers, *bare)
	} else {
		status, body, err = sendHTTP(ctx, target, msg, headers)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("no reply within %s: %w", *timeout, err)
		}
		fmt.Fprintf(stderr, "annex send: %s: %v\n", target, err)
		return exitTrouble
	}
	stdout.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		fmt.Fprintln(stdout)
	}
	code, summary := classifyReply(status, body)
	fmt.Fprintf(stderr, "annex send: %s\n", summary)
	return code
}

// classifyReply turns a reply into send's exit code: 0 an NCIP answer
// without Problems, 1 an NCIP Problem, 2 anything that is not NCIP or not a
// success status. ALMA answers Problems with HTTP 200, so the body decides.
func classifyReply(status int, body []byte) (int, string) {
	prefix := ""
	if status != 0 {
		prefix = fmt.Sprintf("HTTP %d, ", status)
	}
	m, _, err := ncip.Decode(body, ncip.ParseOptions{MaxSize: maxReply})
	if err != nil {
		if status != 0 && (status < 200 || status > 299) {
			return exitTrouble, fmt.Sprintf("%snot an NCIP reply", prefix)
		}
		return exitTrouble, fmt.Sprintf("%snot an NCIP reply: %v", prefix, err)
	}
	if status != 0 && (status < 200 || status > 299) {
		return exitTrouble, fmt.Sprintf("%s%s %s (a failure status)", prefix, m.Version, m.Body.ServiceName())
	}
	probs := m.Problems()
	if len(probs) == 0 {
		return exitOK, fmt.Sprintf("%s%s %s", prefix, m.Version, m.Body.ServiceName())
	}
	var parts []string
	for _, p := range probs {
		s := p.ProblemType.Value
		if p.ProblemDetail != "" && p.ProblemDetail != s {
			s += ": " + p.ProblemDetail
		}
		if p.ProblemElement != "" || p.ProblemValue != "" {
			s += fmt.Sprintf(" (%s = %q)", p.ProblemElement, p.ProblemValue)
		}
		parts = append(parts, s)
	}
	return exitFailed, fmt.Sprintf("%s%s %s with %d Problem(s): %s", prefix, m.Version, m.Body.ServiceName(), len(probs), strings.Join(parts, "; "))
}

func applyHeaders(h http.Header, headers []string) error {
	h.Set("Content-Type", "text/xml; charset=UTF-8")
	for _, kv := range headers {
		name, value, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("header %q: want 'Name: value'", kv)
		}
		h.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return nil
}

func sendHTTP(ctx context.Context, url string, msg []byte, headers []string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(msg))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	if err := applyHeaders(req.Header, headers); err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read reply: %w", err)
	}
	return resp.StatusCode, body, nil
}

// sendRawTCP talks to an ALEPH NCIP port: one message per connection, the
// reply read until the server closes. By default the message goes in an
// HTTP/1.0 POST, as ALEPH's usual clients send it; --bare sends only the XML.
func sendRawTCP(ctx context.Context, addr string, msg []byte, headers []string, bare bool) (int, []byte, error) {
	addr = strings.TrimPrefix(addr, "tcp://")
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	// Closing the connection when ctx ends also unblocks a read on interrupt.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var req bytes.Buffer
	if !bare {
		h := http.Header{}
		if err := applyHeaders(h, headers); err != nil {
			return 0, nil, err
		}
		fmt.Fprintf(&req, "POST / HTTP/1.0\r\nContent-Length: %d\r\n", len(msg))
		h.Write(&req)
		req.WriteString("\r\n")
	}
	req.Write(msg)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return 0, nil, fmt.Errorf("send: %w", err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	reply, err := io.ReadAll(io.LimitReader(conn, maxReply))
	if err != nil && ctx.Err() != nil {
		return 0, nil, ctx.Err()
	}
	if err != nil && len(reply) == 0 {
		return 0, nil, fmt.Errorf("read reply: %w", err)
	}
	if !bytes.HasPrefix(reply, []byte("HTTP/")) {
		return 0, reply, nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(reply)), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("read HTTP reply: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return resp.StatusCode, nil, fmt.Errorf("read reply body: %w", err)
	}
	return resp.StatusCode, body, nil
}
