package sftpd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pkg/sftp"
)

// TestItem1_LongUploadNameRefused (issue 11 item 1): a name too long to be
// claimed by the engine once its claim time is added (229 bytes made the
// engine spin) is refused when the upload opens, with a message that says
// why; a name at the limit is accepted.
func TestItem1_LongUploadNameRefused(t *testing.T) {
	ts := startTestServer(t, nil)
	c, _ := dialSFTP(t, ts.Server, "")
	long := strings.Repeat("r", 225) + ".xml"
	if f, err := c.Create(long); err == nil {
		f.Close()
		t.Fatalf("a %d-byte name was accepted", len(long))
	}
	e := ts.waitFor(t, "refused long name", func(e AuditEntry) bool {
		return e.Event == EventUploadFailed && e.Path == long
	})
	if !strings.Contains(e.Detail, "229 bytes long, over the limit of 200") {
		t.Errorf("audit detail %q does not say the name is too long", e.Detail)
	}
	ok := strings.Repeat("r", DefaultMaxNameLength-4) + ".xml"
	put(t, c, ok, []byte("<x/>"))
	if u := ts.nextUpload(t); u.Path != ok {
		t.Errorf("upload %q, want %q", u.Path, ok)
	}
}

// putErr uploads data to name and closes the file, for goroutines.
func putErr(c *sftp.Client, name string, data []byte) error {
	f, err := c.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestItem2_UploadWaitsUntilEarlierOneTaken (issue 11 item 2): a second
// upload of a name whose first upload has been announced but not taken yet
// (the engine busy with another file) does not replace it: it waits, and
// the consumer gets both files, in arrival order.
func TestItem2_UploadWaitsUntilEarlierOneTaken(t *testing.T) {
	taken := make(chan string, 4)
	announced := make(chan Upload, 4)
	release := make(chan struct{})
	var first atomic.Bool
	claimed := t.TempDir()
	var n atomic.Int32
	ts := startTestServer(t, func(c *Config) {
		c.OnUpload = func(u Upload) {
			announced <- u
			if first.CompareAndSwap(false, true) {
				<-release // the consumer is busy: the file waits under its name
			}
			// Take the file as the engine does: read it where it was announced, move it away.
			data, err := os.ReadFile(u.LocalPath)
			if err != nil {
				taken <- "error: " + err.Error()
				return
			}
			os.Rename(u.LocalPath, filepath.Join(claimed, string(rune('0'+n.Add(1)))))
			taken <- string(data)
		}
	})
	a, _ := dialSFTP(t, ts.Server, "")
	b, _ := dialSFTP(t, ts.Server, "")
	errs := make(chan error, 2)
	go func() { errs <- putErr(a, "requests.xml", []byte("first")) }()
	<-announced
	go func() { errs <- putErr(b, "requests.xml", []byte("second")) }()
	queued := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_, err := ts.waitAudit(ctx, func(e AuditEntry) bool { return e.Event == EventUploadQueued })
		queued <- err
	}()
	select {
	case <-announced:
		t.Error("the second upload was announced while the first, of the same name, was not yet taken")
	case err := <-queued:
		if err != nil {
			t.Fatalf("the second upload neither queued nor announced: %v", err)
		}
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("upload: %v", err)
		}
	}
	got := []string{<-taken, <-taken}
	if got[0] != "first" || got[1] != "second" {
		t.Errorf("consumer took %q, want [first second]", got)
	}
}
