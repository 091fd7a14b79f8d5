package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/integration/profile"
)

// upFlags are `annex up`'s address flags, each on an ephemeral port.
var upFlags = []string{"engine", "alma", "aleph", "aleph-port", "sftp", "mail", "mail-api"}

func ephemeralUpArgs(data string, override map[string]string) []string {
	args := []string{"up", "--data", data}
	for _, f := range upFlags {
		addr := "127.0.0.1:0"
		if a, ok := override[f]; ok {
			addr = a
		}
		args = append(args, "--"+f, addr)
	}
	return args
}

// occupy listens on an ephemeral port and returns its address: a port
// this test holds, rather than hoping a default port is free or taken.
func occupy(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// runAnnexFails runs the annex binary, which must exit by itself (the
// context only bounds a hang), and returns its exit code and stderr lines.
func runAnnexFails(t *testing.T, bin string, args ...string) (int, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("annex %s: %v (want it to fail by itself)\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("annex %s did not exit: it was started\nstderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return exit.ExitCode(), strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
}

// checkOneLine asserts exit code 2 and exactly one stderr line matching want.
func checkOneLine(t *testing.T, code int, lines []string, want *regexp.Regexp) {
	t.Helper()
	if code != exitTrouble {
		t.Errorf("exit code %d, want %d", code, exitTrouble)
	}
	if len(lines) != 1 || !want.MatchString(lines[0]) {
		t.Errorf("stderr:\n%s\nwant one line matching %s", strings.Join(lines, "\n"), want)
	}
	for _, l := range lines {
		if strings.Contains(l, "panic") || strings.Contains(l, "goroutine ") {
			t.Errorf("stderr shows a panic:\n%s", strings.Join(lines, "\n"))
			break
		}
	}
}

// TestStartupErrorsAreErrors (issue 11, item 8): whatever stops `annex up`
// from starting — each of its five ports busy, a data directory that is
// not a directory, a corrupt database, history without a database — is one
// line on stderr naming the cause (for a port: the address and the flag
// that changes it), and exit code 2; never a panic. It runs the real binary.
func TestStartupErrorsAreErrors(t *testing.T) {
	bin := buildAnnex(t)
	for _, flag := range upFlags {
		t.Run("busy "+flag, func(t *testing.T) {
			busy := occupy(t)
			code, lines := runAnnexFails(t, bin, ephemeralUpArgs(t.TempDir(), map[string]string{flag: busy})...)
			checkOneLine(t, code, lines, regexp.MustCompile(
				`^annex up: `+regexp.QuoteMeta(busy)+`: address already in use \(change it with --`+regexp.QuoteMeta(flag)+`\)$`))
		})
	}
	t.Run("data dir is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "not-a-dir")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, lines := runAnnexFails(t, bin, ephemeralUpArgs(file, nil)...)
		checkOneLine(t, code, lines, regexp.MustCompile(`^annex up: .*`+regexp.QuoteMeta(file)+`.*not a directory`))
	})
	t.Run("corrupt database", func(t *testing.T) {
		data := t.TempDir()
		if err := os.WriteFile(filepath.Join(data, "annex.db"), bytes.Repeat([]byte("not a database "), 500), 0o600); err != nil {
			t.Fatal(err)
		}
		code, lines := runAnnexFails(t, bin, ephemeralUpArgs(data, nil)...)
		checkOneLine(t, code, lines, regexp.MustCompile(`^annex up: .*`+regexp.QuoteMeta(filepath.Join(data, "annex.db"))+`: database is malformed: .*--reinit`))
	})
	t.Run("history without a database", func(t *testing.T) {
		data := t.TempDir()
		writeProcessedFile(t, data, "20260101T000000.000000000Z+rsexport+BUL_ANNEX-1.xml")
		code, lines := runAnnexFails(t, bin, ephemeralUpArgs(data, nil)...)
		checkOneLine(t, code, lines, regexp.MustCompile(`^annex up: .*annex\.db is missing, but intake/alma-demo/processed/ holds 1 file.*--reinit`))
	})
}

// writeProcessedFile gives the data directory history: a request file the
// demo ALMA profile's intake has processed.
func writeProcessedFile(t *testing.T, data, name string) {
	t.Helper()
	processed := filepath.Join(data, "intake", "alma-demo", "processed")
	if err := os.MkdirAll(processed, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(processed, name), []byte("<x/>"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUpReinit (issue 11, item 4): --reinit lets `annex up` start a new
// database beside history, which it otherwise refuses.
func TestUpReinit(t *testing.T) {
	data := t.TempDir()
	writeProcessedFile(t, data, "old.xml")
	var stderr bytes.Buffer
	// The timeout only bounds a start that should not have happened.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if code := run(ctx, ephemeralUpArgs(data, nil), strings.NewReader(""), io.Discard, &stderr); code != exitTrouble ||
		!strings.Contains(stderr.String(), "--reinit") {
		t.Fatalf("annex up on history without a database: exit %d, stderr %q", code, stderr.String())
	}
	out, stop := startUpArgs(t, append(ephemeralUpArgs(data, nil), "--reinit"))
	if code := stop(); code != exitOK {
		t.Errorf("annex up --reinit: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(data, "annex.db")); err != nil {
		t.Errorf("--reinit made no database: %v", err)
	}
}

// TestBusyPortOneLine (issue 13, item 1): a newcomer whose :2222 (or :7700)
// is taken reads one line saying which address and which flag, not a Go panic.
func TestBusyPortOneLine(t *testing.T) {
	for _, flag := range []string{"sftp", "engine"} {
		busy := occupy(t)
		var stderr bytes.Buffer
		code := run(t.Context(), ephemeralUpArgs(t.TempDir(), map[string]string{flag: busy}), strings.NewReader(""), io.Discard, &stderr)
		want := fmt.Sprintf("annex up: %s: address already in use (change it with --%s)\n", busy, flag)
		if code != exitTrouble || stderr.String() != want {
			t.Errorf("--%s busy: exit %d, stderr %q; want exit 2 and %q", flag, code, stderr.String(), want)
		}
	}
}

// TestSecretsStaySecret (issue 11, item 9): `annex up --config FILE` never
// prints the facility's API key, a profile's REST key or an SFTP password;
// it says where they are set. The embedded demo still prints its public
// demo credentials.
func TestSecretsStaySecret(t *testing.T) {
	facility := writeTestFacility(t, "")
	_, profs, err := profile.LoadFacility(facility)
	if err != nil {
		t.Fatal(err)
	}
	if len(profs) != 2 || profs[0].Intake.SFTP == nil || profs[0].Intake.SFTP.Password != "Sftp-Secret-7f3a" {
		t.Fatalf("the test facility's profiles: %+v", profs)
	}

	out, stop := startUpArgs(t, []string{"up", "--config", facility, "--data", t.TempDir(), "--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0"})
	stop()
	for _, secret := range []string{"Sftp-Secret-7f3a", "Rest-Secret-91bc", "Facility-Secret-55d0"} {
		if strings.Contains(out, secret) {
			t.Errorf("annex up --config printed the secret %q:\n%s", secret, out)
		}
	}
	if n := strings.Count(out, "(set in "+facility+")"); n != 3 {
		t.Errorf("annex up --config says \"(set in %s)\" %d times, want 3 (facility key, SFTP password, REST key):\n%s", facility, n, out)
	}

	demo, stop := startUpArgs(t, ephemeralUpArgs(t.TempDir(), nil))
	stop()
	for _, public := range []string{"alma-demo", "demo-facility-key"} {
		if !strings.Contains(demo, public) {
			t.Errorf("the demo does not print its demo credential %q:\n%s", public, demo)
		}
	}
}

// TestPasswordBackoffFromFacility (issue 11, item 12): the facility file's
// sftp_login_backoff reaches `annex up`'s SFTP server: after two wrong
// passwords the account's right one is refused.
func TestPasswordBackoffFromFacility(t *testing.T) {
	facility := writeTestFacility(t, "sftp_login_backoff: {after: 2, delay: 1h, reply_delay: -1s}\n")
	out, stop := startUpArgs(t, []string{"up", "--config", facility, "--data", t.TempDir(), "--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0"})
	defer stop()
	m := sftpLineRE.FindStringSubmatch(strings.Split(out[strings.Index(out, "  SFTP"):], "\n")[0])
	if m == nil {
		t.Fatalf("no SFTP address in:\n%s", out)
	}
	login := func(password string) error {
		c, err := gossh.Dial("tcp", m[1], &gossh.ClientConfig{User: "alma", Auth: []gossh.AuthMethod{gossh.Password(password)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 20 * time.Second})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := login("Sftp-Secret-7f3a"); err != nil {
		t.Fatalf("the right password before any failure: %v", err)
	}
	for range 2 {
		if login("guess") == nil {
			t.Fatal("a wrong password logged in")
		}
	}
	if login("Sftp-Secret-7f3a") == nil {
		t.Error("the right password logged in after 2 failures with sftp_login_backoff.after 2")
	}
}

// writeTestFacility writes a facility with the demo's two profiles whose
// secrets are unlike the demo's, plus extra top-level YAML, and returns its path.
func writeTestFacility(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	secrets := map[string]string{"password: alma-demo": "password: Sftp-Secret-7f3a", "api_key: demo-key": "api_key: Rest-Secret-91bc"}
	for _, name := range []string{"alma-demo.yaml", "aleph-demo.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "profiles", name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for old, new := range secrets {
			s = strings.ReplaceAll(s, old, new)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	facility := filepath.Join(dir, "facility.yaml")
	fac := "name: secret test facility\napi_key: Facility-Secret-55d0\nstops:\n  - {code: MAIN-CIRC, name: Main, active: true}\n  - {code: LAW-CIRC, name: Law, active: true}\n  - {code: SCI-CIRC, name: Science, active: true}\n  - {code: SCAN, name: Scanning, active: true}\n  - {code: MAIL, name: Mail room, active: true}\nprofiles: [alma-demo.yaml, aleph-demo.yaml]\n"
	if err := os.WriteFile(facility, []byte(fac+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return facility
}

// startUpArgs runs `annex up` in-process with args until it prints its
// ready line, and returns what it printed so far and a stop function.
func startUpArgs(t *testing.T, args []string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, args, strings.NewReader(""), pw, &stderr)
		pw.Close()
		done <- code
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	ready := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "ready") {
			ready = true
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if !ready {
		cancel()
		t.Fatalf("annex %s exited with %d before ready:\n%s%s", strings.Join(args, " "), <-done, out.String(), stderr.String())
	}
	var once sync.Once
	code := 0
	return out.String(), func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSimSFTPLoginBackoff (issue 11, item 12): `annex sim sftp --config`
// takes the password backoff's settings too.
func TestSimSFTPLoginBackoff(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sftp.yaml")
	y := "login_backoff: {after: 3, delay: 2s, max: 30s, forget: 5m, reply_delay: -1s}\naccounts:\n  - {name: alma, password: x}\n"
	if err := os.WriteFile(file, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := sftpConfig(file, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.LoginBackoff
	if b.After != 3 || b.Delay != 2*time.Second || b.Max != 30*time.Second || b.Forget != 5*time.Minute || b.ReplyDelay != -time.Second {
		t.Errorf("login backoff %+v", b)
	}
}
