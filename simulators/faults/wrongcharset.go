package faults

import "bytes"

// WrongCharset is the name of WrongCharsetFault.
const WrongCharset = "wrong-charset"

// WrongCharsetFault sends the reply's UTF-8 bytes under a declaration and
// Content-Type that say ISO-8859-1. The reply is still readable, so the
// work is done.
type WrongCharsetFault struct {
	noFields   `yaml:"-"`
	sendsReply `yaml:"-"`
}

func (builtin) WrongCharset() Kind { return WrongCharsetFault{} }

// Name implements Kind.
func (WrongCharsetFault) Name() string { return WrongCharset }

// Effect implements Kind.
func (WrongCharsetFault) Effect() Effect { return Keeps }

// Rewrite implements Rewriter. The Content-Type matters only over HTTP;
// a raw port's framing has its own.
func (WrongCharsetFault) Rewrite(r Reply) Reply {
	utf8 := []byte(`encoding="UTF-8"`)
	if bytes.Contains(r.Body, utf8) {
		r.Body = bytes.Replace(r.Body, utf8, []byte(`encoding="ISO-8859-1"`), 1)
	} else {
		r.Body = append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), r.Body...)
	}
	r.ContentType = "text/xml; charset=ISO-8859-1"
	return r
}
