package alma

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/internal/simtest"
	"github.com/annexlab/annex/simulators/journal"
)

const (
	xsdPath    = "../../ncip/testdata/xsd/ncip_v2_02.xsd"
	corpusV2   = "../../ncip/testdata/conformance/v2"
	corpusV1   = "../../ncip/testdata/conformance/v1"
	inst       = "01ANNEX_INST"
	partner    = "CAIASOFT"
	profile    = "ANNEX"
	annexUser  = "ANNEX-USER"
	barcode1   = "39015000000001"
	barcode2   = "39015000000002"
	barcode3   = "39015000000003"
	fixedClock = "2022-05-23T14:30:00Z"
)

func testClock() time.Time {
	t, _ := time.Parse(time.RFC3339, fixedClock)
	return t
}

// start runs a demo ALMA with a fixed clock; mut adjusts the config first.
func start(t testing.TB, mut func(*Config)) *Server {
	t.Helper()
	cfg := DemoConfig()
	cfg.Clock = testClock
	// The demo's second library gets a desk name of its own, for the desk-in-another-library case.
	for i := range cfg.State.Libraries {
		if cfg.State.Libraries[i].Code == "LAW" {
			cfg.State.Libraries[i].Desks = []Desk{{Code: "LAWCIRC"}}
		}
	}
	cfg.State.Users = append(cfg.State.Users, User{ID: "BLOCKED-USER", Blocked: true})
	if mut != nil {
		mut(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func hdr() *ncip.InitiationHeader {
	return &ncip.InitiationHeader{FromAgencyId: ncip.SV(partner), ToAgencyId: ncip.SV(inst), ApplicationProfileType: &ncip.SchemeValue{Value: profile}}
}

func encode(t testing.TB, b ncip.Body) []byte {
	t.Helper()
	out, err := ncip.Encode(&ncip.Message{Version: ncip.V2, Body: b}, ncip.Style{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkIn(h *ncip.InitiationHeader, bc string) *ncip.CheckInItem {
	return &ncip.CheckInItem{InitiationHeader: h, ItemId: ncip.ItemId{ItemIdentifierValue: bc}}
}

func checkOut(h *ncip.InitiationHeader, user, bc string) *ncip.CheckOutItem {
	return &ncip.CheckOutItem{InitiationHeader: h, UserId: &ncip.UserId{UserIdentifierValue: user}, ItemId: ncip.ItemId{ItemIdentifierValue: bc}}
}

func post(t testing.TB, c *http.Client, url string, body []byte) (int, []byte) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Post(url, "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// send posts an NCIP body and returns the decoded reply, after checking
// HTTP 200 and ALMA's reply style.
func send(t *testing.T, s *Server, b ncip.Body) (*ncip.Message, []byte) {
	t.Helper()
	status, out := post(t, nil, s.NCIPURL(), encode(t, b))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, out)
	}
	checkStyle(t, out)
	m, _, err := ncip.Decode(out, ncip.ParseOptions{})
	if err != nil {
		t.Fatalf("reply does not decode: %v\n%s", err, out)
	}
	return m, out
}

func checkStyle(t *testing.T, out []byte) {
	t.Helper()
	const prolog = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd">`
	if !bytes.HasPrefix(out, []byte(prolog)) {
		t.Errorf("reply does not start in ALMA's style:\n%s", out)
	}
	if bytes.Contains(out, []byte("\n")) {
		t.Errorf("reply is not one line:\n%s", out)
	}
	if bytes.Contains(out, []byte("Scheme")) {
		t.Errorf("ALMA writes Problems without Scheme:\n%s", out)
	}
}

// checkEcho checks the ResponseHeader mirrors the agencies.
func checkEcho(t *testing.T, out []byte) {
	t.Helper()
	want := "<ns1:ResponseHeader><ns1:FromAgencyId><ns1:AgencyId>" + inst + "</ns1:AgencyId></ns1:FromAgencyId><ns1:ToAgencyId><ns1:AgencyId>" + partner + "</ns1:AgencyId></ns1:ToAgencyId></ns1:ResponseHeader>"
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("ResponseHeader does not echo the agencies:\n%s", out)
	}
}

func getState(t *testing.T, s *Server) State {
	t.Helper()
	return simtest.State[State](t, s.URL())
}

func itemOf(t *testing.T, st State, bc string) Item {
	t.Helper()
	return simtest.Find(t, st.Items, "item "+bc, func(it Item) bool { return it.Barcode == bc })
}

func requestOf(t *testing.T, st State, id string) Request {
	t.Helper()
	return simtest.Find(t, st.Requests, "request "+id, func(r Request) bool { return r.ID == id })
}

func postJSON(t *testing.T, url, body string, into any) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// waitJournal waits until an exchange matching cond is journaled.
func waitJournal(t *testing.T, s *Server, cond func(journal.Exchange) bool) journal.Exchange {
	t.Helper()
	return simtest.WaitJournal(t, s.Journal(), cond)
}
