package smtp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	netsmtp "net/smtp"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/simulators/smtp"
)

func start(t testing.TB, cfg smtp.Config) *smtp.Server {
	t.Helper()
	s, err := smtp.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func getJSON(t *testing.T, url string, want int, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
}

func post(t *testing.T, url, body string, want int) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	return string(b)
}

// TestPythonSmtplibMessageListed: Python's smtplib, a client nobody here
// wrote, sends a UTF-8 message; the catcher lists it with its envelope,
// decoded subject and Message-ID, and shows its parts.
func TestPythonSmtplibMessageListed(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	s := start(t, smtp.Config{Domains: []string{"library.example.edu"}})
	host, port, _ := net.SplitHostPort(s.Addr())
	script := fmt.Sprintf(`
import smtplib, email.utils
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "python@facility.example.edu"
m["To"] = "staff@library.example.edu"
m["Subject"] = "Prüfung: Bücher zurück"
m["Message-ID"] = "<py-1@facility.example.edu>"
m["Date"] = "Fri, 14 Mar 2025 09:26:53 +0000"
m.set_content("Grüße aus Python")
m.add_alternative("<p>Grüße aus <b>Python</b></p>", subtype="html")
with smtplib.SMTP(%q, %s, timeout=20) as c:
    c.send_message(m)
    try:
        c.sendmail("python@facility.example.edu", ["someone@elsewhere.example.org"], m.as_bytes())
        raise SystemExit("a recipient outside the domains was accepted")
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", list(e.recipients.values())[0][0])
`, host, port)
	out, err := exec.CommandContext(ctxT(t), py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python smtplib: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "refused 550") {
		t.Errorf("python saw %q; want the other domain refused with 550", out)
	}
	var list []smtp.Message
	getJSON(t, s.URL()+"/_sim/mail?to=staff@library.example.edu&min=1&wait=10s", http.StatusOK, &list)
	if len(list) != 1 {
		t.Fatalf("%d messages listed, want 1", len(list))
	}
	m := list[0]
	if m.From != "python@facility.example.edu" || m.Subject != "Prüfung: Bücher zurück" || m.MessageID != "<py-1@facility.example.edu>" || m.Date == "" {
		t.Errorf("listed %+v", m)
	}
	var parsed struct {
		Parts []smtp.Part `json:"parts"`
	}
	getJSON(t, fmt.Sprintf("%s/_sim/mail/%d", s.URL(), m.ID), http.StatusOK, &parsed)
	if len(parsed.Parts) != 2 || !strings.Contains(parsed.Parts[0].Body, "Grüße aus Python") || parsed.Parts[1].ContentType != "text/html" {
		t.Errorf("parts %+v", parsed.Parts)
	}
	resp, err := http.Get(fmt.Sprintf("%s/_sim/mail/%d/raw", s.URL(), m.ID))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "message/rfc822" || !bytes.Contains(raw, []byte("Message-ID: <py-1@facility.example.edu>")) {
		t.Errorf("raw: %s %q", resp.Header.Get("Content-Type"), raw)
	}
	req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/_sim/mail/%d", s.URL(), m.ID), nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	}
	getJSON(t, fmt.Sprintf("%s/_sim/mail/%d", s.URL(), m.ID), http.StatusNotFound, nil)
}

// send sends one message with Go's net/smtp client.
func send(addr, to, subject string) error {
	msg := "From: a@facility.example.edu\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nbody\r\n"
	return netsmtp.SendMail(addr, nil, "a@facility.example.edu", []string{to}, []byte(msg))
}

// TestFaults: a reject answers its code, a drop closes the connection, a
// counted fault retires; faults with unknown fields are refused with a
// did-you-mean.
func TestFaults(t *testing.T) {
	s := start(t, smtp.Config{})
	post(t, s.URL()+"/_sim/faults", `[{"kind":"reject","code":451,"message":"greylisted","count":1},{"kind":"drop","stage":"rcpt","count":1}]`, http.StatusCreated)
	// RCPT comes before the end of DATA: the drop hits first.
	if err := send(s.Addr(), "x@library.example.edu", "one"); err == nil {
		t.Errorf("first send succeeded; want the connection dropped at RCPT")
	}
	err := send(s.Addr(), "x@library.example.edu", "two")
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Errorf("second send: %v; want the 451", err)
	}
	if err := send(s.Addr(), "x@library.example.edu", "three"); err != nil {
		t.Errorf("third send: %v; both faults should have retired", err)
	}
	if got := s.Messages(0, 10, smtp.Filter{}); len(got) != 1 || got[0].Subject != "three" {
		t.Errorf("caught %d messages; want only the third", len(got))
	}
	body := post(t, s.URL()+"/_sim/faults", `{"kind":"reject","cdoe":550}`, http.StatusBadRequest)
	if !strings.Contains(body, `unknown field \"cdoe\"`) || !strings.Contains(body, `did you mean \"code\"`) {
		t.Errorf("unknown field answer: %s", body)
	}
	body = post(t, s.URL()+"/_sim/faults", `{"kind":"rejct","code":550}`, http.StatusBadRequest)
	if !strings.Contains(body, `did you mean \"reject\"`) {
		t.Errorf("unknown kind answer: %s", body)
	}
	body = post(t, s.URL()+"/_sim/faults", `{"kind":"reject","code":250}`, http.StatusBadRequest)
	if !strings.Contains(body, "400 to 599") {
		t.Errorf("bad code answer: %s", body)
	}
	getJSON(t, s.URL()+"/_sim/mail?limt=3", http.StatusBadRequest, nil)
}

// TestSTARTTLSAndAuth: with TLS and a password, mail is taken only after
// STARTTLS and AUTH PLAIN.
func TestSTARTTLSAndAuth(t *testing.T) {
	s := start(t, smtp.Config{TLS: true, Username: "u", Password: "p"})
	if err := send(s.Addr(), "x@a.example", "no auth"); err == nil {
		t.Fatal("mail without AUTH was accepted")
	}
	dial := func() *netsmtp.Client {
		c, err := netsmtp.Dial(s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := dial().Auth(netsmtp.PlainAuth("", "u", "wrong", "127.0.0.1")); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	c := dial()
	if err := c.Auth(netsmtp.PlainAuth("", "u", "p", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@facility.example.edu"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("x@a.example"); err != nil {
		t.Fatal(err)
	}
	wc, _ := c.Data()
	io.WriteString(wc, "Subject: over tls\r\n\r\nhi\r\n")
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Wait(ctxT(t), smtp.Filter{SubjectContains: "over tls"}, 1); err != nil {
		t.Fatalf("%d caught: %v", n, err)
	}
}

// TestSizeCapAndJournalBound: a message over the cap is refused with 552;
// the journal keeps the newest messages within its count and bytes.
func TestSizeCapAndJournalBound(t *testing.T) {
	s := start(t, smtp.Config{MaxMessageBytes: 4096, JournalMax: 5, JournalMaxBytes: 1 << 20})
	big := strings.Repeat(strings.Repeat("x", 70)+"\r\n", 100)
	err := netsmtp.SendMail(s.Addr(), nil, "a@b.example", []string{"c@d.example"}, []byte("Subject: big\r\n\r\n"+big+"\r\n"))
	if err == nil || !strings.Contains(err.Error(), "552") {
		t.Errorf("oversized message: %v; want 552", err)
	}
	for i := range 8 {
		if err := send(s.Addr(), "c@d.example", fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	got := s.Messages(0, 100, smtp.Filter{})
	if len(got) != 5 || got[0].Subject != "m3" || got[4].Subject != "m7" {
		var subj []string
		for _, m := range got {
			subj = append(subj, m.Subject)
		}
		t.Errorf("journal holds %q; want m3..m7", subj)
	}
	if st := s.JournalStats(); st.Evicted != 3 {
		t.Errorf("stats %+v; want 3 evicted", st)
	}
}

// BenchmarkCatcher10kAlertEmails: 10,000 alert-sized emails (about 2.5 KB,
// multipart, like the engine's) through the catcher over 4 connections,
// with a journal of 16 MiB: the heap after the run stays within the
// journal's bound. Target: ≤ 10 s for 10,000.
func BenchmarkCatcher10kAlertEmails(b *testing.B) {
	const journalBytes = 16 << 20
	s := start(b, smtp.Config{JournalMaxBytes: journalBytes})
	body := "Content-Type: multipart/alternative; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		strings.Repeat("request REQ-1 denied: Invalid Stop Code: no circulation stop\r\n", 18) +
		"--B\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>" + strings.Repeat("denied ", 60) + "</p>\r\n--B--\r\n"
	const n, conns = 10_000, 4
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		errs := make(chan error, conns)
		for c := range conns {
			go func() {
				cl, err := netsmtp.Dial(s.Addr())
				if err != nil {
					errs <- err
					return
				}
				defer cl.Close()
				for i := c; i < n; i += conns {
					msg := fmt.Sprintf("From: annex@facility.example.edu\r\nTo: staff@library.example.edu\r\nSubject: [annex] denied: REQ-%d 39015000000001 Invalid Stop Code\r\nMessage-ID: <annex-alert-%d@facility.example.edu>\r\n%s", i, i, body)
					if err := cl.Mail("annex@facility.example.edu"); err != nil {
						errs <- err
						return
					}
					if err := cl.Rcpt("staff@library.example.edu"); err != nil {
						errs <- err
						return
					}
					w, err := cl.Data()
					if err != nil {
						errs <- err
						return
					}
					io.WriteString(w, msg)
					if err := w.Close(); err != nil {
						errs <- err
						return
					}
				}
				errs <- cl.Quit()
			}()
		}
		for range conns {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := s.JournalStats()
	b.ReportMetric(float64(st.Messages), "journal-msgs")
	b.ReportMetric(float64(st.Bytes)/(1<<20), "journal-MiB")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
	if st.Bytes > journalBytes {
		b.Errorf("journal holds %d bytes, over its %d bound", st.Bytes, journalBytes)
	}
	// The journal's bytes plus per-message bookkeeping and the runtime's own: well under twice the bound.
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 2*journalBytes {
		b.Errorf("heap grew by %d MiB for a %d MiB journal", grew>>20, journalBytes>>20)
	}
}

// TestIgnoreDuplicateIDs: with ignore_duplicate_ids, a message sent again
// under a Message-ID the journal holds is taken (250) but not kept twice.
func TestIgnoreDuplicateIDs(t *testing.T) {
	s := start(t, smtp.Config{IgnoreDuplicateIDs: true})
	msg := func(id, subject string) []byte {
		return []byte("Message-ID: <" + id + "@facility.example.edu>\r\nSubject: " + subject + "\r\n\r\nhi\r\n")
	}
	for _, m := range [][]byte{msg("a", "first"), msg("a", "again"), msg("b", "other")} {
		if err := netsmtp.SendMail(s.Addr(), nil, "x@facility.example.edu", []string{"y@library.example.edu"}, m); err != nil {
			t.Fatal(err)
		}
	}
	got := s.Messages(0, 10, smtp.Filter{})
	if len(got) != 2 || got[0].Subject != "first" || got[1].Subject != "other" {
		t.Errorf("kept %d messages; want first and other", len(got))
	}
	if st := s.JournalStats(); st.Duplicates != 1 {
		t.Errorf("stats %+v; want 1 duplicate", st)
	}
}

// TestCloseRightAfterStart: Close returns even when it comes before the
// SMTP server's Serve has begun (`annex up` hung now and then on a start-up
// error, closing the catcher it had just started).
func TestCloseRightAfterStart(t *testing.T) {
	for range 300 {
		s, err := smtp.Start(smtp.Config{})
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close right after Start did not return")
		}
	}
}
