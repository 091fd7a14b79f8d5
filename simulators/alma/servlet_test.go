package alma

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/internal/xmllint"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/journal"
)

// Every third-party v2 message gets HTTP 200 and a reply that validates
// against the NCIP 2.02 schema, whatever the message is.
func TestConformanceCorpusGetsValidReplies(t *testing.T) {
	if _, err := xmllint.Path(); err != nil {
		t.Fatal(err) // make test installs it; a missing validator must not pass silently
	}
	s := start(t, nil)
	files, _ := filepath.Glob(filepath.Join(corpusV2, "*", "*.xml"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			status, out := post(t, nil, s.NCIPURL(), data)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			checkStyle(t, out)
			if _, _, err := ncip.Decode(out, ncip.ParseOptions{}); err != nil {
				t.Fatalf("reply does not decode: %v\n%s", err, out)
			}
			checkValid(t, out)
		})
	}
}

func TestCheckOutRequestedItemGoesInTransit(t *testing.T) {
	s := start(t, nil)
	h := hdr()
	h.OnBehalfOfAgency = &ncip.SchemeValue{Value: "MAIN.CIRC"}
	m, out := send(t, s, checkOut(h, annexUser, barcode1))
	checkEcho(t, out)
	r, ok := m.Body.(*ncip.CheckOutItemResponse)
	if !ok || len(r.Problems) > 0 {
		t.Fatalf("want a CheckOutItemResponse without Problems:\n%s", out)
	}
	if r.ItemId.ItemIdentifierValue != barcode1 || r.UserId.UserIdentifierValue != annexUser || r.DateDue != "2022-06-20T00:00:00.000Z" {
		t.Errorf("reply = %+v %+v %q", r.ItemId, r.UserId, r.DateDue)
	}
	st := getState(t, s)
	it := itemOf(t, st, barcode1)
	if it.Status != StatusInTransit || it.TransitTo == nil || *it.TransitTo != (LocationRef{"MAIN", "CIRC"}) {
		t.Errorf("item = %+v", it)
	}
	if got := requestOf(t, st, "REQ-1").Step; got != StepTransitItem {
		t.Errorf("request step = %s, want transit_item", got)
	}
}

func TestCheckOutPendingLocationChangeCreatesTransit(t *testing.T) {
	s := start(t, func(c *Config) {
		c.State.Items[2].PendingLocation = &LocationRef{"MAIN", "STACKS"}
	})
	m, out := send(t, s, checkOut(hdr(), annexUser, barcode3))
	if len(m.Problems()) > 0 {
		t.Fatalf("reply:\n%s", out)
	}
	it := itemOf(t, getState(t, s), barcode3)
	if it.Status != StatusInTransit || it.TransitTo == nil || *it.TransitTo != (LocationRef{"MAIN", "STACKS"}) || it.Loan != nil {
		t.Errorf("item = %+v", it)
	}
}

func TestCheckInPlacesItemInRemoteStorage(t *testing.T) {
	s := start(t, func(c *Config) {
		it := &c.State.Items[2]
		it.Location, it.Status = "STACKS", StatusOnLoan
		it.Loan = &Loan{User: "P000123", Due: "2022-06-01T00:00:00.000Z"}
		c.State.Requests = append(c.State.Requests,
			Request{ID: "MOVE-1", Type: RequestTypeMove, Barcode: barcode3, Step: StepPending},
			Request{ID: "HOLD-9", Type: "PATRON_PHYSICAL", Barcode: barcode3, Step: StepTransitItem})
	})
	h := hdr()
	h.OnBehalfOfAgency = &ncip.SchemeValue{Value: "CIRC"}
	m, out := send(t, s, checkIn(h, barcode3))
	checkEcho(t, out)
	r := m.Body.(*ncip.CheckInItemResponse)
	if len(r.Problems) > 0 || r.ItemId.ItemIdentifierValue != barcode3 {
		t.Fatalf("reply:\n%s", out)
	}
	st := getState(t, s)
	it := itemOf(t, st, barcode3)
	if it.Location != "ANNEX" || it.Status != StatusInPlace || it.Loan != nil {
		t.Errorf("item = %+v", it)
	}
	for _, r := range st.Requests {
		if r.ID == "MOVE-1" {
			t.Error("move request not deleted")
		}
	}
	if requestOf(t, st, "HOLD-9").Step != StepTransitItem {
		t.Error("the hold in transit changed")
	}
}

func TestCancelRequestItemMarksMissing(t *testing.T) {
	for _, byRequest := range []bool{true, false} {
		t.Run(map[bool]string{true: "by RequestId", false: "by ItemId"}[byRequest], func(t *testing.T) {
			s := start(t, nil)
			c := &ncip.CancelRequestItem{InitiationHeader: hdr(), UserId: &ncip.UserId{UserIdentifierValue: annexUser}, RequestType: ncip.SV("Hold")}
			if byRequest {
				c.RequestId = &ncip.RequestId{RequestIdentifierValue: "REQ-2"}
			} else {
				c.ItemId = &ncip.ItemId{ItemIdentifierValue: barcode2}
			}
			m, out := send(t, s, c)
			checkEcho(t, out)
			r := m.Body.(*ncip.CancelRequestItemResponse)
			if len(r.Problems) > 0 || r.RequestId.RequestIdentifierValue != "REQ-2" || r.ItemId.ItemIdentifierValue != barcode2 || r.UserId.UserIdentifierValue != annexUser {
				t.Fatalf("reply:\n%s", out)
			}
			st := getState(t, s)
			if it := itemOf(t, st, barcode2); it.Status != StatusMissing {
				t.Errorf("item status %s", it.Status)
			}
			if r := requestOf(t, st, "REQ-2"); r.Step != StepCancelled {
				t.Errorf("request step %s", r.Step)
			}
		})
	}
}

func TestLookupItem(t *testing.T) {
	s := start(t, nil)
	_, out := send(t, s, &ncip.LookupItem{InitiationHeader: hdr(), ItemId: &ncip.ItemId{ItemIdentifierValue: barcode1}})
	if !bytes.Contains(out, []byte("<ns1:ItemOptionalFields><ns1:CirculationStatus>Available On Shelf</ns1:CirculationStatus><ns1:HoldQueueLength>1</ns1:HoldQueueLength></ns1:ItemOptionalFields>")) {
		t.Errorf("reply:\n%s", out)
	}
}

// Every Problem the servlet gives, field by field, with state unchanged.
func TestProblems(t *testing.T) {
	withHdr := func(f func(h *ncip.InitiationHeader)) *ncip.InitiationHeader {
		h := hdr()
		f(h)
		return h
	}
	cases := []struct {
		name                string
		body                ncip.Body
		typ, element, value string
		echo                bool
		miss                string
	}{
		{"unknown item on check-in", checkIn(hdr(), "NOPE"), "Unknown Item", "//CheckInItem/ItemId", "NOPE", true, ""},
		{"unknown item on check-out", checkOut(hdr(), annexUser, "NOPE"), "Unknown Item", "//CheckOutItem/ItemId", "NOPE", true, ""},
		{"unknown user", checkOut(hdr(), "GHOST", barcode1), "User Unknown", "//CheckOutItem/UserId", "GHOST", true, ""},
		{"blocked user", checkOut(hdr(), "BLOCKED-USER", barcode1), "User Ineligible To Check Out This Item", "//CheckOutItem/UserId", "BLOCKED-USER", true, ""},
		{"wrong to agency", checkIn(withHdr(func(h *ncip.InitiationHeader) { h.ToAgencyId = ncip.SV("01OTHER_INST") }), barcode1),
			"Unknown Agency", "//CheckInItem/InitiationHeader/ToAgencyId", "01OTHER_INST", false, `ToAgencyId: got "01OTHER_INST", want "01ANNEX_INST" (not the institution code)`},
		{"unknown from agency", checkIn(withHdr(func(h *ncip.InitiationHeader) { h.FromAgencyId = ncip.SV("STRANGER") }), barcode1),
			"Unknown Agency", "//CheckInItem/InitiationHeader/FromAgencyId", "STRANGER", false, `FromAgencyId: got "STRANGER", want "01ANNEX_INST or CAIASOFT" (not a partner agency)`},
		{"profile case", checkIn(withHdr(func(h *ncip.InitiationHeader) { h.ApplicationProfileType.Value = "annex" }), barcode1),
			"Unknown partner", "//CheckInItem/InitiationHeader/ApplicationProfileType", "annex", true,
			`ApplicationProfileType: got "annex", want "ANNEX" (differs only in case; ALMA compares codes case-sensitively)`},
		{"missing profile", checkIn(withHdr(func(h *ncip.InitiationHeader) { h.ApplicationProfileType = nil }), barcode1),
			"Needed Data Missing", "//CheckInItem/InitiationHeader/ApplicationProfileType", "", true, ""},
		{"lookup unknown request", &ncip.LookupItem{InitiationHeader: hdr(), RequestId: &ncip.RequestId{RequestIdentifierValue: "NOPE"}},
			"Unknown Request", "//LookupItem/RequestId", "NOPE", true, ""},
		{"desk of another library", checkOut(withHdr(func(h *ncip.InitiationHeader) { h.OnBehalfOfAgency = &ncip.SchemeValue{Value: "LAWCIRC"} }), annexUser, barcode1),
			"Unknown Agency", "//CheckOutItem/InitiationHeader/OnBehalfOfAgency", "LAWCIRC", true,
			`OnBehalfOfAgency: got "LAWCIRC", want "CIRC or DIGI" (circulation desk LAWCIRC belongs to library LAW, not to the item's library MAIN)`},
		{"desk with wrong library", checkIn(withHdr(func(h *ncip.InitiationHeader) { h.OnBehalfOfAgency = &ncip.SchemeValue{Value: "LAW.CIRC"} }), barcode1),
			"Unknown Agency", "//CheckInItem/InitiationHeader/OnBehalfOfAgency", "LAW.CIRC", true, ""},
		{"cancel unknown request", &ncip.CancelRequestItem{InitiationHeader: hdr(), UserId: &ncip.UserId{UserIdentifierValue: annexUser},
			RequestId: &ncip.RequestId{RequestIdentifierValue: "REQ-404"}, RequestType: ncip.SV("Hold")},
			"Unknown Request", "//CancelRequestItem/RequestId", "REQ-404", true, ""},
		{"cancel item without request", &ncip.CancelRequestItem{InitiationHeader: hdr(), UserId: &ncip.UserId{UserIdentifierValue: annexUser},
			ItemId: &ncip.ItemId{ItemIdentifierValue: barcode3}, RequestType: ncip.SV("Hold")},
			"Unknown Request", "//CancelRequestItem/ItemId", barcode3, true, `ItemId: got "39015000000003" (the item has no open request to cancel)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, nil)
			before := getState(t, s)
			m, out := send(t, s, tc.body)
			ps := m.Problems()
			if len(ps) != 1 {
				t.Fatalf("want one Problem:\n%s", out)
			}
			p := ps[0]
			if p.ProblemType.Value != tc.typ || p.ProblemType.Scheme != "" || p.ProblemElement != tc.element || p.ProblemValue != tc.value || p.ProblemDetail == "" {
				t.Errorf("Problem = %+v, want %s / %s / %s", p, tc.typ, tc.element, tc.value)
			}
			if m.Body.ServiceName() != tc.body.ServiceName()+"Response" {
				t.Errorf("reply is %s", m.Body.ServiceName())
			}
			if tc.echo {
				checkEcho(t, out)
			}
			if res, err := xmllint.Validate(context.Background(), xsdPath, out); err == nil && !res.Valid {
				t.Errorf("reply does not validate: %s", res.Summary())
			}
			after := getState(t, s)
			if !equalJSON(t, before, after) {
				t.Error("a Problem changed the state")
			}
			e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == tc.body.ServiceName() })
			if !strings.Contains(e.ClosestMiss, tc.miss) || (tc.miss == "" && tc.name == "profile case") {
				t.Errorf("closest miss = %q, want it to contain %q", e.ClosestMiss, tc.miss)
			}
			// The structured miss says the same, field by field (issue 14 point 5).
			if tc.miss != "" && (e.Miss == nil || e.Miss.Exchange != e.ID || !strings.HasPrefix(tc.miss, e.Miss.Field+": got ")) {
				t.Errorf("structured miss %+v for %q", e.Miss, tc.miss)
			}
			if len(e.Problems) != 1 || e.Problems[0] != tc.typ {
				t.Errorf("journal problems = %v", e.Problems)
			}
		})
	}
}

// Message-level Problems: unreadable, namespace-less, NCIP 1, unsupported.
func TestMessageLevelProblems(t *testing.T) {
	v1msg := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN" "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">
<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><CheckInItem><InitiationHeader><FromAgencyId><UniqueAgencyId><Scheme>x</Scheme><Value>CAIASOFT</Value></UniqueAgencyId></FromAgencyId><ToAgencyId><UniqueAgencyId><Scheme>x</Scheme><Value>01ANNEX_INST</Value></UniqueAgencyId></ToAgencyId></InitiationHeader><UniqueItemId><ItemIdentifierValue>39015000000001</ItemIdentifierValue></UniqueItemId></CheckInItem></NCIPMessage>`
	noNS := strings.ReplaceAll(strings.ReplaceAll(string(encode(t, checkIn(hdr(), barcode1))), "ns1:", ""), ` xmlns:ns1="http://www.niso.org/2008/ncip"`, "")
	cases := []struct {
		name, body, typ, detail, miss, service string
	}{
		{"malformed", "<ns1:NCIPMessage xmlns:ns1=\"http://www.niso.org/2008/ncip\"><ns1:CheckInItem>", ProblemSyntax, "", "", ""},
		{"not xml", "hello", ProblemSyntax, "", "", ""},
		{"no namespace", noNS, ProblemSyntax, "", `namespace: got "", want "http://www.niso.org/2008/ncip"`, "CheckInItem"},
		{"ncip 1", v1msg, ProblemSyntax, "", `version: got "NCIP 1", want "NCIP 2"`, "CheckInItem"},
		{"unsupported", string(encode(t, &ncip.DeleteItem{InitiationHeader: hdr(), ItemId: ncip.ItemId{ItemIdentifierValue: barcode1}})),
			ProblemUnsupportedService, "Service is not known", "", "DeleteItem"},
		{"response sent as request", string(encode(t, &ncip.CheckInItemResponse{ItemId: &ncip.ItemId{ItemIdentifierValue: "1"}})),
			ProblemUnsupportedService, "Service is not known", "", "CheckInItemResponse"},
	}
	s := start(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			last := s.Journal().All()
			var since int64
			if len(last) > 0 {
				since = last[len(last)-1].ID
			}
			status, out := post(t, nil, s.NCIPURL(), []byte(tc.body))
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			checkStyle(t, out)
			m, _, err := ncip.Decode(out, ncip.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := m.Body.(*ncip.ProblemResponse); !ok {
				t.Fatalf("want a message-level Problem:\n%s", out)
			}
			p := m.Problems()[0]
			if p.ProblemType.Value != tc.typ || (tc.detail != "" && p.ProblemDetail != tc.detail) {
				t.Errorf("Problem = %+v", p)
			}
			e := waitJournal(t, s, func(e journal.Exchange) bool { return e.ID > since })
			if !strings.Contains(e.ClosestMiss, tc.miss) || e.Service != tc.service {
				t.Errorf("journal: service %q closest miss %q", e.Service, e.ClosestMiss)
			}
		})
	}
}

func TestBodyCap(t *testing.T) {
	s := start(t, nil)
	big := append([]byte("<a>"), bytes.Repeat([]byte("x"), MaxBody)...)
	status, out := post(t, nil, s.NCIPURL(), big)
	if status != http.StatusOK || !bytes.Contains(out, []byte(ProblemSyntax)) {
		t.Fatalf("status %d:\n%.300s", status, out)
	}
}

// Strict mode journals a conformance failure but answers as ALMA would.
func TestStrictMode(t *testing.T) {
	s := start(t, func(c *Config) { c.Strict = true })
	// Unqualified version: ALMA reads it, the schema does not allow it.
	body := bytes.Replace(encode(t, checkIn(hdr(), barcode3)), []byte("ns1:version="), []byte("version="), 1)
	status, out := post(t, nil, s.NCIPURL(), body)
	if status != http.StatusOK || bytes.Contains(out, []byte("Problem")) {
		t.Fatalf("status %d:\n%s", status, out)
	}
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == "CheckInItem" })
	if !strings.HasPrefix(e.ConformanceFailure, "request is not conformant") || len(e.Findings) == 0 {
		t.Errorf("journal error %q findings %v", e.Error, e.Findings)
	}
	// A conformant message is no failure.
	post(t, nil, s.NCIPURL(), encode(t, checkIn(hdr(), barcode2)))
	e = waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == "CheckInItem" && e.ID > 1 })
	if e.Error != "" {
		t.Errorf("conformant message journaled as %q", e.Error)
	}
}

func TestJournalRecordsExchange(t *testing.T) {
	s := start(t, nil)
	body := encode(t, checkOut(hdr(), annexUser, barcode1))
	_, out := post(t, nil, s.NCIPURL(), body)
	e := waitJournal(t, s, func(e journal.Exchange) bool { return e.Service == "CheckOutItem" })
	if !bytes.Equal(e.Request, body) || !bytes.Equal(e.Response, out) || e.Transport != "http" || e.Direction != "in" ||
		e.Status != 200 || e.RemoteAddr == "" || e.Version != "NCIP 2" || http.Header(e.RequestHeaders).Get("Content-Type") != "text/xml" {
		t.Errorf("exchange = %+v", e)
	}
}

// A CheckInItem without an ItemId (the encoder refuses to write one) gets Needed Data Missing.
func TestNeededDataMissing(t *testing.T) {
	s := start(t, nil)
	body := bytes.Replace(encode(t, checkIn(hdr(), barcode1)),
		[]byte("<ns1:ItemId><ns1:ItemIdentifierValue>"+barcode1+"</ns1:ItemIdentifierValue></ns1:ItemId>"), nil, 1)
	status, out := post(t, nil, s.NCIPURL(), body)
	m, _, err := ncip.Decode(out, ncip.ParseOptions{})
	if status != 200 || err != nil {
		t.Fatalf("status %d err %v", status, err)
	}
	p := m.Problems()
	if len(p) != 1 || p[0].ProblemType.Value != ProblemNeededData || p[0].ProblemElement != "//CheckInItem/ItemId" || p[0].ProblemValue != "" {
		t.Errorf("Problems = %+v\n%s", p, out)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalJSON(t *testing.T, a, b State) bool {
	t.Helper()
	return bytes.Equal(mustJSON(t, a), mustJSON(t, b))
}
