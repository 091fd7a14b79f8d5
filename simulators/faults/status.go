package faults

import (
	"context"
	"fmt"
	"net"
	"net/http"
)

// Status is the name of StatusFault.
const Status = "status"

// StatusFault answers with an HTTP status and a body (maybe empty) instead of the reply.
type StatusFault struct {
	// Status is the HTTP status, e.g. 503.
	Status int `json:"status" yaml:"status"`
	// Body is what comes with it, sent as HTML.
	Body string `json:"body,omitempty" yaml:"body,omitempty"`
}

func (builtin) Status() Kind { return StatusFault{} }

// Name implements Kind.
func (StatusFault) Name() string { return Status }

// Validate implements Kind.
func (k StatusFault) Validate() error {
	if k.Status < 100 || k.Status > 599 {
		return fmt.Errorf("status %d is not an HTTP status", k.Status)
	}
	return nil
}

// Effect implements Kind.
func (StatusFault) Effect() Effect { return Withholds }

// HTTP implements Kind.
func (k StatusFault) HTTP(_ context.Context, w http.ResponseWriter, _ Reply) (int, []byte, error) {
	if k.Body != "" {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	}
	w.WriteHeader(k.Status)
	_, err := w.Write([]byte(k.Body))
	return k.Status, []byte(k.Body), err
}

// Conn implements Kind: an HTTP/1.0 answer whatever the framing, since a
// status is HTTP's to give.
func (k StatusFault) Conn(_ context.Context, conn net.Conn, _ Reply) (int, []byte, error) {
	out := fmt.Appendf(nil, "HTTP/1.0 %d %s\r\nContent-Length: %d\r\n\r\n%s", k.Status, http.StatusText(k.Status), len(k.Body), k.Body)
	_, err := conn.Write(out)
	return k.Status, out, err
}
