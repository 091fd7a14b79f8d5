package faults

import (
	"context"
	"net"
	"net/http"
)

// What follows is embedded by built-in kinds, so that a kind's file holds
// only what is its own. Both types are unexported and without fields, so
// Register and the JSON form pass them over; they are embedded with the
// tag yaml:"-", since go-yaml would otherwise try to read them.

// noFields is embedded by a kind without fields: there is nothing to validate.
type noFields struct{}

// Validate implements Kind.
func (noFields) Validate() error { return nil }

// sendsReply is embedded by a kind that sends the reply the plain way,
// rewritten first if the kind is a Rewriter, over HTTP and raw TCP alike.
type sendsReply struct{}

// HTTP implements Kind.
func (sendsReply) HTTP(_ context.Context, w http.ResponseWriter, r Reply) (int, []byte, error) {
	return PlainHTTP(w, r)
}

// Conn implements Kind.
func (sendsReply) Conn(_ context.Context, conn net.Conn, r Reply) (int, []byte, error) {
	return PlainConn(conn, r)
}

// Rewriter is a kind that changes the reply on its way out; the changed
// reply is what its HTTP and Conn deliver.
type Rewriter interface {
	// Rewrite returns what is sent instead of r.
	Rewrite(r Reply) Reply
}
