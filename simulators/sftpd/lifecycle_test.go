package sftpd

import (
	"testing"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/internal/lifecycle/lifecycletest"
)

// TestServerLifecycle: the SFTP server serves a listener it is given (an upload
// arrives), Shutdown returns once the client has logged out, Serve then
// returns ErrServerClosed, and Start listens on 127.0.0.1 by default.
func TestServerLifecycle(t *testing.T) {
	uploads := make(chan Upload, 1)
	cfg := Config{Accounts: []Account{{Name: "alma", Password: testPassword, Root: t.TempDir()}},
		OnUpload: func(u Upload) { uploads <- u }}
	newServer := func() lifecycletest.Starter {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := newServer().(*Server)
	lifecycletest.Check(t, s, func(t *testing.T, addr string) {
		client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "alma", Auth: []gossh.AuthMethod{gossh.Password(testPassword)},
			HostKeyCallback: gossh.FixedHostKey(s.HostKey()), Timeout: waitLimit})
		if err != nil {
			t.Fatalf("ssh login: %v", err)
		}
		defer client.Close()
		sc, err := sftp.NewClient(client)
		if err != nil {
			t.Fatalf("sftp session: %v", err)
		}
		defer sc.Close()
		put(t, sc, "req.xml", []byte("<x/>"))
		if u := <-uploads; u.Path != "req.xml" || u.Size != 4 {
			t.Errorf("upload event %+v, want req.xml of 4 bytes", u)
		}
	})
	lifecycletest.CheckStart(t, newServer)
}
