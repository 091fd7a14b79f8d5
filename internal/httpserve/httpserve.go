// Package httpserve holds what every annex HTTP listener shares — the
// engine's REST API, mock ALMA, mock ALEPH's HTTP side and their /_sim/
// APIs: the timeouts that keep one slow client from holding a connection
// (and its goroutine and buffers) for as long as it likes (docs/design.md
// "Bounded"). The defaults live here and nowhere else.
package httpserve

import (
	"fmt"
	"net/http"
	"time"
)

// The defaults a zero Timeouts field stands for.
const (
	// DefaultReadHeader bounds reading a request's line and headers.
	DefaultReadHeader = 10 * time.Second
	// DefaultRead bounds reading a whole request, body included: a
	// 256 MiB request file must arrive at about 4.3 MB/s or faster.
	DefaultRead = 60 * time.Second
	// DefaultWrite bounds a request from the end of its headers to the
	// end of its answer. It is long because the engine answers a posted
	// request file only once the file is processed (a 100,000-request file
	// takes seconds, docs/design.md) and a journal page may be large; it still
	// ends a client that stops reading its answer.
	DefaultWrite = 10 * time.Minute
	// DefaultIdle bounds how long a kept-alive connection waits for its
	// next request.
	DefaultIdle = 120 * time.Second
)

// Timeouts are an HTTP listener's limits, written in YAML as durations
// ("10s"). Zero means the default; a negative value turns a limit off.
type Timeouts struct {
	ReadHeader Duration `yaml:"read_header,omitempty" json:"read_header,omitempty"`
	Read       Duration `yaml:"read,omitempty" json:"read,omitempty"`
	Write      Duration `yaml:"write,omitempty" json:"write,omitempty"`
	Idle       Duration `yaml:"idle,omitempty" json:"idle,omitempty"`
}

// Resolved returns t with every zero field set to its default.
func (t Timeouts) Resolved() Timeouts {
	or := func(d Duration, def time.Duration) Duration {
		if d == 0 {
			return Duration(def)
		}
		return d
	}
	return Timeouts{ReadHeader: or(t.ReadHeader, DefaultReadHeader), Read: or(t.Read, DefaultRead),
		Write: or(t.Write, DefaultWrite), Idle: or(t.Idle, DefaultIdle)}
}

// Server returns an http.Server serving h with these timeouts (defaults
// filled in); the caller adds ErrorLog, BaseContext and the like.
func (t Timeouts) Server(h http.Handler) *http.Server {
	r := t.Resolved()
	// net/http reads a zero or negative timeout as "none", which is what a
	// negative value here asks for.
	return &http.Server{Handler: h, ReadHeaderTimeout: time.Duration(r.ReadHeader), ReadTimeout: time.Duration(r.Read),
		WriteTimeout: time.Duration(r.Write), IdleTimeout: time.Duration(r.Idle)}
}

// Duration is a time.Duration written "10s" in YAML and JSON.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as 10s or 2m: %w", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
