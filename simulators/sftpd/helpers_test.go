package sftpd

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// waitLimit guards every wait in these tests: they wait on events, and this
// only turns a hang into a failure.
const waitLimit = 20 * time.Second

const testPassword = "s3cret-pass"

// testServer is a started Server with its uploads collected on a channel.
type testServer struct {
	*Server
	uploads chan Upload
	root    string // root of account "alma"
	key     gossh.Signer
}

// startTestServer starts a server with account "alma" (password and key),
// letting edit change the config first.
func startTestServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{uploads: make(chan Upload, 4096), root: filepath.Join(t.TempDir(), "alma"), key: newKey(t)}
	cfg := Config{
		Accounts: []Account{{
			Name:           "alma",
			Password:       testPassword,
			AuthorizedKeys: []string{authorizedKey(ts.key)},
			Root:           ts.root,
		}},
		OnUpload: func(u Upload) { ts.uploads <- u },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ts.Server = s
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ts
}

func newKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

func authorizedKey(s gossh.Signer) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " test@annex"
}

// writeKeyFile writes a new ed25519 private key in OpenSSH format for the
// ssh and sftp commands and returns its path and authorized_keys line.
func writeKeyFile(t testing.TB) (string, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "test@annex")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return file, authorizedKey(signer)
}

// dialSSH connects from localIP ("" = any) with the given auth methods.
// It returns the raw TCP connection too, so a test can cut it.
func dialSSH(t testing.TB, s *Server, localIP, user string, auth ...gossh.AuthMethod) (*gossh.Client, net.Conn, error) {
	t.Helper()
	d := net.Dialer{Timeout: waitLimit}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	conn, err := d.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	cfg := &gossh.ClientConfig{User: user, Auth: auth, HostKeyCallback: gossh.FixedHostKey(s.HostKey()), Timeout: waitLimit}
	c, chans, reqs, err := gossh.NewClientConn(conn, s.Addr(), cfg)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	client := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { client.Close() })
	return client, conn, nil
}

// dialSFTP logs in with the password and opens an SFTP session.
func dialSFTP(t testing.TB, s *Server, localIP string, auth ...gossh.AuthMethod) (*sftp.Client, net.Conn) {
	t.Helper()
	if len(auth) == 0 {
		auth = []gossh.AuthMethod{gossh.Password(testPassword)}
	}
	client, conn, err := dialSSH(t, s, localIP, "alma", auth...)
	if err != nil {
		t.Fatalf("ssh login: %v", err)
	}
	sc, err := sftp.NewClient(client)
	if err != nil {
		t.Fatalf("sftp session: %v", err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc, conn
}

// put uploads data to name and closes the file.
func put(t testing.TB, c *sftp.Client, name string, data []byte) {
	t.Helper()
	f, err := c.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func (ts *testServer) nextUpload(t testing.TB) Upload {
	t.Helper()
	select {
	case u := <-ts.uploads:
		return u
	case <-time.After(waitLimit):
		t.Fatal("no upload event")
		return Upload{}
	}
}

// waitFor waits for an audit entry matching match.
func (ts *testServer) waitFor(t testing.TB, what string, match func(AuditEntry) bool) AuditEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	e, err := ts.waitAudit(ctx, match)
	if err != nil {
		t.Fatalf("waiting for audit entry %s: %v\naudit: %+v", what, err, ts.Audit())
	}
	return e
}

// hasAudit reports whether an entry with event and a detail starting with
// detailPrefix is in the log.
func (ts *testServer) hasAudit(event, detailPrefix string) bool {
	for _, e := range ts.Audit() {
		if e.Event == event && strings.HasPrefix(e.Detail, detailPrefix) {
			return true
		}
	}
	return false
}

// partials lists the upload temporary files under dir, recursively.
func partials(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if isPartialName(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustPrefix(t testing.TB, s string) netip.Prefix {
	t.Helper()
	return netip.MustParsePrefix(s)
}
