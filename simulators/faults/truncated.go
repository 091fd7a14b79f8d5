package faults

import (
	"context"
	"net"
	"net/http"
	"strconv"
)

// Truncated is the name of TruncatedFault.
const Truncated = "truncated"

// TruncatedFault announces the whole reply but sends half of it, then closes.
type TruncatedFault struct {
	noFields `yaml:"-"`
}

func (builtin) Truncated() Kind { return TruncatedFault{} }

// Name implements Kind.
func (TruncatedFault) Name() string { return Truncated }

// Effect implements Kind.
func (TruncatedFault) Effect() Effect { return Spoils }

// HTTP implements Kind.
func (TruncatedFault) HTTP(_ context.Context, w http.ResponseWriter, r Reply) (int, []byte, error) {
	half := r.Body[:len(r.Body)/2]
	w.Header().Set("Content-Type", r.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(http.StatusOK)
	w.Write(half)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	// Closing now leaves the client short of the announced length.
	return http.StatusOK, half, resetHTTP(w)
}

// Conn implements Kind: the framing announces the whole reply; half of it arrives.
func (TruncatedFault) Conn(_ context.Context, conn net.Conn, r Reply) (int, []byte, error) {
	full := r.framed(r.Body)
	out := full[:len(full)-len(r.Body)+len(r.Body)/2]
	_, err := conn.Write(out)
	resetConn(conn)
	return http.StatusOK, out, err
}
