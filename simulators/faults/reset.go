package faults

import (
	"context"
	"net"
	"net/http"
)

// Reset is the name of ResetFault.
const Reset = "reset"

// ResetFault closes the connection abruptly (TCP RST) without a reply.
type ResetFault struct {
	noFields `yaml:"-"`
}

func (builtin) Reset() Kind { return ResetFault{} }

// Name implements Kind.
func (ResetFault) Name() string { return Reset }

// Effect implements Kind.
func (ResetFault) Effect() Effect { return Withholds }

// HTTP implements Kind.
func (ResetFault) HTTP(_ context.Context, w http.ResponseWriter, _ Reply) (int, []byte, error) {
	return 0, nil, resetHTTP(w)
}

// Conn implements Kind.
func (ResetFault) Conn(_ context.Context, conn net.Conn, _ Reply) (int, []byte, error) {
	return 0, nil, resetConn(conn)
}
