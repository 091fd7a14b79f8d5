package faults

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Wait holds for the fault's latency, or until ctx ends. It is the one
// deliberate delay in the simulators: the fault being simulated is slowness.
func Wait(ctx context.Context, d Duration) error {
	t := time.NewTimer(time.Duration(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Corrupt turns a reply into what the fault sends instead of it: half the
// bytes and a broken tag for Malformed, the bytes under an ISO-8859-1
// declaration for WrongCharset. Other kinds leave it as it is.
func Corrupt(kind string, reply []byte) []byte {
	switch kind {
	case Malformed:
		out := append([]byte(nil), reply[:len(reply)/2]...)
		return append(out, "<</broken"...)
	case WrongCharset:
		if i := bytes.Index(reply, []byte("encoding=\"UTF-8\"")); i >= 0 {
			return bytes.Replace(reply, []byte("encoding=\"UTF-8\""), []byte("encoding=\"ISO-8859-1\""), 1)
		}
		return append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), reply...)
	}
	return reply
}

// WriteHTTP delivers reply (with contentType) through w, or the fault f
// instead when f is not nil. It returns a short description of what was
// done, for the journal. Problem faults are the caller's to build.
func WriteHTTP(ctx context.Context, w http.ResponseWriter, contentType string, reply []byte, f *Fault) (status int, sent []byte, err error) {
	if f == nil {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(reply)
		return http.StatusOK, reply, err
	}
	switch f.Kind {
	case Latency:
		if err := Wait(ctx, f.Latency); err != nil {
			return 0, nil, err
		}
		return WriteHTTP(ctx, w, contentType, reply, nil)
	case NoAnswer:
		<-ctx.Done()
		return 0, nil, ctx.Err()
	case Reset:
		return 0, nil, resetHTTP(w)
	case Status:
		if f.Body != "" {
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		}
		w.WriteHeader(f.Status)
		_, err = w.Write([]byte(f.Body))
		return f.Status, []byte(f.Body), err
	case Malformed:
		return WriteHTTP(ctx, w, contentType, Corrupt(Malformed, reply), nil)
	case WrongCharset:
		return WriteHTTP(ctx, w, "text/xml; charset=ISO-8859-1", Corrupt(WrongCharset, reply), nil)
	case Truncated:
		half := reply[:len(reply)/2]
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.WriteHeader(http.StatusOK)
		w.Write(half)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		// Closing now leaves the client short of the announced length.
		return http.StatusOK, half, resetHTTP(w)
	}
	return WriteHTTP(ctx, w, contentType, reply, nil)
}

// resetHTTP takes the connection from net/http and closes it with an RST.
func resetHTTP(w http.ResponseWriter) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return ResetConn(conn)
}

// ResetConn closes a connection so the peer sees a reset rather than an orderly close.
func ResetConn(conn net.Conn) error {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return conn.Close()
}

// WriteConn delivers a reply over a raw socket (an ALEPH NCIP port), or the
// fault instead. frame, when not nil, wraps a body in its transport framing
// (an HTTP/1.0 status line and headers). The caller closes conn afterwards.
func WriteConn(ctx context.Context, conn net.Conn, frame func(body []byte) []byte, reply []byte, f *Fault) ([]byte, error) {
	if frame == nil {
		frame = func(b []byte) []byte { return b }
	}
	if f == nil {
		out := frame(reply)
		_, err := conn.Write(out)
		return out, err
	}
	switch f.Kind {
	case Latency:
		if err := Wait(ctx, f.Latency); err != nil {
			return nil, err
		}
		return WriteConn(ctx, conn, frame, reply, nil)
	case NoAnswer:
		<-ctx.Done()
		return nil, ctx.Err()
	case Reset:
		return nil, ResetConn(conn)
	case Status:
		out := fmt.Appendf(nil, "HTTP/1.0 %d %s\r\nContent-Length: %d\r\n\r\n%s", f.Status, http.StatusText(f.Status), len(f.Body), f.Body)
		_, err := conn.Write(out)
		return out, err
	case Malformed, WrongCharset:
		return WriteConn(ctx, conn, frame, Corrupt(f.Kind, reply), nil)
	case Truncated:
		// The framing announces the whole reply; half of it arrives.
		full := frame(reply)
		out := full[:len(full)-len(reply)+len(reply)/2]
		_, err := conn.Write(out)
		ResetConn(conn)
		return out, err
	}
	return WriteConn(ctx, conn, frame, reply, nil)
}
