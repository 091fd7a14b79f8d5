package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// startSim runs `annex sim KIND` and returns the lines it printed before "ready".
func startSim(t *testing.T, args ...string) ([]string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"sim"}, args...), strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	var lines []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ready") {
			break
		}
		lines = append(lines, sc.Text())
	}
	go io.Copy(io.Discard, pr)
	if len(lines) == 0 {
		cancel()
		t.Fatalf("annex sim %v printed nothing before ready (exit %d)", args, <-done)
	}
	return lines, func() int { cancel(); return <-done }
}

var addrRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

func TestSim(t *testing.T) {
	for _, kind := range []string{"alma", "aleph"} {
		t.Run(kind, func(t *testing.T) {
			lines, stop := startSim(t, kind, "--listen", "127.0.0.1:0")
			base := "http://" + addrRE.FindString(lines[0])
			resp, err := http.Get(base + "/_sim/state")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("state of %s at %s: %v", kind, base, err)
			}
			resp.Body.Close()
			if code := stop(); code != exitOK {
				t.Errorf("exit %d", code)
			}
		})
	}
	t.Run("sftp", func(t *testing.T) {
		lines, stop := startSim(t, "sftp", "--listen", "127.0.0.1:0")
		addr := addrRE.FindString(lines[0])
		conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "alma", Auth: []ssh.AuthMethod{ssh.Password("alma-demo")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		if err != nil {
			t.Fatalf("demo login: %v", err)
		}
		c, err := sftp.NewClient(conn)
		if err != nil {
			t.Fatal(err)
		}
		f, err := c.Create("hello.xml")
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("<x/>"))
		f.Close()
		c.Close()
		conn.Close()
		if code := stop(); code != exitOK {
			t.Errorf("exit %d", code)
		}
	})
	t.Run("smtp", func(t *testing.T) {
		// --config with one fault: the first message is refused with a 451, the second caught.
		cfg := filepath.Join(t.TempDir(), "smtp.yaml")
		if err := os.WriteFile(cfg, []byte("domains: [library.example.edu]\nfaults:\n  - {kind: reject, code: 451, message: greylisted, count: 1}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		lines, stop := startSim(t, "smtp", "--config", cfg)
		addr, api := addrRE.FindString(lines[0]), "http://"+addrRE.FindString(lines[1])
		msg := []byte("Subject: hello\r\n\r\nhi\r\n")
		if err := netsmtp.SendMail(addr, nil, "a@facility.example.edu", []string{"b@library.example.edu"}, msg); err == nil || !strings.Contains(err.Error(), "451") {
			t.Errorf("first message: %v; want the configured 451", err)
		}
		if err := netsmtp.SendMail(addr, nil, "a@facility.example.edu", []string{"b@library.example.edu"}, msg); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(api + "/_sim/mail?subject=hello")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"subject": "hello"`) {
			t.Errorf("/_sim/mail: %s", b)
		}
		if code := stop(); code != exitOK {
			t.Errorf("exit %d", code)
		}
		os.WriteFile(cfg, []byte("domians: [x]\n"), 0o644)
		if code, _, errs := annex(t, "", "sim", "smtp", "--config", cfg); code != exitTrouble || !strings.Contains(errs, "domians") {
			t.Errorf("unknown key: %d %q", code, errs)
		}
	})
	if code, _, errs := annex(t, "", "sim", "oracle"); code != exitTrouble || !strings.Contains(errs, `unknown simulator "oracle"`) {
		t.Errorf("unknown simulator: %d %q", code, errs)
	}
}

// A simulator configuration with a typo or a wrong type is refused in the
// file's terms, FILE:LINE:COL, field path and did-you-mean, never with Go's
// type names (issue 13 finding 13: `main.sftpConfigYAML`, `alma.State`).
func TestSimConfigErrorsInFileTerms(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ sim, config, want string }{
		{"sftp", "accounts:\n  - name: alma\n    pasword: x\n", `:3:5: accounts[0]: unknown field "pasword" (did you mean "password"?)`},
		{"sftp", "accounts:\n  - name: alma\n    allowed_networks: [10.0.0.1]\n", `:3:24: accounts[0].allowed_networks[0]: "10.0.0.1" is not a network in CIDR form`},
		{"sftp", "max_file_size: big\n", `:1:16: max_file_size: want a whole number, got "big"`},
		{"sftp", "login_backoff: {delay: soon}\n", `:1:24: login_backoff.delay: "soon" is not a duration (want e.g. 500ms or 5s)`},
		{"alma", "state:\n  institution: X\n  itemz: []\n", `:3:3: state: unknown field "itemz" (did you mean "items"?)`},
		{"alma", "state:\n  institution: X\n  items:\n    - barcode: [1]\n", `:4:16: state.items[0].barcode: want a string, got a list`},
		{"aleph", "state:\n  itemz: []\n", `:2:3: state: unknown field "itemz" (did you mean "items"?)`},
	} {
		file := filepath.Join(dir, tc.sim+".yaml")
		if err := os.WriteFile(file, []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errs := annex(t, "", "sim", tc.sim, "--config", file)
		if code != exitTrouble || !strings.Contains(errs, file+tc.want) {
			t.Errorf("sim %s with %q: exit %d, stderr %q, want 2 and %q", tc.sim, tc.config, code, errs, file+tc.want)
		}
		msg := strings.ReplaceAll(errs, file, "FILE")
		for _, goName := range []string{"main.", "YAML", "alma.", "aleph.", "Go struct", "!!", "not found in type"} {
			if strings.Contains(msg, goName) {
				t.Errorf("sim %s: the message speaks Go (%q): %s", tc.sim, goName, errs)
			}
		}
	}
}
