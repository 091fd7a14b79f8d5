package smtp_test

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/annexlab/annex/simulators/smtp"
)

// TestSwaksSTARTTLSAuth: swaks, an SMTP client nobody on this team wrote,
// delivers to the catcher over STARTTLS with AUTH PLAIN, and is refused
// without AUTH; the message it sent is listed with its subject.
func TestSwaksSTARTTLSAuth(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Fatal("swaks not found: run `make test`, which installs it")
	}
	s := start(t, smtp.Config{TLS: true, Username: "alerts", Password: "s3cret-pass"})
	base := []string{"--server", s.Addr(), "--from", "alerts@facility.example.edu", "--to", "staff@library.example.edu",
		"--header", "Subject: [annex] denied: REQ-9 39015000000009 Invalid Stop Code", "--body", "Denied by the facility."}

	out, err := exec.CommandContext(ctxT(t), swaks, append(base, "--tls")...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "530") {
		t.Fatalf("swaks without AUTH: %v; want a 530 refusal:\n%s", err, out)
	}
	out, err = exec.CommandContext(ctxT(t), swaks, append(base, "--tls", "--auth", "PLAIN",
		"--auth-user", "alerts", "--auth-password", "s3cret-pass")...).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks with STARTTLS and AUTH: %v\n%s", err, out)
	}
	var list []smtp.Message
	getJSON(t, s.URL()+"/_sim/mail?to=staff@library.example.edu&min=1&wait=10s", http.StatusOK, &list)
	if len(list) != 1 || list[0].Subject != "[annex] denied: REQ-9 39015000000009 Invalid Stop Code" || list[0].From != "alerts@facility.example.edu" {
		t.Fatalf("listed %+v, want swaks's one message", list)
	}
}
