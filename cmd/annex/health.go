package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealth probes a /healthz URL: exit 0 when it answers 200, 1 when it
// answers anything else, 2 when it cannot be reached (connection refused, a
// timeout) or the usage is wrong, as every annex command does. It exists for
// the container image's HEALTHCHECK (the image is FROM scratch: no shell,
// curl or wget); Docker counts every non-zero status as a failed check.
func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("health", "health [--timeout 5s] URL", stderr)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	pos, code, ok := parseArgs(fs, args, exactly(1))
	if !ok {
		return code
	}
	url := pos[0]
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "annex health: %v\n", err)
		return exitTrouble
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%s: no answer within %s (--timeout)", url, *timeout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "annex health: %v\n", err)
		return exitTrouble
	}
	defer resp.Body.Close()
	// Drain a little so the connection closes cleanly; the body is not the verdict.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "annex health: %s: HTTP %d\n", url, resp.StatusCode)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: ok\n", url)
	return exitOK
}
