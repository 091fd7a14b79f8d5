package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/smtp"
)

// The tests of issue 15: alert emails leave the engine through a real
// SMTP conversation with the mail catcher (simulators/smtp), and are read
// back from it.

const (
	staff  = "annex-staff@library.example.edu"
	sender = "annex@facility.example.edu"
)

// mailWorld is an ALMA world whose profile emails its alerts to a catcher.
type mailWorld struct {
	*almaWorld
	catcher *smtp.Server
}

func newMailWorld(t *testing.T, grouping string, ccfg smtp.Config, mut func(*profile.SMTP), kinds ...string) *mailWorld {
	t.Helper()
	return startMailWorld(t, ccfg, profile.Email{To: []string{staff}, Cc: []string{"desk@library.example.edu"}, From: sender,
		Grouping: grouping, Kinds: kinds}, mut)
}

// startMailWorld starts a catcher and an ALMA world whose profile emails
// its alerts as email says; mut (when not nil) changes the facility's SMTP
// settings.
func startMailWorld(t *testing.T, ccfg smtp.Config, email profile.Email, mut func(*profile.SMTP)) *mailWorld {
	t.Helper()
	catcher := startServer(t, smtp.Start, ccfg)
	host, port, _ := net.SplitHostPort(catcher.Addr())
	n, _ := strconv.Atoi(port)
	w := newALMAWorld(t, func(c *engine.Config, _ *alma.Config) {
		s := &profile.SMTP{Host: host, Port: n, Security: profile.SMTPNone}
		if mut != nil {
			mut(s)
		}
		c.Facility.SMTP = s
		c.Profiles[0].Alerts.Email = &email
	})
	return &mailWorld{almaWorld: w, catcher: catcher}
}

// almaFile is an ALMA export of requests, each {id, barcode, library}.
func almaFile(reqs ...[3]string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<xb:requests xmlns:xb="urn:annex:assumed:rsexport">` + "\n")
	for _, r := range reqs {
		pickup, inst := "CIRC", "01ANNEX_INST"
		if r[2] != "MAIN" {
			pickup, inst = r[2], r[2]+"_INST" // a library the profile does not know: no stop
		}
		fmt.Fprintf(&b, `<xb:rsExport><xb:requestType>HOLD</xb:requestType><xb:requestId>%s</xb:requestId>
<xb:pickup><xb:library>%s</xb:library><xb:pickupLocation>%s</xb:pickupLocation></xb:pickup>
<xb:operationalRecordinformation><xb:permanent_physical_location_code>ANNEX</xb:permanent_physical_location_code></xb:operationalRecordinformation>
<xb:barcode>%s</xb:barcode><xb:requestedInfo/>
<xb:patronInfo><xb:patronName>Ada Reader</xb:patronName><xb:patronIdentifier>P000123</xb:patronIdentifier></xb:patronInfo>
<xb:institutionCode>%s</xb:institutionCode><xb:libraryCode>%s</xb:libraryCode></xb:rsExport>
`, r[0], r[2], pickup, r[1], inst, r[2])
	}
	b.WriteString("</xb:requests>\n")
	return b.Bytes()
}

// arrive drops a request file in the profile's inbox and processes it.
func (w *mailWorld) arrive(t *testing.T, name string, data []byte) {
	t.Helper()
	p := w.cfg.Profiles[0]
	path := filepath.Join(w.eng.InboxDir(p.Name), name)
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.FileArrived(ctxT(t), path); err != nil {
		t.Fatal(err)
	}
}

// waitMail waits until the catcher holds n messages matching f.
func (w *mailWorld) waitMail(t *testing.T, f smtp.Filter, n int) []smtp.Message {
	t.Helper()
	if got, err := w.catcher.Wait(ctxT(t), f, n); err != nil {
		t.Fatalf("catcher: %d messages matching %+v, want %d: %v", got, f, n, err)
	}
	return w.catcher.Messages(0, 1000, f)
}

func mails(t *testing.T, eng *engine.Engine) []store.Mail {
	t.Helper()
	m, err := eng.Mails(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMailDenialEmailed: a denied request is mailed as one MIME message
// whose subject names the request, the item and the denial, and which
// Python's email parser reads: RFC 5322 headers, a text and an HTML part,
// a UTF-8 subject.
func TestMailDenialEmailed(t *testing.T) {
	w := newMailWorld(t, profile.GroupEvent, smtp.Config{}, nil)
	w.arrive(t, "requests.xml", almaFile([3]string{"REQ-Ü1", "39015000000001", "NOWHERE"}))
	got := w.waitMail(t, smtp.Filter{To: staff}, 1)
	m := got[0]
	if want := "[annex] denied: REQ-Ü1 39015000000001 Invalid Stop Code"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if m.From != sender || len(m.To) != 2 {
		t.Errorf("envelope from %q to %q; want %s to staff and cc", m.From, m.To, sender)
	}
	alerts, _ := w.eng.Alerts(ctxT(t))
	wantID := fmt.Sprintf("<annex-alert-%d.alma-demo@facility.example.edu>", alerts[0].ID)
	if m.MessageID != wantID {
		t.Errorf("Message-ID %q, want %q (derived from the alert)", m.MessageID, wantID)
	}
	if err := w.eng.WaitMailIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if rows := mails(t, w.eng); len(rows) != 1 || rows[0].Status != store.MsgDelivered || rows[0].Attempts != 1 {
		t.Errorf("mail rows %+v; want one delivered at the first attempt", rows)
	}
	pythonReads(t, w.catcher, m.ID, "REQ-Ü1", "Invalid Stop Code")
}

// pythonReads has Python's email package parse a caught message, with the
// strict default policy, and checks what a mail client shows.
func pythonReads(t *testing.T, c *smtp.Server, id int64, wantSubject, wantBody string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	resp, err := http.Get(fmt.Sprintf("%s/_sim/mail/%d/raw", c.URL(), id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	script := `
import sys, email
from email import policy
msg = email.message_from_binary_file(sys.stdin.buffer, policy=policy.default)
defects = list(msg.defects)
for part in msg.walk():
    defects += part.defects
assert not defects, defects
for h in ("From", "To", "Cc", "Date", "Message-ID", "Subject", "MIME-Version"):
    assert msg[h], "no " + h
assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
text = msg.get_body(preferencelist=("plain",))
html = msg.get_body(preferencelist=("html",))
assert text is not None and html is not None
assert text.get_content_charset() == "utf-8", text.get_content_charset()
print(msg["Subject"])
print(text.get_content())
print(html.get_content())
`
	cmd := exec.CommandContext(ctxT(t), py, "-c", script)
	cmd.Stdin = resp.Body
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python's email parser: %v\n%s", err, out)
	}
	lines := strings.SplitN(string(out), "\n", 2)
	if !strings.Contains(lines[0], wantSubject) {
		t.Errorf("python read the subject %q, want it to contain %q", lines[0], wantSubject)
	}
	if strings.Count(string(out), wantBody) < 3 {
		t.Errorf("python read subject, text and HTML without %q in each:\n%s", wantBody, out)
	}
}

// TestMailFulfilmentEmailed: a retrieval whose CheckOutItem ALMA accepted is mailed.
func TestMailFulfilmentEmailed(t *testing.T) {
	w := newMailWorld(t, profile.GroupEvent, smtp.Config{}, nil)
	w.arrive(t, "requests.xml", almaFile([3]string{"REQ-1", "39015000000001", "MAIN"}))
	if err := w.eng.Retrieve(ctxT(t), "39015000000001"); err != nil {
		t.Fatal(err)
	}
	got := w.waitMail(t, smtp.Filter{SubjectContains: "fulfilled"}, 1)
	if want := "[annex] fulfilled: REQ-1 39015000000001 retrieved"; got[0].Subject != want {
		t.Errorf("subject %q, want %q", got[0].Subject, want)
	}
}

// TestMailDigestPerFile: with grouping file, the denials of one request
// file are one message listing them all.
func TestMailDigestPerFile(t *testing.T) {
	w := newMailWorld(t, profile.GroupFile, smtp.Config{}, nil, store.AlertDenial)
	w.arrive(t, "requests.xml", almaFile([3]string{"REQ-1", "39015000000001", "NOWHERE"},
		[3]string{"REQ-2", "39015099999999", "MAIN"}, [3]string{"REQ-3", "39015000000002", "MAIN"}))
	if err := w.eng.WaitMailIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := w.catcher.Messages(0, 100, smtp.Filter{})
	if len(got) != 1 {
		t.Fatalf("%d messages, want one digest", len(got))
	}
	if want := "[annex] digest file requests.xml: 2 alerts (2 denied)"; got[0].Subject != want {
		t.Errorf("digest subject %q, want %q", got[0].Subject, want)
	}
	p, err := smtp.Parse(got[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"REQ-1", "REQ-2"} {
		if !strings.Contains(p.Parts[0].Body, id) {
			t.Errorf("digest text does not list %s:\n%s", id, p.Parts[0].Body)
		}
	}
}

// TestMailRetried451DeliveredOnce: a 451 at the end of DATA is retried,
// and the 250 that follows ends it: one message caught.
func TestMailRetried451DeliveredOnce(t *testing.T) {
	w := newMailWorld(t, profile.GroupEvent, smtp.Config{Faults: []smtp.Fault{{Kind: smtp.Reject, Code: 451, Message: "try again later", Count: 1}}}, nil)
	w.arrive(t, "requests.xml", almaFile([3]string{"REQ-1", "39015000000001", "NOWHERE"}))
	if err := w.eng.WaitMailIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := w.catcher.Messages(0, 100, smtp.Filter{}); len(got) != 1 {
		t.Fatalf("%d messages caught, want 1", len(got))
	}
	rows := mails(t, w.eng)
	if len(rows) != 1 || rows[0].Status != store.MsgDelivered || rows[0].Attempts != 2 || !strings.Contains(rows[0].LastError, "451") {
		t.Errorf("mail rows %+v; want delivered at the second attempt after a 451", rows)
	}
}

// TestMail550NotRetried: a 5xx is final: no second attempt, the mail row
// failed, and a delivery_failure alert says so.
func TestMail550NotRetried(t *testing.T) {
	w := newMailWorld(t, profile.GroupEvent, smtp.Config{Faults: []smtp.Fault{{Kind: smtp.Reject, Code: 550, Message: "mailbox unavailable"}}}, nil)
	w.arrive(t, "requests.xml", almaFile([3]string{"REQ-1", "39015000000001", "NOWHERE"}))
	if err := w.eng.WaitMailIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	rows := mails(t, w.eng)
	if len(rows) != 1 || rows[0].Status != store.MsgFailed || rows[0].Attempts != 1 {
		t.Fatalf("mail rows %+v; want failed after one attempt", rows)
	}
	resp, err := http.Get(w.catcher.URL() + "/_sim/faults")
	if err != nil {
		t.Fatal(err)
	}
	var fs []smtp.Fault
	decodeBody(t, resp, &fs)
	if len(fs) != 1 || fs[0].Applied != 1 {
		t.Errorf("faults %+v; want the 550 applied exactly once", fs)
	}
	alerts, _ := w.eng.Alerts(ctxT(t))
	last := alerts[len(alerts)-1]
	if last.Kind != store.AlertDeliveryFailure || !strings.Contains(last.Message, "550") {
		t.Errorf("last alert %+v; want a delivery_failure naming the 550", last)
	}
	if len(mails(t, w.eng)) != 1 {
		t.Errorf("the delivery_failure alert owes an email itself")
	}
}

// TestMailSTARTTLSAndAuth: the engine upgrades with STARTTLS and
// authenticates before it may send.
func TestMailSTARTTLSAndAuth(t *testing.T) {
	w := newMailWorld(t, profile.GroupEvent, smtp.Config{TLS: true, Username: "annex", Password: "s3cret-mail", Domains: []string{"library.example.edu"}},
		func(s *profile.SMTP) {
			s.Security, s.Username, s.Password, s.InsecureSkipVerify = profile.SMTPStartTLS, "annex", "s3cret-mail", true
		})
	w.arrive(t, "requests.xml", almaFile([3]string{"REQ-1", "39015000000001", "NOWHERE"}))
	w.waitMail(t, smtp.Filter{To: staff}, 1)
}

// TestHeldFileAlertListed (issue 11 item 5): a store error that keeps a
// valid file claimed is an alert of its own kind in /api/alerts/v1.
func TestHeldFileAlertListed(t *testing.T) {
	w := newALMAWorld(t, nil)
	p := w.cfg.Profiles[0]
	breakFilesCommit(t, w)
	path := filepath.Join(w.eng.InboxDir(p.Name), "requests.xml")
	if err := os.WriteFile(path, almaRequests("HELD-1"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.FileArrived(ctxT(t), path); err == nil {
		t.Fatal("file arrived: want the store's commit error")
	}
	base := serveAPI(t, w.eng)
	var page struct {
		Alerts []store.Alert `json:"alerts"`
	}
	getAPI(t, base+"/api/alerts/v1", w.cfg.Facility.APIKey, &page)
	var held []store.Alert
	for _, a := range page.Alerts {
		if a.Kind == store.AlertHeldFile {
			held = append(held, a)
		}
	}
	if len(held) != 1 || !strings.Contains(held[0].Message, "requests.xml") || !strings.Contains(held[0].Message, "FOREIGN KEY") {
		t.Fatalf("held_file alerts %+v; want one naming the file and the store's error", held)
	}
}

func decodeBody(t *testing.T, resp *http.Response, out any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestMailDigestPerFloorBatch: with grouping floor_batch, the fulfilments
// of one pick list, which the library confirms one CheckOutItem at a time,
// wait for each other (digest_wait) and leave as one message.
func TestMailDigestPerFloorBatch(t *testing.T) {
	mw := startMailWorld(t, smtp.Config{}, profile.Email{To: []string{staff}, From: sender, Grouping: profile.GroupFloorBatch,
		DigestWait: profile.Duration(time.Second), Kinds: []string{store.AlertFulfilment}}, nil)
	w := mw.almaWorld
	mw.arrive(t, "requests.xml", almaFile([3]string{"REQ-1", "39015000000001", "MAIN"}, [3]string{"REQ-2", "39015000000002", "MAIN"}))
	res, err := w.eng.RetrieveMany(ctxT(t), []string{"39015000000001", "39015000000002"})
	if err != nil || res[0] != nil || res[1] != nil {
		t.Fatalf("pick list: %v %v", res, err)
	}
	waitIdle(t, w.eng)
	if err := w.eng.WaitMailIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := mw.catcher.Messages(0, 10, smtp.Filter{})
	if len(got) != 1 || !strings.Contains(got[0].Subject, "2 alerts (2 fulfilled)") || !strings.Contains(got[0].Subject, "floor batch 39015000000001+2@") {
		var subj []string
		for _, m := range got {
			subj = append(subj, m.Subject)
		}
		t.Fatalf("caught %q; want one floor-batch digest of both fulfilments", subj)
	}
}
