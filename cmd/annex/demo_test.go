package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestDemoRepeats: `annex up --demo-auto` (what `make run` starts) keeps
// cycling: after everything is refiled the libraries request it again, so
// the third cycle's requests are retrieved and refiled too.
func TestDemoRepeats(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	args := append(ephemeralUpArgs(t.TempDir(), nil)[1:], "--demo-auto", "--demo-every", "20ms")
	done := make(chan int, 1)
	go func() {
		done <- runUp(ctx, args, io.Discard, pw)
		pw.Close()
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			// REQ-1 is mock ALMA's first demo request; REQ-1.3 is it requested a third time.
			if l := sc.Text(); strings.Contains(l, `demo: refiled`) && strings.Contains(l, "request=REQ-1.3 ") {
				found <- l
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case l := <-found:
		t.Log(l)
	case code := <-done:
		t.Fatalf("annex up exited %d before a third demo cycle", code)
	case <-time.After(30 * time.Second):
		t.Fatal("no third demo cycle within 30s")
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("annex up exited %d", code)
	}
}
