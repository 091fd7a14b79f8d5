package sftpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// openSSH starts a server whose account "alma" also accepts a key written
// for OpenSSH, and returns the arguments every ssh/sftp command needs.
func openSSH(t *testing.T) (*testServer, []string, string) {
	t.Helper()
	for _, tool := range []string{"ssh", "sftp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run `make test`, which installs openssh-client", tool)
		}
	}
	keyFile, line := writeKeyFile(t)
	ts := startTestServer(t, func(c *Config) {
		c.Accounts[0].AuthorizedKeys = append(c.Accounts[0].AuthorizedKeys, line)
	})
	_, port, err := net.SplitHostPort(ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	common := []string{
		"-F", "/dev/null", // no user or system configuration
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "LogLevel=ERROR", "-i", keyFile,
	}
	return ts, common, port
}

func TestOpenSSHBatch(t *testing.T) {
	ts, common, port := openSSH(t)
	dir := t.TempDir()
	local := filepath.Join(dir, "export.xml")
	content := []byte(`<?xml version="1.0"?><requests><rsExport/></requests>`)
	if err := os.WriteFile(local, content, 0o644); err != nil {
		t.Fatal(err)
	}
	batch := filepath.Join(dir, "batch")
	script := strings.Join([]string{
		"mkdir requests",
		"put " + local + " requests/export.xml",
		"ls -la requests",
		"mkdir OLD",
		"rename requests/export.xml OLD/export.xml",
		"ls OLD",
		"put -p " + local + " requests/second.xml",
		"chmod 640 requests/second.xml",
		"get requests/second.xml " + filepath.Join(dir, "back.xml"),
		"rm requests/second.xml",
		"rmdir requests",
		"reput " + local + " resume.xml",
		"pwd",
	}, "\n") + "\n"
	// A transfer that broke off earlier: "reput" opens it without O_TRUNC
	// and writes the rest at the right offset.
	if err := os.WriteFile(filepath.Join(ts.root, "resume.xml"), content[:10], 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(batch, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sftp", append(common, "-b", batch, "-P", port, "alma@127.0.0.1")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sftp -b: %v\n%s", err, out)
	}
	for _, want := range []string{"export.xml", "Remote working directory: /"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("sftp output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte(".partial-")) {
		t.Errorf("a listing showed a partial:\n%s", out)
	}
	first, second := ts.nextUpload(t), ts.nextUpload(t)
	if first.Path != "requests/export.xml" || first.Size != int64(len(content)) || first.Account != "alma" {
		t.Errorf("first upload = %+v", first)
	}
	if second.Path != "requests/second.xml" {
		t.Errorf("second upload = %+v", second)
	}
	if third := ts.nextUpload(t); third.Path != "resume.xml" || third.Size != int64(len(content)) {
		t.Errorf("third upload = %+v", third)
	}
	if got, err := os.ReadFile(filepath.Join(ts.root, "resume.xml")); err != nil || !bytes.Equal(got, content) {
		t.Errorf("resumed file = %q, %v", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(ts.root, "OLD", "export.xml")); err != nil || !bytes.Equal(got, content) {
		t.Errorf("OLD/export.xml = %q, %v", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "back.xml")); err != nil || !bytes.Equal(got, content) {
		t.Errorf("downloaded copy = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(ts.root, "requests")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("requests still exists: %v", err)
	}
	if !ts.hasAudit(EventLogin, "publickey") {
		t.Errorf("no key login in audit: %+v", ts.Audit())
	}
}

func TestOpenSSHExecRefused(t *testing.T) {
	ts, common, port := openSSH(t)
	marker := filepath.Join(t.TempDir(), "ran")
	for _, args := range [][]string{
		{"alma@127.0.0.1", "true"},
		{"alma@127.0.0.1", "touch", marker},
		{"alma@127.0.0.1"}, // a shell
	} {
		cmd := exec.Command("ssh", append(append(common, "-p", port), args...)...)
		cmd.Stdin = strings.NewReader("touch " + marker + "\n")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("ssh %v: %v, want a non-zero exit\n%s", args, err, out)
		}
		if !bytes.Contains(out, []byte("this server only provides SFTP")) {
			t.Errorf("ssh %v: output lacks the refusal:\n%s", args, out)
		}
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command ran: %v", err)
	}
	for _, what := range []string{`exec "true"`, `exec "touch `, "shell"} {
		if !ts.hasAudit(EventRefused, what) {
			t.Errorf("no refusal of %s in audit", what)
		}
	}
}

func TestOpenSSHPortForwardingRefused(t *testing.T) {
	ts, common, port := openSSH(t)
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	targetAddr := target.Addr().(*net.TCPAddr)

	// -L: ssh listens on a local socket and opens a channel for every
	// connection to it. The socket is a path so no port has to be guessed.
	// -v tells when the socket is up, so the test waits on that line.
	sock := filepath.Join(t.TempDir(), "fwd.sock")
	fwd := sock + ":" + targetAddr.String()
	args := append(append(common, "-p", port, "-v", "-N", "-L", fwd), "alma@127.0.0.1")
	cmd := exec.Command("ssh", args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := make(chan string, 4096)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	waitLine := func(substr string) {
		t.Helper()
		for line := range lines {
			if strings.Contains(line, substr) {
				return
			}
		}
		t.Fatalf("ssh ended without printing %q", substr)
	}
	waitLine("Local forwarding listening on path " + sock)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	// ssh closes our end once the server refused the channel.
	if n, err := io.Copy(io.Discard, c); n != 0 || err != nil {
		t.Errorf("forwarded connection read %d bytes, %v", n, err)
	}
	c.Close()
	waitLine("administratively prohibited")
	ts.waitFor(t, "port forwarding refusal", func(e AuditEntry) bool {
		return e.Event == EventRefused && e.Detail == "port forwarding to "+targetAddr.String()
	})

	// -R with ExitOnForwardFailure: ssh gives up as soon as it is refused.
	out, err := exec.Command("ssh", append(append(common, "-p", port, "-N", "-o", "ExitOnForwardFailure=yes",
		"-R", "0:"+targetAddr.String()), "alma@127.0.0.1")...).CombinedOutput()
	if err == nil {
		t.Errorf("ssh -R succeeded:\n%s", out)
	}
	if !ts.hasAudit(EventRefused, "reverse port forwarding") {
		t.Errorf("no reverse forwarding refusal in audit: %+v", ts.Audit())
	}
}
