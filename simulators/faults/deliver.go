package faults

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Reply is what a simulator would send: the body, its Content-Type over
// HTTP, and, over a raw connection, the transport framing that wraps a
// body (an HTTP/1.0 status line and headers; nil sends the body bare).
type Reply struct {
	ContentType string
	Body        []byte
	Frame       func(body []byte) []byte
}

// framed wraps body in the reply's framing.
func (r Reply) framed(body []byte) []byte {
	if r.Frame == nil {
		return body
	}
	return r.Frame(body)
}

// WriteHTTP delivers reply (with contentType) through w, or what the fault
// f sends instead when f is not nil, and says what went out for the
// journal. A fault that Answers has had its answer built by the caller.
func WriteHTTP(ctx context.Context, w http.ResponseWriter, contentType string, reply []byte, f *Fault) (status int, sent []byte, err error) {
	r := Reply{ContentType: contentType, Body: reply}
	if f == nil {
		return PlainHTTP(w, r)
	}
	r, err = f.prepare(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	return f.Kind.HTTP(ctx, w, r)
}

// prepare does what a fault does to a reply before delivering it: a wait
// that after_processing put after the work, then a Rewriter's rewrite.
func (f *Fault) prepare(ctx context.Context, r Reply) (Reply, error) {
	if err := f.after(ctx); err != nil {
		return Reply{}, err
	}
	if rw, ok := f.Kind.(Rewriter); ok {
		r = rw.Rewrite(r)
	}
	return r, nil
}

// PlainHTTP sends the reply as it is.
func PlainHTTP(w http.ResponseWriter, r Reply) (status int, sent []byte, err error) {
	w.Header().Set("Content-Type", r.ContentType)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(r.Body)
	return http.StatusOK, r.Body, err
}

// WriteConn delivers a reply over a raw socket (an ALEPH NCIP port), or
// what the fault sends instead; frame is as in Reply. status is the HTTP
// status framed (200 for a reply), 0 when nothing was. The caller closes
// conn afterwards.
func WriteConn(ctx context.Context, conn net.Conn, frame func(body []byte) []byte, reply []byte, f *Fault) (status int, sent []byte, err error) {
	r := Reply{Body: reply, Frame: frame}
	if f == nil {
		return PlainConn(conn, r)
	}
	r, err = f.prepare(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	return f.Kind.Conn(ctx, conn, r)
}

// PlainConn sends the reply as it is, framed.
func PlainConn(conn net.Conn, r Reply) (status int, sent []byte, err error) {
	out := r.framed(r.Body)
	_, err = conn.Write(out)
	return http.StatusOK, out, err
}

// wait holds for d, or until ctx ends. It is the one deliberate delay in
// the simulators: the fault being simulated is slowness.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resetHTTP takes the connection from net/http and closes it with an RST.
func resetHTTP(w http.ResponseWriter) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return resetConn(conn)
}

// resetConn closes a connection so the peer sees a reset rather than an orderly close.
func resetConn(conn net.Conn) error {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return conn.Close()
}
