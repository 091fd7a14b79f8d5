package engine_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// guard turns a hang into a failure; every wait below is on an event.
const guard = 20 * time.Second

// almaRequests is an ALMA export file with one request per id, all for the
// same item, so each request is recorded (accepted or denied) under its id.
func almaRequests(ids ...string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<xb:requests xmlns:xb="urn:annex:assumed:rsexport">` + "\n")
	for _, id := range ids {
		fmt.Fprintf(&b, `<xb:rsExport><xb:requestType>HOLD</xb:requestType><xb:requestId>%s</xb:requestId>
<xb:pickup><xb:library>MAIN</xb:library><xb:pickupLocation>CIRC</xb:pickupLocation></xb:pickup>
<xb:operationalRecordinformation><xb:permanent_physical_location_code>ANNEX</xb:permanent_physical_location_code></xb:operationalRecordinformation>
<xb:barcode>39015000000001</xb:barcode><xb:requestedInfo/>
<xb:patronInfo><xb:patronName>Ada Reader</xb:patronName><xb:patronIdentifier>P000123</xb:patronIdentifier></xb:patronInfo>
<xb:institutionCode>01ANNEX_INST</xb:institutionCode><xb:libraryCode>MAIN</xb:libraryCode></xb:rsExport>
`, id)
	}
	b.WriteString("</xb:requests>\n")
	return b.Bytes()
}

// requestIDs is the set of request ids the engine has recorded.
func requestIDs(t *testing.T, eng *engine.Engine) map[string]bool {
	t.Helper()
	rows, err := eng.Requests(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.ID] = true
	}
	return ids
}

func wantIDs(t *testing.T, eng *engine.Engine, ids ...string) {
	t.Helper()
	got := requestIDs(t, eng)
	for _, id := range ids {
		if !got[id] {
			t.Errorf("request %s is nowhere (have %v)", id, got)
		}
	}
}

// stage lists a profile's intake stage directory.
func stage(t *testing.T, w *almaWorld, p profile.Profile, name string) []string {
	t.Helper()
	return dirFiles(t, filepath.Join(w.dataDir, "intake", p.Name, name))
}

// withSFTP runs fn with an SFTP session of the profile's account; dir is
// the profile's directory (created).
func withSFTP(t *testing.T, w *almaWorld, p profile.Profile, fn func(c *sftp.Client, dir string)) {
	t.Helper()
	cfg := &ssh.ClientConfig{User: p.Intake.SFTP.Account, Auth: []ssh.AuthMethod{ssh.Password(p.Intake.SFTP.Password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: guard} // the test's own server
	conn, err := ssh.Dial("tcp", w.sftp.Addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.MkdirAll(p.Intake.SFTP.Directory); err != nil {
		t.Fatal(err)
	}
	fn(c, p.Intake.SFTP.Directory)
}

func sftpWrite(c *sftp.Client, name string, data []byte) error {
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

// multipartBody is a multipart/form-data body with one file part.
func multipartBody(t *testing.T, filename string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := make(map[string][]string)
	disp := `form-data; name="file"; filename="` + filename + `"`
	if strings.ContainsRune(filename, 0) {
		// A raw NUL is refused by the MIME header parser; RFC 2231's
		// encoding gets one through, as the attack run did.
		disp = `form-data; name="file"; filename*=UTF-8''` + strings.ReplaceAll(filename, "\x00", "%00")
	}
	h["Content-Disposition"] = []string{disp}
	h["Content-Type"] = []string{"application/xml"}
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestItem1_LongNamesDoNotSpin (issue 11 item 1): names that cannot be
// claimed as they are no longer make intake loop forever. A REST post with
// a 300-byte or NUL-holding filename gets 400 naming the problem; a
// 229-byte name in the inbox is claimed under a shortened name and
// processed.
func TestItem1_LongNamesDoNotSpin(t *testing.T) {
	w := newALMAWorld(t, nil)
	p := w.cfg.Profiles[0]
	srv := httptest.NewServer(api.ForEngine(w.eng, nil))
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: guard} // the old code never answered
	for _, tc := range []struct{ filename, want string }{
		{strings.Repeat("n", 296) + ".xml", "300 bytes long, over the limit of 200"},
		{"req\x00uests.xml", "control character U+0000"},
	} {
		ct, body := multipartBody(t, tc.filename, almaRequests("LONG-1"))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/requestfile/v1?profile="+p.Name, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-API-Key", w.cfg.Facility.APIKey)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("post %.20q…: %v", tc.filename, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("post %.20q…: %d %s; want 400 saying %q", tc.filename, resp.StatusCode, b, tc.want)
		}
	}

	long := strings.Repeat("l", 225) + ".xml"
	inbox := w.eng.InboxDir(p.Name)
	if err := os.WriteFile(filepath.Join(inbox, long), almaRequests("LONG-2"), 0o640); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.eng.FileArrived(context.Background(), filepath.Join(inbox, long)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("file arrived: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("intake of a 229-byte name did not finish: it spins")
	}
	wantIDs(t, w.eng, "LONG-2")
	processed := stage(t, w, p, "processed")
	if len(processed) != 1 || len(processed[0]) > 255 || !strings.HasSuffix(processed[0], ".xml") {
		t.Errorf("processed/ = %q; want one name of at most 255 bytes", processed)
	}
}

// TestItem2_SameNameUploadsBothProcessed (issue 11 item 2): two SFTP
// uploads of requests.xml and a REST post of the same name are three
// files, all processed, in arrival order. (The race itself, a second upload
// landing while the first waits, is TestItem2_UploadWaitsUntilEarlierOneTaken
// in simulators/sftpd.)
func TestItem2_SameNameUploadsBothProcessed(t *testing.T) {
	w := newALMAWorld(t, nil)
	p := w.cfg.Profiles[0]
	withSFTP(t, w, p, func(c *sftp.Client, dir string) {
		for _, id := range []string{"SAME-1", "SAME-2"} {
			if err := sftpWrite(c, path.Join(dir, "requests.xml"), almaRequests(id)); err != nil {
				t.Fatal(err)
			}
		}
	})
	srv := httptest.NewServer(api.ForEngine(w.eng, nil))
	t.Cleanup(srv.Close)
	ct, body := multipartBody(t, "requests.xml", almaRequests("SAME-3"))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/requestfile/v1?profile="+p.Name, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", w.cfg.Facility.APIKey)
	do(t, req, http.StatusOK, nil)
	wantIDs(t, w.eng, "SAME-1", "SAME-2", "SAME-3")
	files, err := w.eng.Files(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d files recorded, want 3: %+v", len(files), files)
	}
	for i := 1; i < len(files); i++ {
		if files[i-1].Name >= files[i].Name {
			t.Errorf("claimed names out of arrival order: %q then %q", files[i-1].Name, files[i].Name)
		}
	}
}

// breakFilesCommit makes every commit that records a processed file fail,
// as a full disk would (a deferred foreign key a trigger breaks), until a
// row is inserted into test_space through the returned connection.
func breakFilesCommit(t *testing.T, w *almaWorld) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.dataDir, "annex.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE test_space (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE test_use (space INTEGER REFERENCES test_space(id) DEFERRABLE INITIALLY DEFERRED)`,
		`CREATE TRIGGER test_full AFTER INSERT ON files WHEN NEW.status = 'processed' BEGIN INSERT INTO test_use VALUES (1); END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestItem5_StoreErrorKeepsFileClaimed (issue 11 item 5): when the store
// cannot commit a valid file (a real SQLite failure at COMMIT: a deferred
// foreign key a trigger breaks when a file is recorded as processed), the
// file is not the one at fault: it stays claimed, and once the store works
// again it is processed.
func TestItem5_StoreErrorKeepsFileClaimed(t *testing.T) {
	w := newALMAWorld(t, nil)
	p := w.cfg.Profiles[0]
	db := breakFilesCommit(t, w)
	inbox := w.eng.InboxDir(p.Name)
	first := filepath.Join(inbox, "requests.xml")
	if err := os.WriteFile(first, almaRequests("FULL-1"), 0o640); err != nil {
		t.Fatal(err)
	}
	err := w.eng.FileArrived(ctxT(t), first)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("file arrived: %v; want the store's commit error", err)
	}
	if got := stage(t, w, p, "rejected"); len(got) != 0 {
		t.Fatalf("a store error rejected the file: rejected/ = %q", got)
	}
	if got := stage(t, w, p, "claimed"); len(got) != 1 {
		t.Fatalf("claimed/ = %q; want the file kept claimed", got)
	}
	// Space is freed; the next arrival retries the file left claimed first.
	if _, err := db.Exec(`INSERT INTO test_space VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(inbox, "more.xml")
	if err := os.WriteFile(second, almaRequests("FULL-2"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.FileArrived(ctxT(t), second); err != nil {
		t.Fatalf("file arrived after the store recovered: %v", err)
	}
	wantIDs(t, w.eng, "FULL-1", "FULL-2")
	if got := stage(t, w, p, "processed"); len(got) != 2 {
		t.Errorf("processed/ = %q; want both files", got)
	}
	if got := stage(t, w, p, "rejected"); len(got) != 0 {
		t.Errorf("rejected/ = %q", got)
	}
}

// TestItem6_SlowBodyDoesNotStallSFTP (issue 11 item 6): while a REST
// client sends its body slowly, an SFTP upload of the same profile is
// processed, and the body being received is not in the SFTP account.
func TestItem6_SlowBodyDoesNotStallSFTP(t *testing.T) {
	w := newALMAWorld(t, nil)
	p := w.cfg.Profiles[0]
	srv := httptest.NewServer(api.ForEngine(w.eng, nil))
	t.Cleanup(srv.Close)
	ct, body := multipartBody(t, "slow.xml", almaRequests("SLOW-1"))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/requestfile/v1?profile="+p.Name, pr)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", w.cfg.Facility.APIKey)
	type result struct {
		status int
		body   string
		err    error
	}
	posted := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 2 * guard}).Do(req)
		if err != nil {
			posted <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		posted <- result{status: resp.StatusCode, body: string(b)}
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}

	uploaded := make(chan error, 1)
	go func() {
		defer close(uploaded)
		withSFTP(t, w, p, func(c *sftp.Client, dir string) {
			uploaded <- sftpWrite(c, path.Join(dir, "fast.xml"), almaRequests("FAST-1"))
		})
	}()
	select {
	case err := <-uploaded:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(guard):
		pw.CloseWithError(io.ErrUnexpectedEOF)
		t.Fatal("SFTP intake stalled behind a slow REST body")
	}
	wantIDs(t, w.eng, "FAST-1")
	root := filepath.Join(w.dataDir, "sftp", p.Intake.SFTP.Account)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("%s is in the SFTP account while the REST body is received", p)
		}
		return nil
	})

	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-posted
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("slow post: %d %s %v", r.status, r.body, r.err)
	}
	wantIDs(t, w.eng, "SLOW-1")
}

// TestItem10_EveryArrivalProcessedOrQuarantined (issue 11 item 10): a
// dotfile is processed, a file in a subdirectory of the inbox is
// quarantined with its reason, and at start stale upload temporaries are
// swept while a fresh one (an upload perhaps in progress) is kept.
func TestItem10_EveryArrivalProcessedOrQuarantined(t *testing.T) {
	w := newALMAWorld(t, nil)
	p := w.cfg.Profiles[0]
	withSFTP(t, w, p, func(c *sftp.Client, dir string) {
		if err := sftpWrite(c, path.Join(dir, ".requests.xml"), almaRequests("DOT-1")); err != nil {
			t.Fatal(err)
		}
		if err := c.Mkdir(path.Join(dir, "sub")); err != nil {
			t.Fatal(err)
		}
		if err := sftpWrite(c, path.Join(dir, "sub", "nested.xml"), almaRequests("SUB-1")); err != nil {
			t.Fatal(err)
		}
	})
	wantIDs(t, w.eng, "DOT-1")
	if got := stage(t, w, p, "processed"); len(got) != 1 || !strings.HasSuffix(got[0], "-.requests.xml") {
		t.Errorf("processed/ = %q; want the dotfile", got)
	}
	rejected := stage(t, w, p, "rejected")
	if len(rejected) != 2 || !strings.HasSuffix(rejected[0], "-nested.xml") || !strings.HasSuffix(rejected[1], "-nested.xml.reason") {
		t.Fatalf("rejected/ = %q; want nested.xml and its reason", rejected)
	}
	reason, err := os.ReadFile(filepath.Join(w.dataDir, "intake", p.Name, "rejected", rejected[1]))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reason), "sub/nested.xml is not in") {
		t.Errorf("reason %q does not say where the file was", reason)
	}

	inbox := w.eng.InboxDir(p.Name)
	receiving := filepath.Join(w.dataDir, "intake", p.Name, "receiving")
	old := time.Now().Add(-2 * time.Hour)
	stale := []string{
		filepath.Join(inbox, ".a.xml.partial-0123456789abcdef"),
		filepath.Join(inbox, "sub", ".b.xml.partial-0123456789abcdef"),
		filepath.Join(inbox, ".upload-123456"),
		filepath.Join(receiving, "body-42"),
	}
	fresh := filepath.Join(inbox, ".c.xml.partial-fedcba9876543210")
	for _, f := range append(stale, fresh) {
		if err := os.WriteFile(f, []byte("<half"), 0o640); err != nil {
			t.Fatal(err)
		}
		if f != fresh {
			if err := os.Chtimes(f, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.restart(t, false)
	t.Cleanup(func() { w.eng.Close() })
	for _, f := range stale {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s was not swept at start (%v)", f, err)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh partial was swept: %v", err)
	}
}
