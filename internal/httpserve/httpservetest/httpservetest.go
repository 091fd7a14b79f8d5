// Package httpservetest checks that an HTTP listener applies its
// httpserve.Timeouts: a client that trickles its headers or never finishes
// its body is cut off while another client is served meanwhile.
package httpservetest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/httpserve"
)

// giveUp is how long past its timeout a slow client may stay connected
// before the check calls the timeout missing (a loaded machine's slack;
// only a failing run waits it). The old 10 s header timeout fails here.
const giveUp = 3 * time.Second

// Short returns timeouts short enough for SlowClients to run fast and
// long enough for a loaded machine: 200ms for the headers, 400ms for the
// whole request.
func Short() httpserve.Timeouts {
	return httpserve.Timeouts{ReadHeader: httpserve.Duration(200 * time.Millisecond), Read: httpserve.Duration(400 * time.Millisecond)}
}

// SlowClients connects to the listener at base ("http://host:port") twice:
// one client sends the start of a GET okPath byte by byte and stops; the
// other sends a POST bodyPath's headers and part of its body and stops.
// Meanwhile a third client's GET okPath must be answered 200. Each slow
// client must then be disconnected, not before its timeout (to.ReadHeader,
// to.Read) and not long after it. Keep to's values short.
func SlowClients(t testing.TB, base, okPath, bodyPath string, to httpserve.Timeouts) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	type cut struct {
		name  string
		after time.Duration // the timeout that should end it
		took  time.Duration
		err   error
	}
	done := make(chan cut, 2)
	slow := func(name string, after time.Duration, send func(net.Conn) error) {
		start := time.Now()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("%s: dial: %v", name, err)
		}
		t.Cleanup(func() { conn.Close() })
		if err := send(conn); err != nil {
			t.Fatalf("%s: send: %v", name, err)
		}
		// The read ends when the server closes the connection (an answer
		// to the cut-off request may come first); the deadline only stops a
		// failing run from hanging.
		conn.SetReadDeadline(start.Add(after + giveUp))
		go func() {
			_, err := io.Copy(io.Discard, conn)
			done <- cut{name, after, time.Since(start), err}
		}()
	}
	slow("headers sent byte by byte", time.Duration(to.ReadHeader), func(c net.Conn) error {
		for _, b := range []byte("GET " + okPath + " HTTP/1.1\r\nHost: annex\r\nX-Slow: 1") {
			if _, err := c.Write([]byte{b}); err != nil {
				return err
			}
		}
		return nil
	})
	slow("body never finished", time.Duration(to.Read), func(c net.Conn) error {
		_, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: annex\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>", bodyPath)
		return err
	})

	resp, err := http.Get(base + okPath)
	if err != nil {
		t.Fatalf("another client while two are slow: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("another client while two are slow: HTTP %d", resp.StatusCode)
	}
	select {
	case c := <-done:
		t.Fatalf("%s: cut off after %v, before another client was served", c.name, c.took)
	default:
	}
	for range 2 {
		c := <-done
		var ne net.Error
		switch {
		case errors.As(c.err, &ne) && ne.Timeout():
			t.Errorf("%s: still connected %v after its %v timeout", c.name, giveUp, c.after)
		case c.took < c.after*9/10:
			t.Errorf("%s: cut off after %v, before its %v timeout", c.name, c.took, c.after)
		default:
			t.Logf("%s: cut off after %v (timeout %v)", c.name, c.took.Round(time.Millisecond), c.after)
		}
	}
}
