package alma

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/annexlab/annex/internal/xmllint"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/journal"
)

// rawState is GET /_sim/state's body, for byte comparisons.
func rawState(t *testing.T, s *Server) []byte {
	t.Helper()
	resp, err := http.Get(s.URL() + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sim/state: %d %v", resp.StatusCode, err)
	}
	return b
}

// checkValid validates a reply against the NCIP 2.02 schema.
func checkValid(t *testing.T, out []byte) {
	t.Helper()
	if _, err := xmllint.Path(); err != nil {
		t.Fatal(err) // make test installs it; a missing validator must not pass silently
	}
	res, err := xmllint.Validate(context.Background(), xsdPath, out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid {
		t.Fatalf("reply does not validate: %s\n%s", res.Summary(), out)
	}
}

// A Scan In of an item with no request leaves it on hand in the desk's
// library: in place, with no loan, and the reply still has its DateDue.
func TestCheckOutUnrequestedItemIsInPlaceWithoutLoan(t *testing.T) {
	s := start(t, func(c *Config) {
		// A stale loan is cleared too, as a Scan In returns a loaned item.
		c.State.Items[2].Loan = &Loan{User: "P000123", Due: "2022-06-01T00:00:00.000Z"}
	})
	h := hdr()
	h.OnBehalfOfAgency = &ncip.SchemeValue{Value: "CIRC"}
	co := checkOut(h, annexUser, barcode3)
	co.DesiredDateDue = "2022-07-01T00:00:00Z"
	m, out := send(t, s, co)
	checkValid(t, out)
	r := m.Body.(*ncip.CheckOutItemResponse)
	if len(r.Problems) > 0 || r.DateDue != "2022-07-01T00:00:00.000Z" || r.UserId == nil || r.UserId.UserIdentifierValue != annexUser {
		t.Fatalf("reply:\n%s", out)
	}
	it := itemOf(t, getState(t, s), barcode3)
	if it.Status != StatusInPlace || it.Loan != nil || it.Library != "MAIN" || it.TransitTo != nil {
		t.Errorf("item = %+v loan %+v", it, it.Loan)
	}
}

// A digitization request's item goes in transit to its pickup desk.
func TestCheckOutDigitizationGoesToPickupDesk(t *testing.T) {
	s := start(t, func(c *Config) {
		c.State.Requests = append(c.State.Requests, Request{ID: "REQ-D", Type: "PHYSICAL_TO_DIGITIZATION", Barcode: barcode3, PickupDesk: "DIGI"})
	})
	m, out := send(t, s, checkOut(hdr(), annexUser, barcode3))
	checkValid(t, out)
	if len(m.Problems()) > 0 {
		t.Fatalf("reply:\n%s", out)
	}
	st := getState(t, s)
	if it := itemOf(t, st, barcode3); it.Status != StatusInTransit || it.TransitTo == nil || *it.TransitTo != (LocationRef{"MAIN", "DIGI"}) || it.Loan != nil {
		t.Errorf("item = %+v", it)
	}
	if got := requestOf(t, st, "REQ-D").Step; got != StepTransitItem {
		t.Errorf("request step %s", got)
	}
}

// A second CheckOutItem for an item in transit is a second Scan In: the
// state stays byte-identical and the reply is the same success.
func TestCheckOutTwiceChangesNothing(t *testing.T) {
	s := start(t, nil)
	m1, out1 := send(t, s, checkOut(hdr(), annexUser, barcode1))
	if len(m1.Problems()) > 0 {
		t.Fatalf("first reply:\n%s", out1)
	}
	before := rawState(t, s)
	if it := itemOf(t, getState(t, s), barcode1); it.Status != StatusInTransit {
		t.Fatalf("after the first CheckOutItem the item is %s", it.Status)
	}
	m2, out2 := send(t, s, checkOut(hdr(), annexUser, barcode1))
	checkValid(t, out2)
	if len(m2.Problems()) > 0 || !bytes.Equal(out1, out2) {
		t.Errorf("second reply differs:\n%s\n%s", out1, out2)
	}
	if after := rawState(t, s); !bytes.Equal(before, after) {
		t.Errorf("a second CheckOutItem changed the state:\n%s\n%s", before, after)
	}
}

// The state with names, desks and the new request fields survives a GET and a PUT.
func TestStateRoundTripsWithNamesAndDesks(t *testing.T) {
	s := start(t, exportState)
	before := rawState(t, s)
	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/_sim/state", bytes.NewReader(before))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT /_sim/state: %d %s", resp.StatusCode, body)
	}
	if after := rawState(t, s); !bytes.Equal(before, after) {
		t.Errorf("state changed by a GET/PUT round trip:\n%s\n%s", before, after)
	}
}

func TestStateDesksAsStringsOrMappings(t *testing.T) {
	st, err := ParseState([]byte(`institution: X
libraries:
  - code: MAIN
    locations: [{code: ANNEX, remote_storage: true}]
    desks: [CIRC, {code: DIGI, name: Digitization Department}]
items: [{barcode: "1", library: MAIN, location: ANNEX}]
requests:
  - {id: R1, barcode: "1", pickup_desk: DIGI, type: PHYSICAL_TO_DIGITIZATION}
`))
	if err != nil {
		t.Fatal(err)
	}
	l := st.Libraries[0]
	if l.Name != "MAIN" || len(l.Desks) != 2 || l.Desks[0] != (Desk{"CIRC", "CIRC"}) || l.Desks[1] != (Desk{"DIGI", "Digitization Department"}) {
		t.Errorf("library = %+v", l)
	}
	if st.Requests[0].Type != "PHYSICAL_TO_DIGITIZATION" {
		t.Errorf("request = %+v", st.Requests[0])
	}
	st, err = ParseState([]byte("institution: X\nrequests: []\nlibraries: [{code: MAIN}]\nitems: [{barcode: \"1\", library: MAIN, location: A}]\n"))
	if err == nil {
		t.Fatal("an unknown location was accepted")
	}
	for _, bad := range []struct{ doc, want string }{
		{"institution: X\nlibraries:\n  - code: MAIN\n    desks: [{code: C, nmae: x}]\n", `line 4:23: libraries[0].desks[0]: unknown field "nmae" of a desk (did you mean "name"?)`},
		{"institution: X\nlibraries: [{code: MAIN, locations: [{code: A}]}]\nitems: [{barcode: \"1\", library: MAIN, location: A}]\nrequests:\n  - {id: R, barcode: \"1\", pickup_desk: NOPE}\n", "line 5:40: requests[0].pickup_desk: no library has desk \"NOPE\""},
		{"institution: X\nlibraries: [{code: MAIN, locations: [{code: A}]}]\nitems: [{barcode: \"1\", library: MAIN, location: A, mms_id: \"99\"}]\nrequests:\n  - {id: R, mms_id: \"99\", citation: Vol.96}\n", "line 5:37: requests[0].citation"},
	} {
		if _, err := ParseState([]byte(bad.doc)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("want %q, got %v", bad.want, err)
		}
	}
}

// zoeUser is a user id with non-ASCII text, so a charset mix-up matters.
const zoeUser = "ZOË-USER"

func withZoe(c *Config) { c.State.Users = append(c.State.Users, User{ID: zoeUser}) }

// zoeCheckOut is a CheckOutItem of barcode1 by zoeUser, UTF-8, with the
// given XML declaration in front.
func zoeCheckOut(t *testing.T, decl string) []byte {
	body := encode(t, checkOut(hdr(), zoeUser, barcode1))
	if i := bytes.Index(body, []byte("?>")); bytes.HasPrefix(body, []byte("<?xml")) && i > 0 {
		body = body[i+2:]
	}
	return append([]byte(decl), bytes.TrimLeft(body, "\n")...)
}

func postCT(t *testing.T, s *Server, contentType string, body []byte) []byte {
	t.Helper()
	resp, err := http.Post(s.NCIPURL(), contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	checkStyle(t, out)
	return out
}

func latin1(t *testing.T, b []byte) []byte {
	out, err := charmap.ISO8859_1.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// In strict mode a declared charset that disagrees with non-ASCII bytes is
// answered as ALMA does: a bare Problem "Service is not known", HTTP 200,
// no Scheme, and nothing changes.
func TestStrictCharsetMismatchIsServiceNotKnown(t *testing.T) {
	cases := []struct {
		name, contentType string
		body              func(t *testing.T) []byte
	}{
		{"declaration latin-1, bytes UTF-8", "text/xml", func(t *testing.T) []byte {
			return zoeCheckOut(t, `<?xml version="1.0" encoding="ISO-8859-1"?>`)
		}},
		{"declaration UTF-8, bytes latin-1", "text/xml", func(t *testing.T) []byte {
			return latin1(t, zoeCheckOut(t, `<?xml version="1.0" encoding="UTF-8"?>`))
		}},
		{"no declaration, header latin-1, bytes UTF-8", "text/xml; charset=ISO-8859-1", func(t *testing.T) []byte {
			return zoeCheckOut(t, "")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, func(c *Config) { withZoe(c); c.Strict = true })
			before := rawState(t, s)
			out := postCT(t, s, tc.contentType, tc.body(t))
			checkValid(t, out)
			m, _, err := ncip.Decode(out, ncip.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ps := m.Problems()
			if len(ps) != 1 || ps[0].ProblemType.Value != "Service is not known" || ps[0].ProblemDetail != "Service is not known" {
				t.Fatalf("reply:\n%s", out)
			}
			if !bytes.Equal(before, rawState(t, s)) {
				t.Error("a refused message changed the state")
			}
			e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Transport == "http" })
			if !strings.Contains(e.ClosestMiss, "disagrees with the bytes") {
				t.Errorf("closest miss %q", e.ClosestMiss)
			}
		})
	}
}

// Lenient mode serves the same message and the journal flags the charset;
// a correct declaration, or ASCII text, is never flagged.
func TestLenientCharsetMismatchIsServedAndFlagged(t *testing.T) {
	s := start(t, withZoe)
	out := postCT(t, s, "text/xml", zoeCheckOut(t, `<?xml version="1.0" encoding="ISO-8859-1"?>`))
	if m, _, err := ncip.Decode(out, ncip.ParseOptions{}); err != nil || len(m.Problems()) > 0 {
		t.Fatalf("reply %v:\n%s", err, out)
	}
	if it := itemOf(t, getState(t, s), barcode1); it.Status != StatusInTransit {
		t.Errorf("the request was not processed: %+v", it)
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Transport == "http" })
	if !strings.Contains(e.ClosestMiss, "disagrees with the bytes") {
		t.Errorf("closest miss %q", e.ClosestMiss)
	}
	flagged := false
	for _, f := range e.Findings {
		flagged = flagged || f.Rule == "alma.charset"
	}
	if !flagged {
		t.Errorf("findings %v", e.Findings)
	}

	// Strict, but agreeing: latin-1 declared and sent; ASCII under a wrong label.
	s2 := start(t, func(c *Config) { withZoe(c); c.Strict = true })
	for _, body := range [][]byte{
		latin1(t, zoeCheckOut(t, `<?xml version="1.0" encoding="ISO-8859-1"?>`)),
		encode(t, checkOut(hdr(), annexUser, barcode2)),
	} {
		out := postCT(t, s2, "text/xml; charset=ISO-8859-1", body)
		if m, _, err := ncip.Decode(out, ncip.ParseOptions{}); err != nil || len(m.Problems()) > 0 {
			t.Errorf("reply %v:\n%s", err, out)
		}
	}
}
