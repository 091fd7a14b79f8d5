package sftpd

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/sftp"
)

// jailFixture is a server whose root holds links planted towards a
// directory outside it, and a client logged in to it. TestJail's subtests
// share it and run in order: later ones see earlier ones' files.
type jailFixture struct {
	ts      *testServer
	c       *sftp.Client
	outside string // the directory the links point into
	secret  string // a file in it that must stay unread and unchanged
}

func newJailFixture(t *testing.T) *jailFixture {
	t.Helper()
	ts := startTestServer(t, nil)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("outside secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Links planted on disk by someone with access to the host.
	if err := os.Symlink(outside, filepath.Join(ts.root, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(ts.root, "secretlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../..", filepath.Join(ts.root, "up")); err != nil {
		t.Fatal(err)
	}
	c, _ := dialSFTP(t, ts.Server, "")
	put(t, c, "mine.txt", []byte("inside"))
	ts.nextUpload(t)
	return &jailFixture{ts: ts, c: c, outside: outside, secret: secret}
}

func TestJail(t *testing.T) {
	j := newJailFixture(t)
	for _, sub := range []struct {
		name string
		run  func(*testing.T, *jailFixture)
	}{
		{"read", testJailRead},
		{"write", testJailWrite},
		{"rename", testJailRename},
		{"realpath", testJailRealPath},
		{"links", testJailLinks},
	} {
		t.Run(sub.name, func(t *testing.T) { sub.run(t, j) })
	}
	j.checkOutsideUntouched(t)
}

func testJailRead(t *testing.T, j *jailFixture) {
	c, ts := j.c, j.ts
	for _, p := range []string{
		"../../../../etc/passwd", "/etc/passwd", "/../etc/passwd",
		"escape/secret.txt", "secretlink", "up/" + filepath.Base(j.outside) + "/secret.txt",
		"../" + filepath.Base(ts.root) + "/../" + filepath.Base(j.outside) + "/secret.txt",
	} {
		if f, err := c.Open(p); err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			t.Errorf("read %s = %q", p, b)
		}
		if _, err := c.Stat(p); err == nil {
			t.Errorf("stat %s succeeded", p)
		}
	}
	if _, err := c.ReadDir("escape"); err == nil {
		t.Error("listing through the link succeeded")
	}
	// ".." at the top is the top: the jail's own file is reachable.
	f, err := c.Open("../../mine.txt")
	if err != nil {
		t.Fatalf("open ../../mine.txt: %v", err)
	}
	if b, _ := io.ReadAll(f); string(b) != "inside" {
		t.Errorf("../../mine.txt = %q", b)
	}
	f.Close()
}

func testJailWrite(t *testing.T, j *jailFixture) {
	c, ts := j.c, j.ts
	for _, p := range []string{"escape/new.txt", "up/new.txt"} {
		if f, err := c.Create(p); err == nil {
			f.Close()
			t.Errorf("created %s", p)
		}
	}
	if err := c.Mkdir("escape/newdir"); err == nil {
		t.Error("mkdir through the link succeeded")
	}
	if err := c.Remove("escape/secret.txt"); err == nil {
		t.Error("remove through the link succeeded")
	}
	if err := c.Chmod("secretlink", 0o777); err == nil {
		t.Error("chmod through the link succeeded")
	}
	if err := c.Truncate("secretlink", 0); err == nil {
		t.Error("truncate through the link succeeded")
	}
	// Climbing out lands inside the jail.
	put(t, c, "../../../climb.txt", []byte("c"))
	if u := ts.nextUpload(t); u.Path != "climb.txt" || filepath.Dir(u.LocalPath) != ts.root {
		t.Errorf("upload = %+v", u)
	}
	put(t, c, "/abs.txt", []byte("a"))
	if u := ts.nextUpload(t); u.Path != "abs.txt" {
		t.Errorf("upload = %+v", u)
	}
	// Uploading over a link replaces the link, never its target.
	put(t, c, "secretlink", []byte("replaced"))
	ts.nextUpload(t)
	if fi, err := os.Lstat(filepath.Join(ts.root, "secretlink")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("secretlink after upload: %v, %v", fi, err)
	}
}

func testJailRename(t *testing.T, j *jailFixture) {
	c := j.c
	if err := c.Rename("mine.txt", "escape/mine.txt"); err == nil {
		t.Error("rename out through the link succeeded")
	}
	if err := c.PosixRename("mine.txt", "up/mine.txt"); err == nil {
		t.Error("posix-rename out through the link succeeded")
	}
	if err := c.Rename("escape/secret.txt", "stolen.txt"); err == nil {
		t.Error("rename in from outside succeeded")
	}
	if err := c.Rename("mine.txt", "../../../moved.txt"); err != nil {
		t.Errorf("rename to ../../../moved.txt: %v", err)
	}
	if _, err := os.Stat(filepath.Join(j.ts.root, "moved.txt")); err != nil {
		t.Errorf("moved.txt not inside the root: %v", err)
	}
}

func testJailRealPath(t *testing.T, j *jailFixture) {
	for in, want := range map[string]string{
		"..": "/", ".": "/", "../../..": "/", "/": "/", "../etc": "/etc", "a/../../b": "/b", "escape": "/escape",
	} {
		if got, err := j.c.RealPath(in); err != nil || got != want {
			t.Errorf("realpath %q = %q, %v; want %q", in, got, err, want)
		}
	}
	if wd, err := j.c.Getwd(); err != nil || wd != "/" {
		t.Errorf("getwd = %q, %v", wd, err)
	}
}

func testJailLinks(t *testing.T, j *jailFixture) {
	if err := j.c.Symlink("/etc/passwd", "pw"); err == nil {
		t.Error("symlink created")
	}
	if _, err := j.c.ReadLink("escape"); err == nil {
		t.Error("readlink revealed a host path")
	}
	// Lstat of the link itself is fine: it shows a link, nothing more.
	if fi, err := j.c.Lstat("escape"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("lstat escape = %v, %v", fi, err)
	}
}

// checkOutsideUntouched asserts that nothing the subtests did reached
// outside the root: the secret is unchanged, nothing new sits beside it,
// and no upload or rename landed next to the root.
func (j *jailFixture) checkOutsideUntouched(t *testing.T) {
	t.Helper()
	if b, err := os.ReadFile(j.secret); err != nil || string(b) != "outside secret" {
		t.Errorf("outside file changed: %q, %v", b, err)
	}
	entries, err := os.ReadDir(j.outside)
	if err != nil || len(entries) != 1 {
		t.Errorf("outside directory now holds %v, %v", entries, err)
	}
	for _, p := range []string{"moved.txt", "climb.txt", "new.txt"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(j.ts.root), p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s appeared next to the root: %v", p, err)
		}
	}
}
