package faults

import (
	"bytes"
	"context"
	"net"
	"net/http"
)

// WrongCharset is the name of WrongCharsetFault.
const WrongCharset = "wrong-charset"

// WrongCharsetFault sends the reply's UTF-8 bytes under a declaration and
// Content-Type that say ISO-8859-1. The reply is still readable, so the
// work is done.
type WrongCharsetFault struct{}

func (builtin) WrongCharset() Kind { return WrongCharsetFault{} }

// Name implements Kind.
func (WrongCharsetFault) Name() string { return WrongCharset }

// Validate implements Kind.
func (WrongCharsetFault) Validate() error { return nil }

// Effect implements Kind.
func (WrongCharsetFault) Effect() Effect { return Keeps }

// Corrupt is what the fault sends instead of reply.
func (WrongCharsetFault) Corrupt(reply []byte) []byte {
	utf8 := []byte(`encoding="UTF-8"`)
	if bytes.Contains(reply, utf8) {
		return bytes.Replace(reply, utf8, []byte(`encoding="ISO-8859-1"`), 1)
	}
	return append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), reply...)
}

// HTTP implements Kind.
func (k WrongCharsetFault) HTTP(_ context.Context, w http.ResponseWriter, r Reply) (int, []byte, error) {
	r.Body, r.ContentType = k.Corrupt(r.Body), "text/xml; charset=ISO-8859-1"
	return PlainHTTP(w, r)
}

// Conn implements Kind.
func (k WrongCharsetFault) Conn(_ context.Context, conn net.Conn, r Reply) (int, []byte, error) {
	r.Body = k.Corrupt(r.Body)
	return PlainConn(conn, r)
}
