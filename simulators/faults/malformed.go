package faults

import (
	"context"
	"net"
	"net/http"
)

// Malformed is the name of MalformedFault.
const Malformed = "malformed"

// MalformedFault answers with a reply that is not well-formed XML: half
// of it and a broken tag.
type MalformedFault struct{}

func (builtin) Malformed() Kind { return MalformedFault{} }

// Name implements Kind.
func (MalformedFault) Name() string { return Malformed }

// Validate implements Kind.
func (MalformedFault) Validate() error { return nil }

// Effect implements Kind.
func (MalformedFault) Effect() Effect { return Spoils }

// Corrupt is what the fault sends instead of reply.
func (MalformedFault) Corrupt(reply []byte) []byte {
	out := append([]byte(nil), reply[:len(reply)/2]...)
	return append(out, "<</broken"...)
}

// HTTP implements Kind.
func (k MalformedFault) HTTP(_ context.Context, w http.ResponseWriter, r Reply) (int, []byte, error) {
	r.Body = k.Corrupt(r.Body)
	return PlainHTTP(w, r)
}

// Conn implements Kind.
func (k MalformedFault) Conn(_ context.Context, conn net.Conn, r Reply) (int, []byte, error) {
	r.Body = k.Corrupt(r.Body)
	return PlainConn(conn, r)
}
