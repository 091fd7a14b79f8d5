package sftpd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestPasswordLoginAndUpload(t *testing.T) {
	ts := startTestServer(t, nil)
	c, conn := dialSFTP(t, ts.Server, "")
	if err := c.Mkdir("requests"); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	data := []byte(`<?xml version="1.0"?><requests/>`)
	put(t, c, "requests/file.xml", data)

	u := ts.nextUpload(t)
	want := Upload{
		Account:    "alma",
		Path:       "requests/file.xml",
		LocalPath:  filepath.Join(ts.root, "requests", "file.xml"),
		Size:       int64(len(data)),
		RemoteAddr: conn.LocalAddr().String(),
		Time:       u.Time,
	}
	if u != want {
		t.Errorf("upload event\n got %+v\nwant %+v", u, want)
	}
	if u.Time.IsZero() {
		t.Error("upload event has no time")
	}
	got, err := os.ReadFile(u.LocalPath)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("file on disk = %q, %v; want %q", got, err, data)
	}
	if !ts.hasAudit(EventLogin, "password") || !ts.hasAudit(EventUpload, "") {
		t.Errorf("audit lacks the login or the upload: %+v", ts.Audit())
	}
	// Close waits for every handler, so no event can still be on its way.
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(ts.uploads); n != 0 {
		t.Errorf("%d extra upload events", n)
	}
	if p := partials(t, ts.root); len(p) != 0 {
		t.Errorf("partial files left: %v", p)
	}
}

func TestKeyLogin(t *testing.T) {
	ts := startTestServer(t, nil)
	c, _ := dialSFTP(t, ts.Server, "", gossh.PublicKeys(ts.key))
	put(t, c, "by-key.xml", []byte("k"))
	if u := ts.nextUpload(t); u.Path != "by-key.xml" || u.Account != "alma" {
		t.Errorf("upload = %+v", u)
	}
	if !ts.hasAudit(EventLogin, "publickey") {
		t.Errorf("no publickey login in audit: %+v", ts.Audit())
	}
}

func TestLoginRefused(t *testing.T) {
	ts := startTestServer(t, func(c *Config) {
		c.Accounts = append(c.Accounts, Account{Name: "keyonly", AuthorizedKeys: c.Accounts[0].AuthorizedKeys, Root: t.TempDir()})
	})
	for _, tc := range []struct {
		name, user string
		auth       gossh.AuthMethod
		reason     string
	}{
		{"wrong password", "alma", gossh.Password("nope"), "wrong password"},
		{"wrong key", "alma", gossh.PublicKeys(newKey(t)), "key not authorized"},
		{"unknown account", "ghost", gossh.Password(testPassword), "unknown account"},
		{"password disabled", "keyonly", gossh.Password(testPassword), "password login disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := dialSSH(t, ts.Server, "", tc.user, tc.auth)
			if err == nil {
				t.Fatal("login succeeded")
			}
			// The refusal is audited before the client is told, so it is
			// already there.
			if !ts.hasAudit(EventLoginRefused, tc.reason) {
				t.Errorf("no %q refusal in audit: %+v", tc.reason, ts.Audit())
			}
		})
	}
	if ts.hasAudit(EventLogin, "") {
		t.Errorf("a login succeeded: %+v", ts.Audit())
	}
}

func TestAllowedNetworks(t *testing.T) {
	ts := startTestServer(t, func(c *Config) {
		c.Accounts[0].AllowedNetworks = []netip.Prefix{mustPrefix(t, "127.0.0.1/32")}
	})
	for _, auth := range []gossh.AuthMethod{gossh.Password(testPassword), gossh.PublicKeys(ts.key)} {
		if _, _, err := dialSSH(t, ts.Server, "127.0.0.2", "alma", auth); err == nil {
			t.Fatal("login from 127.0.0.2 succeeded")
		}
	}
	if !ts.hasAudit(EventLoginRefused, "source address 127.0.0.2 not allowed") {
		t.Errorf("no source address refusal in audit: %+v", ts.Audit())
	}
	if ts.hasAudit(EventLogin, "") {
		t.Fatalf("a login succeeded: %+v", ts.Audit())
	}
	c, _ := dialSFTP(t, ts.Server, "127.0.0.1")
	put(t, c, "ok.xml", []byte("x"))
	if u := ts.nextUpload(t); !strings.HasPrefix(u.RemoteAddr, "127.0.0.1:") {
		t.Errorf("upload from %s", u.RemoteAddr)
	}
	c2, _ := dialSFTP(t, ts.Server, "127.0.0.1", gossh.PublicKeys(ts.key))
	if _, err := c2.Stat("ok.xml"); err != nil {
		t.Error(err)
	}
}

func TestHalfWrittenUpload(t *testing.T) {
	ts := startTestServer(t, nil)
	c, conn := dialSFTP(t, ts.Server, "")
	f, err := c.Create("half.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("<requests><rsExport>")); err != nil {
		t.Fatal(err)
	}
	// The write was acknowledged, so it is in the partial file.
	if p := partials(t, ts.root); len(p) != 1 {
		t.Fatalf("partials while writing: %v", p)
	}
	// Kill the TCP connection under the open file.
	conn.Close()
	ts.waitFor(t, "disconnect", func(e AuditEntry) bool {
		return e.Event == EventDisconnect && e.RemoteAddr == conn.LocalAddr().String()
	})
	if !ts.hasAudit(EventUploadAborted, "connection lost") {
		t.Errorf("no aborted upload in audit: %+v", ts.Audit())
	}
	if _, err := os.Stat(filepath.Join(ts.root, "half.xml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("half.xml exists: %v", err)
	}
	if p := partials(t, ts.root); len(p) != 0 {
		t.Errorf("partials left: %v", p)
	}

	c2, _ := dialSFTP(t, ts.Server, "")
	put(t, c2, "whole.xml", []byte("<requests/>"))
	if u := ts.nextUpload(t); u.Path != "whole.xml" {
		t.Errorf("first event is %+v, want whole.xml", u)
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(ts.uploads); n != 0 {
		t.Errorf("%d more events, want none: %+v", n, <-ts.uploads)
	}
}

func TestCloseAbortsOpenUploads(t *testing.T) {
	ts := startTestServer(t, nil)
	c, _ := dialSFTP(t, ts.Server, "")
	f, err := c.Create("open.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if p := partials(t, ts.root); len(p) != 0 {
		t.Errorf("partials left after Close: %v", p)
	}
	if _, err := os.Stat(filepath.Join(ts.root, "open.xml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open.xml exists: %v", err)
	}
	if len(ts.uploads) != 0 {
		t.Error("an upload event for an unfinished file")
	}
	if _, err := net.Dial("tcp", ts.Addr()); err == nil {
		t.Error("still listening after Close")
	}
}

func TestPartialsAreInvisible(t *testing.T) {
	ts := startTestServer(t, nil)
	c, _ := dialSFTP(t, ts.Server, "")
	put(t, c, "done.xml", []byte("d"))
	ts.nextUpload(t)
	f, err := c.Create("busy.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("12345")); err != nil {
		t.Fatal(err)
	}
	p := partials(t, ts.root)
	if len(p) != 1 {
		t.Fatalf("partials: %v", p)
	}
	partial := filepath.Base(p[0])
	if !strings.HasPrefix(partial, ".busy.xml.partial-") {
		t.Errorf("partial name %q", partial)
	}

	other, _ := dialSFTP(t, ts.Server, "")
	for _, cl := range []*sftp.Client{c, other} {
		list, err := cl.ReadDir(".")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, fi := range list {
			names = append(names, fi.Name())
		}
		if strings.Join(names, ",") != "done.xml" {
			t.Errorf("listing = %v, want only done.xml", names)
		}
		if _, err := cl.Stat(partial); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat of the partial: %v", err)
		}
		if _, err := cl.Open(partial); err == nil {
			t.Error("the partial can be opened")
		}
	}
	if _, err := other.Stat("busy.xml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("another session sees busy.xml: %v", err)
	}
	// The uploading session sees its own file through the handle.
	if fi, err := f.Stat(); err != nil || fi.Size() != 5 {
		t.Errorf("fstat of the open upload = %v, %v", fi, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if u := ts.nextUpload(t); u.Path != "busy.xml" || u.Size != 5 {
		t.Errorf("upload = %+v", u)
	}
	if _, err := c.Create(partial); err == nil {
		t.Error("a client may create a file with a partial's name")
	}
}

func TestHostKeyFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys", "host_ed25519")
	ts1 := startTestServer(t, func(c *Config) { c.HostKeyFile = file })
	k1 := ts1.HostKey()
	if err := ts1.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key file mode %v", fi.Mode())
	}
	pemBytes, _ := os.ReadFile(file)
	if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		t.Errorf("host key file is not a PEM key: %.40q", pemBytes)
	}
	ts2 := startTestServer(t, func(c *Config) { c.HostKeyFile = file })
	if k2 := ts2.HostKey(); !bytes.Equal(k1.Marshal(), k2.Marshal()) || k1.Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key changed: %s then %s", gossh.FingerprintSHA256(k1), gossh.FingerprintSHA256(k2))
	}
	// A client pinned to the first key trusts the second server.
	c, _ := dialSFTP(t, ts2.Server, "")
	if _, err := c.Getwd(); err != nil {
		t.Error(err)
	}
	// Without a file every server has its own key.
	a, b := startTestServer(t, nil), startTestServer(t, nil)
	if bytes.Equal(a.HostKey().Marshal(), b.HostKey().Marshal()) {
		t.Error("two ephemeral host keys are equal")
	}
}

func TestMaxFileSize(t *testing.T) {
	const limit = 1000
	ts := startTestServer(t, func(c *Config) { c.MaxFileSize = limit })
	c, _ := dialSFTP(t, ts.Server, "")

	put(t, c, "exact.xml", bytes.Repeat([]byte("a"), limit))
	if u := ts.nextUpload(t); u.Size != limit {
		t.Errorf("upload = %+v", u)
	}

	for _, chunks := range [][]int{{limit + 1}, {600, 600}} {
		name := fmt.Sprintf("big-%d.xml", len(chunks))
		f, err := c.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		var werr error
		for _, n := range chunks {
			if _, werr = f.Write(bytes.Repeat([]byte("b"), n)); werr != nil {
				break
			}
		}
		if werr == nil || !strings.Contains(werr.Error(), "maximum size of 1000 bytes") {
			t.Errorf("%s: write error = %v, want the size cap", name, werr)
		}
		if err := f.Close(); err == nil {
			t.Errorf("%s: close succeeded", name)
		}
		if _, err := os.Stat(filepath.Join(ts.root, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists: %v", name, err)
		}
	}
	if p := partials(t, ts.root); len(p) != 0 {
		t.Errorf("partials left: %v", p)
	}
	if !ts.hasAudit(EventUploadFailed, "error: write /big-1.xml: file exceeds") {
		t.Errorf("no failed upload in audit: %+v", ts.Audit())
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ts.uploads) != 0 {
		t.Error("upload event for an oversized file")
	}
}

func TestFileOperations(t *testing.T) {
	ts := startTestServer(t, nil)
	c, _ := dialSFTP(t, ts.Server, "")
	if err := c.MkdirAll("in/sub"); err != nil {
		t.Fatal(err)
	}
	put(t, c, "in/a.xml", []byte("aaa"))
	put(t, c, "in/b.xml", []byte("bbb"))

	// SFTP rename does not overwrite; posix-rename does.
	if err := c.Rename("in/a.xml", "in/b.xml"); err == nil {
		t.Error("rename over an existing file succeeded")
	}
	if err := c.PosixRename("in/a.xml", "in/b.xml"); err != nil {
		t.Errorf("posix-rename: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(ts.root, "in", "b.xml")); string(got) != "aaa" {
		t.Errorf("after posix-rename b.xml = %q", got)
	}
	if err := c.Rename("in/b.xml", "in/sub/c.xml"); err != nil {
		t.Errorf("rename: %v", err)
	}

	r, err := c.Open("in/sub/c.xml")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || string(got) != "aaa" {
		t.Errorf("download = %q, %v", got, err)
	}
	r.Close()

	if err := c.Chmod("in/sub/c.xml", 0o400); err != nil {
		t.Errorf("chmod: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(ts.root, "in", "sub", "c.xml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after chmod 0400 = %v, %v; the owner keeps rw", fi.Mode(), err)
	}
	if err := c.Truncate("in/sub/c.xml", 1); err != nil {
		t.Errorf("truncate: %v", err)
	}

	if err := c.RemoveDirectory("in/sub"); err == nil {
		t.Error("rmdir of a non-empty directory succeeded")
	}
	if err := c.Remove("in/sub/c.xml"); err != nil {
		t.Errorf("remove: %v", err)
	}
	if err := c.Remove("in/sub"); err != nil { // pkg/sftp falls back to rmdir
		t.Errorf("remove dir: %v", err)
	}
	if err := c.RemoveDirectory("."); err == nil {
		t.Error("rmdir of the root succeeded")
	}
	if _, err := os.Stat(ts.root); err != nil {
		t.Errorf("root gone: %v", err)
	}
	if err := c.Symlink("in", "link"); err == nil {
		t.Error("symlink created")
	}
	if err := c.Link("in", "hard"); err == nil {
		t.Error("hard link created")
	}
	for _, ev := range []string{EventMkdir, EventRename, EventDownload, EventSetstat, EventRemove, EventRmdir, EventDenied} {
		if !ts.hasAudit(ev, "") {
			t.Errorf("no %q in audit", ev)
		}
	}
}

func TestRefusedSessionRequests(t *testing.T) {
	ts := startTestServer(t, nil)
	client, _, err := dialSSH(t, ts.Server, "", "alma", gossh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	newSession := func() *gossh.Session {
		s, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}

	// exec and shell: the session ends with status 1 and a message, nothing runs.
	for _, run := range []func(*gossh.Session) error{
		func(s *gossh.Session) error { return s.Run("touch /tmp/annex-sftpd-must-not-exist") },
		func(s *gossh.Session) error {
			if err := s.Shell(); err != nil {
				return err
			}
			return s.Wait()
		},
	} {
		s := newSession()
		var stderr bytes.Buffer
		s.Stderr = &stderr
		err := run(s)
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
			t.Errorf("exit = %v, want status 1", err)
		}
		if !strings.Contains(stderr.String(), "refused: this server only provides SFTP") {
			t.Errorf("stderr = %q", stderr.String())
		}
	}
	if _, err := os.Stat("/tmp/annex-sftpd-must-not-exist"); err == nil {
		t.Error("the command ran")
	}

	if err := newSession().RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err == nil {
		t.Error("pty granted")
	}
	if err := agent.RequestAgentForwarding(newSession()); err == nil {
		t.Error("agent forwarding granted")
	}
	if ok, err := newSession().SendRequest("x11-req", true, gossh.Marshal(struct {
		Single        bool
		Proto, Cookie string
		Screen        uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})); ok || err != nil {
		t.Errorf("x11 = %v, %v", ok, err)
	}
	if err := newSession().RequestSubsystem("netconf"); err == nil {
		t.Error("subsystem netconf granted")
	}
	if _, err := client.Dial("tcp", "127.0.0.1:80"); err == nil || !strings.Contains(err.Error(), "administratively prohibited") {
		t.Errorf("local forwarding = %v, want prohibited", err)
	}
	if _, err := client.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Error("reverse forwarding granted")
	}
	// The connection is still good for SFTP.
	sc, err := sftp.NewClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.Getwd(); err != nil {
		t.Error(err)
	}
	for _, what := range []string{`exec "touch`, "shell", "pty", "agent forwarding", "X11 forwarding", `subsystem "netconf"`, "port forwarding to 127.0.0.1:80", "reverse port forwarding"} {
		if !ts.hasAudit(EventRefused, what) {
			t.Errorf("no refusal of %s in audit", what)
		}
	}
}

// The SSH protocol is gliderlabs' and x/crypto's; this checks that garbage
// on the wire, before and after the version exchange, only closes that
// connection.
func TestMalformedInput(t *testing.T) {
	ts := startTestServer(t, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	inputs := [][]byte{
		{},
		[]byte("\r\n\r\n"),
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		bytes.Repeat([]byte("A"), 300),
		append([]byte("SSH-2.0-junk\r\n"), junk(64)...),
		append([]byte("SSH-2.0-junk\r\n"), 0, 0, 0xff, 0xff, 0, 1, 2, 3),
		append([]byte("SSH-2.0-junk\r\n"), 0, 0, 0, 12, 4, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
	}
	for range 50 {
		inputs = append(inputs, append([]byte("SSH-2.0-fuzz\r\n"), junk(rng.IntN(2048))...))
	}
	for i, in := range inputs {
		c, err := net.Dial("tcp", ts.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(in); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		// The server answers with its version and hangs up.
		if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("input %d: %v", i, err)
		}
		c.Close()
	}
	c, _ := dialSFTP(t, ts.Server, "")
	put(t, c, "still-ok.xml", []byte("ok"))
	ts.nextUpload(t)
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

func TestStartValidation(t *testing.T) {
	dir := t.TempDir()
	good := Account{Name: "a", Password: "p", Root: filepath.Join(dir, "a")}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no accounts", Config{}, "no accounts"},
		{"empty name", Config{Accounts: []Account{{Password: "p", Root: dir}}}, "empty name"},
		{"duplicate", Config{Accounts: []Account{good, good}}, "defined twice"},
		{"no credentials", Config{Accounts: []Account{{Name: "a", Root: dir}}}, "neither a password nor an authorized key"},
		{"bad key", Config{Accounts: []Account{{Name: "a", AuthorizedKeys: []string{"ssh-ed25519 AAAAnotakey"}, Root: dir}}}, "authorized key 1"},
		{"no root", Config{Accounts: []Account{{Name: "a", Password: "p"}}}, "no root"},
		{"bad network", Config{Accounts: []Account{{Name: "a", Password: "p", Root: dir, AllowedNetworks: []netip.Prefix{{}}}}}, "allowed network"},
		{"negative size", Config{Accounts: []Account{good}, MaxFileSize: -1}, "negative"},
		{"bad address", Config{Accounts: []Account{good}, Listen: "127.0.0.1:99999"}, "listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sftpd: ") {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
	// The root is created if missing.
	s, err := Start(Config{Accounts: []Account{good}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(good.Root); err != nil || !fi.IsDir() {
		t.Errorf("root not created: %v", err)
	}
}

func TestAuditIsBounded(t *testing.T) {
	var a auditLog
	a.init(3)
	for i := range 5 {
		a.add(AuditEntry{Detail: fmt.Sprint(i)})
	}
	var got []string
	for _, e := range a.entries() {
		got = append(got, e.Detail)
	}
	if strings.Join(got, ",") != "2,3,4" {
		t.Errorf("entries = %v", got)
	}
}

func TestPartialName(t *testing.T) {
	for name, want := range map[string]bool{
		partialName("file.xml"):               true,
		".x.partial-0123456789abcdef":         true,
		"x.partial-0123456789abcdef":          false,
		"..partial-0123456789abcdef":          false,
		".x.partial-0123456789abcdeF":         false,
		".x.partial-0123456789abcde":          false,
		"file.xml":                            false,
		"":                                    false,
		".partial-0123456789abcdef0123456789": false,
	} {
		if got := isPartialName(name); got != want {
			t.Errorf("isPartialName(%q) = %v", name, got)
		}
	}
}

func TestLoginGraceTime(t *testing.T) {
	s, err := start(Config{Accounts: []Account{{Name: "a", Password: "p", Root: t.TempDir()}}}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A client that connects and never logs in is hung up on.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	ts := &testServer{Server: s}
	ts.waitFor(t, "disconnect", func(e AuditEntry) bool { return e.Event == EventDisconnect })

	// Logging in stops the timer (checked on the timer itself: waiting for
	// it to expire would be a sleep).
	s2, err := start(Config{Accounts: []Account{{Name: "a", Password: "p", Root: t.TempDir()}}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, _, err := dialSSH(t, s2, "", "a", gossh.Password("p")); err != nil {
		t.Fatal(err)
	}
	s2.mu.Lock()
	defer s2.mu.Unlock()
	if len(s2.conns) != 1 {
		t.Fatalf("%d connections", len(s2.conns))
	}
	for tc := range s2.conns {
		if tc.st.grace.Stop() {
			t.Error("the login grace timer was still running after login")
		}
	}
}
