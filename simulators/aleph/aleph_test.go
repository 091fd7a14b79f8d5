package aleph

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/journal"
)

// checkLoan asserts a CheckOutItem success reply and the loan it made.
func checkLoan(t *testing.T, s *Server, reply []byte, barcode, wantTo string) {
	t.Helper()
	m := decodeReply(t, reply)
	r, ok := m.Body.(*ncip.CheckOutItemResponse)
	if !ok || len(r.Problems) > 0 {
		t.Fatalf("want a CheckOutItemResponse without Problems:\n%s", reply)
	}
	if r.ItemId.ItemIdentifierValue != barcode || r.UserId.UserIdentifierValue != "CAIAUSER" || r.DateDue != testDue {
		t.Fatalf("reply item %q user %q due %q:\n%s", r.ItemId.ItemIdentifierValue, r.UserId.UserIdentifierValue, r.DateDue, reply)
	}
	if r.ResponseHeader.FromAgencyId.Value != "CLIENTAGENCY" || r.ResponseHeader.ToAgencyId.Value != wantTo {
		t.Fatalf("response header %+v", r.ResponseHeader)
	}
	it := itemOf(getState(t, s), barcode)
	if it.Status != StatusOnLoan || it.Loan == nil || it.Loan.User != "CAIAUSER" || it.Loan.Due != testDue {
		t.Fatalf("state after check-out: %+v", it)
	}
}

func TestTransports(t *testing.T) {
	msg := checkOutXML(t, "000000001", msgOpts{})
	enc := url.QueryEscape(string(msg))
	cases := []struct {
		name string
		send func(t *testing.T, s *Server) []byte
	}{
		{"POST raw XML as form content type", func(t *testing.T, s *Server) []byte {
			_, b := post(t, s, "application/x-www-form-urlencoded", msg)
			return b
		}},
		{"POST url-encoded as text/html", func(t *testing.T, s *Server) []byte {
			_, b := post(t, s, "text/html", []byte(enc))
			return b
		}},
		{"POST form field xml=", func(t *testing.T, s *Server) []byte {
			_, b := post(t, s, "application/x-www-form-urlencoded", []byte("xml="+enc))
			return b
		}},
		{"GET ?query", func(t *testing.T, s *Server) []byte {
			resp, err := http.Get(s.URL() + "/ncip?" + enc)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return b
		}},
		{"raw TCP HTTP/1.0", func(t *testing.T, s *Server) []byte {
			b, err := rawSend(t, s.PortAddrs()[0], httpFramed("/", "application/x-www-form-urlencoded", len(msg), msg))
			if err != nil {
				t.Fatal(err)
			}
			head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
			if !ok || !bytes.HasPrefix(head, []byte("HTTP/1.0 200 OK")) {
				t.Fatalf("not an HTTP/1.0 reply: %q", b)
			}
			return body
		}},
		{"raw TCP HTTP/1.0 GET ?query", func(t *testing.T, s *Server) []byte {
			b, err := rawSend(t, s.PortAddrs()[0], []byte("GET /ncip?"+enc+" HTTP/1.0\r\n\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, body, _ := bytes.Cut(b, []byte("\r\n\r\n"))
			return body
		}},
		{"raw TCP bare XML", func(t *testing.T, s *Server) []byte {
			b, err := rawSend(t, s.PortAddrs()[0], msg)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"raw TCP HTTP/1.0 url-encoded text/html", func(t *testing.T, s *Server) []byte {
			b, err := rawSend(t, s.PortAddrs()[0], httpFramed("/", "text/html", len(enc), []byte(enc)))
			if err != nil {
				t.Fatal(err)
			}
			_, body, _ := bytes.Cut(b, []byte("\r\n\r\n"))
			return body
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, nil)
			checkLoan(t, s, c.send(t, s), "000000001", "CAIAAGENCY")
			e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == "CheckOutItem" })
			if e.Version != "NCIP 1" || len(e.Problems) != 0 {
				t.Fatalf("journal: %+v", e)
			}
		})
	}
}

// TestRawCharacterCountedContentLength is the odd client of DESIGN §1.2: an
// HTTP/1.0 POST over the raw socket whose Content-Length counts characters,
// with non-ASCII text, no XML declaration and empty <Scheme/> elements.
func TestRawCharacterCountedContentLength(t *testing.T) {
	s := start(t, func(c *Config) { c.Ports[0].FromAgencies = append(c.Ports[0].FromAgencies, "LAGER-ZÜRICH") })
	body := []byte(`<!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN" "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">
<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><CheckOutItem><InitiationHeader>
<FromAgencyId><UniqueAgencyId><Scheme/><Value>LAGER-ZÜRICH</Value></UniqueAgencyId></FromAgencyId>
<ToAgencyId><UniqueAgencyId><Scheme></Scheme><Value>CLIENTAGENCY</Value></UniqueAgencyId></ToAgencyId></InitiationHeader>
<UniqueUserId><UniqueAgencyId><Scheme/><Value>CLIENTAGENCY</Value></UniqueAgencyId><UserIdentifierValue>CAIAUSER</UserIdentifierValue></UniqueUserId>
<UniqueItemId><UniqueAgencyId><Scheme/><Value>CLIENTAGENCY</Value></UniqueAgencyId><ItemIdentifierValue>000000002</ItemIdentifierValue></UniqueItemId>
<UniqueRequestId><UniqueAgencyId><Scheme/><Value>CLIENTAGENCY</Value></UniqueAgencyId><RequestIdentifierValue>Müller-ü-1</RequestIdentifierValue></UniqueRequestId>
</CheckOutItem></NCIPMessage>`)
	chars := utf8.RuneCount(body)
	if chars == len(body) {
		t.Fatal("the test body must be non-ASCII")
	}
	b, err := rawSend(t, s.PortAddrs()[0], httpFramed("/", "application/x-www-form-urlencoded", chars, body))
	if err != nil {
		t.Fatal(err)
	}
	_, reply, _ := bytes.Cut(b, []byte("\r\n\r\n"))
	checkLoan(t, s, reply, "000000002", "LAGER-ZÜRICH")
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == "CheckOutItem" })
	rules := map[string]bool{}
	for _, f := range e.Findings {
		rules[f.Rule] = true
	}
	for _, want := range []string{"aleph.content-length", "aleph.no-declaration", "aleph.empty-scheme"} {
		if !rules[want] {
			t.Errorf("journal findings lack %s: %v", want, e.Findings)
		}
	}

	// A Content-Length larger than the bytes sent: the reader stops at </NCIPMessage>.
	s2 := start(t, nil)
	msg := checkOutXML(t, "000000003", msgOpts{})
	b, err = rawSend(t, s2.PortAddrs()[0], httpFramed("/", "text/xml", len(msg)+40, msg))
	if err != nil {
		t.Fatal(err)
	}
	_, reply, _ = bytes.Cut(b, []byte("\r\n\r\n"))
	checkLoan(t, s2, reply, "000000003", "CAIAAGENCY")
}

func TestUnknownClientRefused(t *testing.T) {
	s := start(t, func(c *Config) { c.Ports[0].AllowedClients = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	msg := checkOutXML(t, "000000001", msgOpts{})
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", s.PortAddrs()[0])
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write(msg) // may fail if the server already closed; the read decides
	got, err := io.ReadAll(conn)
	conn.Close()
	if len(got) != 0 {
		t.Fatalf("refused client got an answer: %q", got)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was not closed: %v", err)
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return strings.HasPrefix(e.Error, "refused") })
	if !strings.Contains(e.Error, "127.0.0.2") || len(e.Response) != 0 {
		t.Fatalf("journal: %+v", e)
	}
	if itemOf(getState(t, s), "000000001").Status != StatusOnShelf {
		t.Fatal("a refused message changed the state")
	}
	reply, err := rawSend(t, s.PortAddrs()[0], msg)
	if err != nil {
		t.Fatal(err)
	}
	checkLoan(t, s, reply, "000000001", "CAIAAGENCY")
}

const problemState = `
sub_libraries: [MAIN, ANNEX]
items:
  - {barcode: "000000001", sub_library: ANNEX, status: on_shelf}
  - {barcode: "000000002", sub_library: ANNEX, status: not_circulating}
  - {barcode: "000000003", sub_library: ANNEX, status: on_loan, loan: {user: SOMEONE, due: "2025-01-20T00:00:00Z"}}
patrons:
  - {id: CAIAUSER, name: Annex stop user}
`

func TestStateChangesAndProblems(t *testing.T) {
	s := start(t, func(c *Config) {
		c.Ports = append(c.Ports, PortConfig{AllowedClients: c.Ports[0].AllowedClients, Agency: "OTHERLIB",
			FromAgencies: []string{"CAIAAGENCY"}, Users: map[string][]string{"BRANCH": {"BRANCHUSER"}}})
	})
	putState(t, s, problemState)

	// Check-out with DesiredDateDue, then check-in into the receiving sublibrary.
	_, reply := post(t, s, "text/xml", checkOutXML(t, "000000001", msgOpts{due: "2025-03-01T10:00:00Z"}))
	r := decodeReply(t, reply).Body.(*ncip.CheckOutItemResponse)
	if r.DateDue != "2025-03-01T10:00:00Z" {
		t.Fatalf("DesiredDateDue not honoured: %s", reply)
	}
	it := itemOf(getState(t, s), "000000001")
	if it.Status != StatusOnLoan || it.Loan.Due != "2025-03-01T10:00:00Z" {
		t.Fatalf("after check-out: %+v", it)
	}
	_, reply = post(t, s, "text/xml", checkInXML(t, "000000001", msgOpts{}))
	ci := decodeReply(t, reply).Body.(*ncip.CheckInItemResponse)
	if len(ci.Problems) > 0 || ci.ItemId.ItemIdentifierValue != "000000001" {
		t.Fatalf("check-in: %s", reply)
	}
	it = itemOf(getState(t, s), "000000001")
	if it.Status != StatusOnShelf || it.Loan != nil || it.SubLibrary != "MAIN" {
		t.Fatalf("after check-in (want on_shelf in MAIN, no transit): %+v", it)
	}

	cases := []struct {
		name             string
		msg              []byte
		scheme, value    string
		messaging        bool
		element, problem string
		miss             string
	}{
		{"unknown item", checkOutXML(t, "999", msgOpts{}), SchemeCheckOutError, "Unknown Item", false,
			"UniqueItemId/ItemIdentifierValue", "999", "not in the state"},
		{"unknown user", checkOutXML(t, "000000001", msgOpts{user: "NOBODY"}), SchemeCheckOutError, "Unknown User", false,
			"UniqueUserId/UserIdentifierValue", "NOBODY", "not a circulation-stop user"},
		{"user of another port", checkOutXML(t, "000000001", msgOpts{user: "BRANCHUSER"}), SchemeCheckOutError, "Unknown User", false,
			"UniqueUserId/UserIdentifierValue", "BRANCHUSER", "on port 1 (agency OTHERLIB)"},
		{"item does not circulate", checkOutXML(t, "000000002", msgOpts{}), SchemeCheckOutError, "Item Does Not Circulate", false,
			"UniqueItemId/ItemIdentifierValue", "000000002", "not_circulating"},
		{"item not checked out", checkInXML(t, "000000001", msgOpts{}), SchemeCheckInError, "Item Not Checked Out", false,
			"UniqueItemId/ItemIdentifierValue", "Item not on loan.", "on_shelf"},
		{"check-in unknown item", checkInXML(t, "999", msgOpts{}), SchemeCheckInError, "Unknown Item", false,
			"UniqueItemId/ItemIdentifierValue", "999", ""},
		{"unknown FROM agency", checkOutXML(t, "000000001", msgOpts{from: "caiaagency"}), SchemeGeneralError, "Unknown Agency", false,
			"FromAgencyId/UniqueAgencyId/Value", "caiaagency", "only in case"},
		{"unknown TO agency", checkInXML(t, "000000003", msgOpts{to: "OTHERLIB"}), SchemeGeneralError, "Unknown Agency", false,
			"ToAgencyId/UniqueAgencyId/Value", "OTHERLIB", "served by port 1"},
		{"wrong profile case", checkInXML(t, "000000003", msgOpts{profile: "caiaprofile"}), SchemeGeneralError, "Agency Authentication Failed", false,
			"ApplicationProfileType/Value", "caiaprofile", "only in case"},
		{"unsupported service", []byte(`<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><LookupUser><InitiationHeader/></LookupUser></NCIPMessage>`),
			SchemeGeneralError, "Unsupported Service", false, "LookupUser", "", ""},
		{"NCIP 2 message", mustRead(t, "../../ncip/testdata/golden/v2-checkout.default.xml"), SchemeMessagingErr, "Unknown Element", true,
			"NCIPMessage", "http://www.niso.org/2008/ncip", "ALEPH speaks NCIP 1 only"},
		{"malformed XML", []byte(`<NCIPMessage><CheckOutItem></NCIPMessage>`), SchemeMessagingErr, "Invalid Message Syntax Error", true,
			"NCIPMessage", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := getState(t, s)
			_, reply := post(t, s, "text/xml", c.msg)
			p := problemOf(t, reply)
			if p.ProblemType.Scheme != c.scheme || p.ProblemType.Value != c.value || p.V1Messaging != c.messaging {
				t.Fatalf("problem %+v:\n%s", p, reply)
			}
			if p.ProblemElement != c.element || (c.problem != "" && p.ProblemValue != c.problem) {
				t.Fatalf("problem element %q value %q:\n%s", p.ProblemElement, p.ProblemValue, reply)
			}
			if after := getState(t, s); !equalJSON(before, after) {
				t.Fatalf("a Problem changed the state: %+v → %+v", before, after)
			}
			e := s.Journal().All()
			last := e[len(e)-1]
			if !strings.Contains(last.ClosestMiss, c.miss) {
				t.Fatalf("closest miss %q, want it to mention %q", last.ClosestMiss, c.miss)
			}
			// The text is the structured miss's (issue 14 point 5).
			if c.miss != "" && (last.Miss == nil || last.Miss.Exchange != last.ID || !strings.HasPrefix(last.ClosestMiss, last.Miss.String())) {
				t.Fatalf("structured miss %+v, text %q", last.Miss, last.ClosestMiss)
			}
			if len(last.Problems) != 1 || last.Problems[0] != c.value {
				t.Fatalf("journal problems %v", last.Problems)
			}
		})
	}

	t.Run("blocked user", func(t *testing.T) {
		s2 := start(t, func(c *Config) { c.Ports[0].Users["MAIN-CIRC"] = []string{"CAIAUSER", "BLOCKED"} })
		putState(t, s2, problemState+"  - {id: BLOCKED, name: Blocked stop, blocked: true}\n")
		_, reply := post(t, s2, "text/xml", checkOutXML(t, "000000001", msgOpts{user: "BLOCKED"}))
		if p := problemOf(t, reply); p.ProblemType.Value != "User Blocked" || p.ProblemType.Scheme != SchemeCheckOutError {
			t.Fatalf("%s", reply)
		}
	})

	t.Run("problem shape is DESIGN §1.2's", func(t *testing.T) {
		_, reply := post(t, s, "text/xml", checkInXML(t, "000000001", msgOpts{}))
		golden := mustRead(t, "../../ncip/testdata/golden/v1-checkin-problem.default.xml")
		if got, want := between(reply, "<Problem>", "</Problem>"), between(golden, "<Problem>", "</Problem>"); got == "" || got != want {
			t.Fatalf("problem\n got %s\nwant %s", got, want)
		}
		mustContain(t, reply, `<ResponseHeader><FromAgencyId><UniqueAgencyId><Scheme>`+SchemeAgency+`</Scheme><Value>CLIENTAGENCY</Value>`)
	})
}

func between(b []byte, open, close string) string {
	i := bytes.Index(b, []byte(open))
	j := bytes.LastIndex(b, []byte(close))
	if i < 0 || j < i {
		return ""
	}
	return string(b[i : j+len(close)])
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalJSON(a, b State) bool {
	return strings.TrimSpace(jsonString(a)) == strings.TrimSpace(jsonString(b))
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `listen: 127.0.0.1:0
loan_period: 72h
ports:
  - listen: 127.0.0.1:0
    allowed_clients: [127.0.0.0/8]
    agency: CLIENTAGENCY
    from_agencies: [CAIAAGENCY]
    application_profile_type: CAIAPROFILE
    users: {MAIN-CIRC: [CAIAUSER]}
state:
  items: [{barcode: "1", sub_library: MAIN}]
poster: {url: "http://127.0.0.1:1/api/requestfile/v1", api_key: k}
`)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LoanPeriod != 72*time.Hour || cfg.Ports[0].AllowedClients[0] != netip.MustParsePrefix("127.0.0.0/8") {
		t.Fatalf("%+v", cfg)
	}
	for _, c := range []struct{ text, want string }{
		{"ports:\n  - agency: X\n    from_agency: [Y]\n", `bad.yaml:3:5: ports[0]: unknown field "from_agency"; the fields here are agency, allowed_clients,`},
		{"ports:\n  - agency: X\n    from_agencis: [Y]\n", `bad.yaml:3:5: ports[0]: unknown field "from_agencis" (did you mean "from_agencies"?)`},
		{"state:\n  items:\n    - {barcode: \"1\", status: lent}\n", `bad.yaml:3: state.items[0].status: status "lent"`},
		{"ports:\n  - agency: X\n    from_agencies: [Y]\n    allowed_clients: [10.0.0.1]\n", `bad.yaml:4:23: ports[0].allowed_clients[0]: "10.0.0.1" is not a network in CIDR form such as 10.0.0.1/32`},
	} {
		_, err := LoadConfig(write("bad.yaml", c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %q: error %v, want %q", c.text, err, c.want)
		}
	}
}

func TestLoadStateErrorsNameTheLine(t *testing.T) {
	s := start(t, nil)
	err := s.state.LoadState([]byte("items:\n  - barcode: \"1\"\n    status: on_loan\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "items[0].status") {
		t.Fatalf("error %v", err)
	}
	if err := s.state.LoadState([]byte("itemz: []\n")); err == nil || !strings.Contains(err.Error(), `line 1:1: unknown field "itemz" (did you mean "items"?)`) {
		t.Fatalf("unknown key: %v", err)
	}
}
