package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const corpus = "../../ncip/testdata/conformance"

// annex runs the CLI in-process and returns its exit code and output.
func annex(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheck(t *testing.T) {
	code, out, errs := annex(t, "", "check", filepath.Join(corpus, "v2/circill/CheckOutItem.xml"))
	if code != exitOK || out != "" {
		t.Errorf("conformant message: exit %d, out %q, err %q", code, out, errs)
	}

	file := filepath.Join(corpus, "v2/folio/ncip-checkin.xml")
	code, out, _ = annex(t, "", "check", file)
	if code != exitFailed {
		t.Errorf("namespace-less check-in: exit %d, want 1", code)
	}
	if !strings.Contains(out, file+":2: v2.namespace: ") || !strings.Contains(out, "http://www.niso.org/2008/ncip") {
		t.Errorf("the namespace problem and its line are not named:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if parts := strings.SplitN(line, ":", 4); len(parts) < 4 || parts[0] != file {
			t.Errorf("finding not in FILE:LINE: rule: message form: %q", line)
		} else if _, err := strconv.Atoi(parts[1]); err != nil {
			t.Errorf("finding has no line number: %q", line)
		}
	}

	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.xml")
	os.WriteFile(junk, []byte("<NCIPMessage>\n<CheckInItem>\n</NCIPMessage>"), 0o644)
	code, _, errs = annex(t, "", "check", junk)
	if code != exitTrouble || !strings.Contains(errs, junk+":3: ") {
		t.Errorf("malformed file: exit %d, stderr %q", code, errs)
	}
	missing := filepath.Join(dir, "missing.xml")
	code, _, errs = annex(t, "", "check", missing)
	if code != exitTrouble || !strings.Contains(errs, missing) || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
	// Several files: the worst verdict wins, and every file is still checked.
	code, out, _ = annex(t, "", "check", filepath.Join(corpus, "v2/circill/CheckInItem.xml"), file)
	if code != exitFailed || !strings.Contains(out, file) {
		t.Errorf("two files: exit %d\n%s", code, out)
	}
	code, _, _ = annex(t, string(mustRead(t, filepath.Join(corpus, "v2/circill/CheckInItem.xml"))), "check", "-")
	if code != exitOK {
		t.Errorf("stdin: exit %d", code)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reserialise writes the circill CheckOutItem with a default namespace, on one line.
func reserialise(t *testing.T) []byte {
	t.Helper()
	s := string(mustRead(t, filepath.Join(corpus, "v2/circill/CheckOutItem.xml")))
	s = strings.Replace(s, `xmlns:ns1="http://www.niso.org/2008/ncip"`, `xmlns="http://www.niso.org/2008/ncip" xmlns:ns1="http://www.niso.org/2008/ncip"`, 1)
	s = strings.NewReplacer("<ns1:", "<", "</ns1:", "</").Replace(s)
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(strings.TrimSpace(line) + " ")
	}
	return []byte(strings.ReplaceAll(b.String(), "> <", "><"))
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	expected := filepath.Join(corpus, "v2/circill/CheckOutItem.xml")
	actual := filepath.Join(dir, "default-ns.xml")
	os.WriteFile(actual, reserialise(t), 0o644)
	if code, out, errs := annex(t, "", "diff", expected, actual); code != exitOK {
		t.Fatalf("prefix vs default namespace: exit %d\n%s%s", code, out, errs)
	}

	changed := filepath.Join(dir, "changed.xml")
	os.WriteFile(changed, bytes.Replace(reserialise(t), []byte("19823098123"), []byte("19823098124"), 1), 0o644)
	code, out, _ := annex(t, "", "diff", expected, changed)
	if code != exitFailed {
		t.Fatalf("changed barcode: exit %d", code)
	}
	var minus, plus []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
		case strings.HasPrefix(l, "-"):
			minus = append(minus, l)
		case strings.HasPrefix(l, "+"):
			plus = append(plus, l)
		}
	}
	if len(minus) != 1 || len(plus) != 1 || !strings.Contains(minus[0], "19823098123") || !strings.Contains(plus[0], "19823098124") {
		t.Errorf("want one -/+ pair with the barcodes, got:\n%s", out)
	}

	code, _, errs := annex(t, "", "diff", expected, filepath.Join(dir, "nope.xml"))
	if code != exitTrouble || !strings.Contains(errs, "nope.xml") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := annex(t, "", "version"); code != exitOK || !strings.HasPrefix(out, "annex ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := annex(t, "", "frobnicate"); code != exitTrouble || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, _, _ := annex(t, ""); code != exitTrouble {
		t.Errorf("no command: %d", code)
	}
}

const checkOutResponse = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd"><ns1:CheckOutItemResponse><ns1:ItemId><ns1:ItemIdentifierValue>19823098123</ns1:ItemIdentifierValue></ns1:ItemId><ns1:UserId><ns1:UserIdentifierValue>10923123</ns1:UserIdentifierValue></ns1:UserId><ns1:DateDue>2022-06-20T00:00:00.000Z</ns1:DateDue></ns1:CheckOutItemResponse></ns1:NCIPMessage>`

const problemResponse = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd"><ns1:CheckOutItemResponse><ns1:Problem><ns1:ProblemType>Unknown Item</ns1:ProblemType><ns1:ProblemDetail>Unknown Item</ns1:ProblemDetail><ns1:ProblemElement>//CheckOutItem/ItemId</ns1:ProblemElement><ns1:ProblemValue>19823098123</ns1:ProblemValue></ns1:Problem></ns1:CheckOutItemResponse></ns1:NCIPMessage>`

func TestSendHTTP(t *testing.T) {
	msgFile := filepath.Join(corpus, "v2/circill/CheckOutItem.xml")
	sent := mustRead(t, msgFile)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !bytes.Equal(body, sent) || r.Method != http.MethodPost {
			http.Error(w, "the message was not posted as is", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("Content-Type") != "application/xml" || r.Header.Get("X-Trace") != "42" {
				http.Error(w, "headers not applied: "+r.Header.Get("Content-Type"), http.StatusBadRequest)
				return
			}
			io.WriteString(w, checkOutResponse)
		case "/problem":
			io.WriteString(w, problemResponse) // ALMA: HTTP 200 for Problems too
		case "/500":
			http.Error(w, "<html>Internal Server Error</html>", http.StatusInternalServerError)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "/html":
			io.WriteString(w, "<html><body>Service Unavailable</body></html>")
		case "/text":
			io.WriteString(w, "OK")
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	cases := []struct {
		path     string
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{"/ok", []string{"--header", "Content-Type: application/xml", "--header", "X-Trace: 42"}, exitOK, "CheckOutItemResponse", "NCIP 2 CheckOutItemResponse"},
		{"/problem", nil, exitFailed, "Unknown Item", `Unknown Item (//CheckOutItem/ItemId = "19823098123")`},
		{"/500", nil, exitTrouble, "Internal Server Error", "HTTP 500"},
		{"/hang", []string{"--timeout", "200ms"}, exitTrouble, "", "no reply within 200ms"},
		{"/html", nil, exitTrouble, "Service Unavailable", "not an NCIP reply"},
		{"/text", nil, exitTrouble, "OK", "not an NCIP reply"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			args := append([]string{"send"}, tc.args...)
			args = append(args, srv.URL+tc.path, msgFile)
			code, out, errs := annex(t, "", args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderrIn) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, out, tc.stdout, errs, tc.stderrIn)
			}
		})
	}

	// Transport failures: nobody listening, a file that is not there.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/"
	l.Close()
	if code, _, errs := annex(t, "", "send", dead, msgFile); code != exitTrouble || !strings.Contains(errs, "refused") {
		t.Errorf("closed port: exit %d %q", code, errs)
	}
	if code, _, errs := annex(t, "", "send", srv.URL+"/ok", "no-such.xml"); code != exitTrouble || !strings.Contains(errs, "no-such.xml") {
		t.Errorf("missing file: exit %d %q", code, errs)
	}
}

// An ALEPH-style raw NCIP port: one message per connection, reply, close.
func TestSendRawTCP(t *testing.T) {
	v1Reply := string(mustRead(t, filepath.Join(corpus, "v1/lib-ncip-client/ncipOneCheckinItemXmlErrorResponseExample.xml")))
	v1OK := string(mustRead(t, filepath.Join(corpus, "v1/lib-ncip-client/ncipOneCheckinItemXmlResponseExample.xml")))
	msgFile := filepath.Join(t.TempDir(), "checkin.xml")
	msg := `<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><CheckInItem/></NCIPMessage>`
	os.WriteFile(msgFile, []byte(msg), 0o644)

	serve := func(t *testing.T, handle func(conn net.Conn)) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			handle(conn)
		}()
		t.Cleanup(func() { l.Close(); <-done })
		return l.Addr().String()
	}

	t.Run("HTTP/1.0 framing", func(t *testing.T) {
		got := make(chan string, 1)
		addr := serve(t, func(conn net.Conn) {
			req, err := http.ReadRequest(bufio.NewReader(conn))
			if err != nil {
				got <- err.Error()
				return
			}
			body, _ := io.ReadAll(req.Body)
			got <- req.Proto + " " + string(body)
			io.WriteString(conn, "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n"+v1Reply)
		})
		code, out, errs := annex(t, "", "send", "--raw-tcp", addr, msgFile)
		if code != exitFailed || !strings.Contains(out, "Item Not Checked Out") || !strings.Contains(errs, "NCIP 1 CheckInItemResponse") {
			t.Errorf("exit %d\n%s\n%s", code, out, errs)
		}
		if g := <-got; g != "HTTP/1.0 "+msg {
			t.Errorf("server received %q", g)
		}
	})
	t.Run("bare", func(t *testing.T) {
		got := make(chan string, 1)
		addr := serve(t, func(conn net.Conn) {
			body, _ := io.ReadAll(conn) // the client half-closes after the message
			got <- string(body)
			io.WriteString(conn, v1OK)
		})
		code, out, errs := annex(t, "", "send", "--raw-tcp", "--bare", "tcp://"+addr, msgFile)
		if code != exitOK || !strings.Contains(out, "CheckInItemResponse") {
			t.Errorf("exit %d\n%s\n%s", code, out, errs)
		}
		if g := <-got; g != msg {
			t.Errorf("server received %q", g)
		}
	})
	readRequest := func(conn net.Conn) {
		if req, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
			io.Copy(io.Discard, req.Body)
		}
	}
	// The peer reads the whole request before closing: closing with unread
	// data makes the kernel send a reset instead of an end of stream, which is
	// the next case, not this one.
	t.Run("peer closes without answering", func(t *testing.T) {
		addr := serve(t, readRequest)
		if code, _, errs := annex(t, "", "send", "--raw-tcp", addr, msgFile); code != exitTrouble || !strings.Contains(errs, "not an NCIP reply") {
			t.Errorf("exit %d %q", code, errs)
		}
	})
	t.Run("peer resets the connection", func(t *testing.T) {
		addr := serve(t, func(conn net.Conn) {
			readRequest(conn)
			conn.(*net.TCPConn).SetLinger(0) // close with RST
		})
		if code, _, errs := annex(t, "", "send", "--raw-tcp", addr, msgFile); code != exitTrouble || !strings.Contains(errs, "connection reset") || !strings.Contains(errs, addr) {
			t.Errorf("exit %d %q", code, errs)
		}
	})
}
