package alma

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"flag"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/sftpd"
)

var update = flag.Bool("update", false, "rewrite golden files")

const exportGolden = "testdata/export/demo-requests.xml"

// exportState adds a digitization request (patron address exported), a
// title-level request, and requests that must not be exported.
func exportState(c *Config) {
	c.State.Items = append(c.State.Items,
		Item{Barcode: "39015000000009", Library: "MAIN", Location: "STACKS", MMSID: "991000000000901", Status: StatusRequested})
	c.State.Requests = append(c.State.Requests,
		Request{ID: "REQ-3", Type: "PHYSICAL_TO_DIGITIZATION", Barcode: barcode3, PickupLibrary: "MAIN", PickupLocation: "DIGI",
			Patron:      Patron{Name: "Cleo Scanner", Identifier: "P000789", Email: "cleo@example.org", Address: "1 Main St & Co, Springfield"},
			Description: "pp. 10-20 <ch. 2>", RequestedInfo: "2022-05-20"},
		Request{ID: "REQ-0", Type: "HOLD", MMSID: "991000000000301", PickupLibrary: "MAIN", PickupLocation: "CIRC",
			Patron: Patron{Name: "Title Level", Identifier: "P000123"}},
		Request{ID: "REQ-STACKS", Type: "HOLD", Barcode: "39015000000009", PickupLibrary: "MAIN", PickupLocation: "CIRC"},
		Request{ID: "REQ-DONE", Type: "HOLD", Barcode: barcode1, Step: StepExported})
}

func TestExportGolden(t *testing.T) {
	s := start(t, exportState)
	name, data, ids, err := s.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	if name != "01ANNEX_INST_ANNEX_requests_20220523_143000_000.xml" {
		t.Errorf("file name %q", name)
	}
	if strings.Join(ids, ",") != "REQ-0,REQ-1,REQ-2,REQ-3" {
		t.Errorf("ids %v", ids)
	}
	if *update {
		os.MkdirAll(filepath.Dir(exportGolden), 0o755)
		os.WriteFile(exportGolden, data, 0o644)
	}
	want, err := os.ReadFile(exportGolden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("export differs from %s (run with -update to accept):\n%s", exportGolden, data)
	}
	_, again, _, _ := s.BuildExport()
	if !bytes.Equal(again, data) {
		t.Error("export is not deterministic")
	}
}

func TestExportWithoutServerReportsError(t *testing.T) {
	s := start(t, nil)
	var res ExportResult
	if st := postJSON(t, s.URL()+"/_sim/export", "", &res); st != http.StatusBadGateway || !strings.Contains(res.Error, "sftp_addr") || res.Requests != 2 {
		t.Fatalf("status %d %+v", st, res)
	}
	if got := requestOf(t, getState(t, s), "REQ-1").Step; got != StepPending {
		t.Errorf("a failed upload marked requests %s", got)
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Transport == "sftp" })
	if e.Direction != "out" || e.Error == "" {
		t.Errorf("journal %+v", e)
	}
}

func startSFTP(t *testing.T, acct sftpd.Account) (*sftpd.Server, chan sftpd.Upload) {
	t.Helper()
	uploads := make(chan sftpd.Upload, 4)
	srv, err := sftpd.Start(sftpd.Config{Accounts: []sftpd.Account{acct}, OnUpload: func(u sftpd.Upload) { uploads <- u }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, uploads
}

func waitUpload(t *testing.T, ch chan sftpd.Upload) sftpd.Upload {
	t.Helper()
	select {
	case u := <-ch:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no upload event")
	}
	return sftpd.Upload{}
}

// The export arrives through a real SFTP server with password auth, from
// an allowed source address, with the host key checked; content equals the golden.
func TestExportSFTPRoundTrip(t *testing.T) {
	root := t.TempDir()
	srv, uploads := startSFTP(t, sftpd.Account{Name: "alma", Password: "alma-demo", Root: root,
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	s := start(t, func(c *Config) {
		exportState(c)
		c.Export.SFTPAddr = srv.Addr()
		c.Export.HostKey = string(ssh.MarshalAuthorizedKey(srv.HostKey()))
	})
	var res ExportResult
	if st := postJSON(t, s.URL()+"/_sim/export", "", &res); st != http.StatusOK || res.Error != "" || res.Requests != 4 {
		t.Fatalf("status %d %+v", st, res)
	}
	u := waitUpload(t, uploads)
	if u.Account != "alma" || u.Path != "01ANNEX_INST/requests/"+res.File {
		t.Errorf("upload %+v", u)
	}
	got, err := os.ReadFile(filepath.Join(root, "01ANNEX_INST", "requests", res.File))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(exportGolden)
	if !bytes.Equal(got, want) {
		t.Errorf("uploaded file differs from the golden:\n%s", got)
	}
	st := getState(t, s)
	for _, id := range []string{"REQ-0", "REQ-1", "REQ-2", "REQ-3"} {
		if r := requestOf(t, st, id); r.Step != StepExported {
			t.Errorf("%s step %s", id, r.Step)
		}
	}
	if r := requestOf(t, st, "REQ-STACKS"); r.Step != StepPending {
		t.Errorf("REQ-STACKS step %s", r.Step)
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Transport == "sftp" })
	if e.Direction != "out" || e.Error != "" || !bytes.Equal(e.Request, want) || !strings.HasPrefix(e.LocalAddr, "127.0.0.1:") {
		t.Errorf("journal %+v", e)
	}
	// Nothing pending any more: a second run uploads nothing.
	if st := postJSON(t, s.URL()+"/_sim/export", "", &res); st != http.StatusOK || res.Requests != 0 {
		t.Errorf("second export %d %+v", st, res)
	}
}

func TestExportSFTPKeyAuthAndWrongHostKey(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	srv, uploads := startSFTP(t, sftpd.Account{Name: "alma", Root: t.TempDir(),
		AuthorizedKeys: []string{strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))}})
	s := start(t, func(c *Config) {
		c.Export.Password = ""
		c.Export.PrivateKey = string(pem.EncodeToMemory(block))
		c.Export.SFTPAddr = srv.Addr()
	})
	res, err := s.Export(context.Background())
	if err != nil || res.Requests != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	waitUpload(t, uploads)

	// A host key that is not the server's refuses the upload.
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _ := ssh.NewPublicKey(other)
	s2 := start(t, func(c *Config) {
		c.Export.Password = ""
		c.Export.PrivateKey = string(pem.EncodeToMemory(block))
		c.Export.SFTPAddr = srv.Addr()
		c.Export.HostKey = string(ssh.MarshalAuthorizedKey(otherPub))
	})
	if _, err := s2.Export(context.Background()); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("want a host key mismatch, got %v", err)
	}
}

// The schedule runs the job without being asked.
func TestExportSchedule(t *testing.T) {
	srv, uploads := startSFTP(t, sftpd.Account{Name: "alma", Password: "alma-demo", Root: t.TempDir()})
	start(t, func(c *Config) {
		c.Export.SFTPAddr = srv.Addr()
		c.Export.Every = 10 * time.Millisecond
	})
	waitUpload(t, uploads)
}
