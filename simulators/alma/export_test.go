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

const (
	exportGolden       = "testdata/export/rsexport-requests.xml"
	legacyExportGolden = "testdata/export/legacy-requests.xml"
)

// exportState adds to the demo (libraries and desks with names) what the
// real export writes differently: a digitization request (institution name
// and desk name as pickup, no libraryCode, no patronAddress), a personal
// delivery with a ship address of nil lines and non-ASCII text, a
// title-level request with its citation, and requests that must not be
// exported.
func exportState(c *Config) {
	st := &c.State
	st.Items[2].ISBN, st.Items[2].PlaceOfPublication, st.Items[2].DateOfPublication = "9780000000002", "Springfield", "1998"
	st.Items = append(st.Items,
		Item{Barcode: "39015000000009", Library: "MAIN", Location: "STACKS", MMSID: "991000000000901", Status: StatusRequested})
	st.Requests = append(st.Requests,
		Request{ID: "REQ-3", Type: "PHYSICAL_TO_DIGITIZATION", Barcode: barcode3, PickupLibrary: "MAIN", PickupDesk: "DIGI",
			DigitizationDepartment: "DIGI", Patron: Patron{Name: "Cleo Scanner", Identifier: "P000789", Email: "cleo@example.org", Address: "not exported"},
			RequestedInfo: &RequestedInfo{Description: "v.2", PartToDigitize: "pp. 10-20 <ch. 2> & notes"}},
		Request{ID: "REQ-4", Type: "PATRON_PHYSICAL", Barcode: "39015000000004", PersonalDelivery: true,
			Patron:      Patron{Name: "Zoë Ångström", Identifier: "P000456", Email: "zoe@example.org", Address: "12 Rue Été, Genève"},
			ShipAddress: &Address{Line1: "12 Rue Été", Line3: "Bât. B", City: "Genève", Country: "CH", PostalCode: "1204"}},
		Request{ID: "REQ-0", Type: "PATRON_PHYSICAL", MMSID: "991000000000301", Citation: "Volume 96; Issue 4; Publication Date 1989",
			PickupLibrary: "LAW", Patron: Patron{Name: "Title Level", Identifier: "P000123"}},
		Request{ID: "REQ-STACKS", Barcode: "39015000000009", PickupLibrary: "MAIN"},
		Request{ID: "REQ-DONE", Barcode: barcode1, Step: StepExported})
}

// legacyExportState is the state the legacy shape's golden was written from.
func legacyExportState(c *Config) {
	c.Export.Shape = ShapeLegacy
	c.State.Items = append(c.State.Items,
		Item{Barcode: "39015000000009", Library: "MAIN", Location: "STACKS", MMSID: "991000000000901", Status: StatusRequested})
	c.State.Requests = append(c.State.Requests,
		Request{ID: "REQ-3", Type: "PHYSICAL_TO_DIGITIZATION", Barcode: barcode3, PickupLibrary: "MAIN", PickupLocation: "DIGI",
			Patron:      Patron{Name: "Cleo Scanner", Identifier: "P000789", Email: "cleo@example.org", Address: "1 Main St & Co, Springfield"},
			Description: "pp. 10-20 <ch. 2>", RequestedInfo: &RequestedInfo{PartToDigitize: "2022-05-20"}},
		Request{ID: "REQ-0", Type: "HOLD", MMSID: "991000000000301", PickupLibrary: "MAIN", PickupLocation: "CIRC",
			Patron: Patron{Name: "Title Level", Identifier: "P000123"}},
		Request{ID: "REQ-STACKS", Type: "HOLD", Barcode: "39015000000009", PickupLibrary: "MAIN", PickupLocation: "CIRC"},
		Request{ID: "REQ-DONE", Type: "HOLD", Barcode: barcode1, Step: StepExported})
}

// checkGolden compares data with a golden file (-update rewrites it).
func checkGolden(t *testing.T, golden string, data []byte) {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		os.WriteFile(golden, data, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("export differs from %s (run with -update to accept):\n%s", golden, data)
	}
}

// The default export is the real shape, byte for byte.
func TestExportGolden(t *testing.T) {
	s := start(t, exportState)
	name, data, ids, err := s.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	if name != "ANNEX-20220523_143000_000.xml" {
		t.Errorf("file name %q", name)
	}
	if strings.Join(ids, ",") != "REQ-0,REQ-1,REQ-2,REQ-3,REQ-4" {
		t.Errorf("ids %v", ids)
	}
	checkGolden(t, exportGolden, data)
	if bytes.Contains(data, []byte("institutionCode")) {
		t.Error("institutionCode written without export.institution_code")
	}
	_, again, _, _ := s.BuildExport()
	if !bytes.Equal(again, data) {
		t.Error("export is not deterministic")
	}
}

// export.shape: legacy still writes the assumed shape of earlier versions.
func TestExportLegacyGolden(t *testing.T) {
	s := start(t, legacyExportState)
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
	checkGolden(t, legacyExportGolden, data)
}

func TestExportInstitutionCodeOption(t *testing.T) {
	s := start(t, func(c *Config) { c.Export.InstitutionCode = true })
	_, data, ids, err := s.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("<xb:institutionCode>01ANNEX_INST</xb:institutionCode>\n  </xb:rsExport>")); n != len(ids) || n == 0 {
		t.Errorf("%d institutionCode elements closing %d records:\n%s", n, len(ids), data)
	}
}

func TestExportShapeValidated(t *testing.T) {
	cfg := DemoConfig()
	cfg.Export.Shape = "assumed"
	if s, err := Start(cfg); err == nil {
		s.Close()
		t.Fatal("an unknown export shape was accepted")
	}
	_, err := parseConfig("alma.yaml", []byte("state:\n  institution: X\nexport:\n  shape: assumed\n"))
	if err == nil || !strings.Contains(err.Error(), "alma.yaml:4:") {
		t.Errorf("want the shape's line, got %v", err)
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
	if st := postJSON(t, s.URL()+"/_sim/export", "", &res); st != http.StatusOK || res.Error != "" || res.Requests != 5 {
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
	for _, id := range []string{"REQ-0", "REQ-1", "REQ-2", "REQ-3", "REQ-4"} {
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
