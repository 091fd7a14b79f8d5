package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ addr, host, want string }{
		{"127.0.0.1:7700", "0.0.0.0", "0.0.0.0:7700"},
		{"127.0.0.1:5991", "::", "[::]:5991"},
		{"127.0.0.1:0", "localhost", "localhost:0"},
		{"no port", "0.0.0.0", "no port"},
	} {
		if got := rebind(tc.addr, tc.host); got != tc.want {
			t.Errorf("rebind(%q, %q) = %q, want %q", tc.addr, tc.host, got, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.2": true, "::1": true, "localhost": true,
		"0.0.0.0": false, "::": false, "172.17.0.2": false, "annex.example": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

// Only the copy handed to the world is opened: DemoFacility's next caller
// still gets the loopback-only account.
func TestOpenDemoSFTP(t *testing.T) {
	_, profs := profile.DemoFacility()
	before := *profs[0].Intake.SFTP
	openDemoSFTP(profs)
	var opened int
	for _, p := range profs {
		if s := p.Intake.SFTP; s != nil {
			opened++
			if !slices.Equal(s.AllowedNetworks, []string{"0.0.0.0/0", "::/0"}) {
				t.Errorf("profile %s: allowed networks %v", p.Name, s.AllowedNetworks)
			}
		}
	}
	if opened == 0 {
		t.Fatal("the demo has no SFTP profile to open")
	}
	if !slices.Equal(before.AllowedNetworks, []string{"127.0.0.0/8"}) {
		t.Errorf("the original account changed: %v", before.AllowedNetworks)
	}
}

func TestUpBindRejectsPort(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"up", "--bind", "0.0.0.0:7700"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	if code != exitTrouble || !strings.Contains(stderr.String(), "without a port") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
