package aleph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/internal/simtest"
	"github.com/annexlab/annex/simulators/journal"
)

var testNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

// testDue is testNow plus the default loan period, as the reply writes it.
const testDue = "2025-01-29T12:00:00Z"

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start runs a demo ALEPH with a fixed clock, adjusted by mod, closed at the end of the test.
func start(t testing.TB, mod func(*Config)) *Server {
	t.Helper()
	cfg := DemoConfig()
	cfg.Clock = func() time.Time { return testNow }
	cfg.Logger = quietLogger()
	if mod != nil {
		mod(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// msgOpts vary a test message.
type msgOpts struct {
	from, to, user, profile, due string
}

func (o msgOpts) defaults() msgOpts {
	if o.from == "" {
		o.from = "CAIAAGENCY"
	}
	if o.to == "" {
		o.to = "CLIENTAGENCY"
	}
	if o.user == "" {
		o.user = "CAIAUSER"
	}
	if o.profile == "" {
		o.profile = "CAIAPROFILE"
	}
	return o
}

func header(o msgOpts, withProfile bool) *ncip.InitiationHeader {
	h := &ncip.InitiationHeader{
		FromAgencyId: ncip.SchemeValue{Scheme: SchemeAgency, Value: o.from},
		ToAgencyId:   ncip.SchemeValue{Scheme: SchemeAgency, Value: o.to},
	}
	if withProfile {
		h.ApplicationProfileType = &ncip.SchemeValue{Scheme: "http://www.niso.org/ncip/v1_0/schemes/applicationprofiletype/applicationprofiletype.scm", Value: o.profile}
	}
	return h
}

func checkOutXML(t testing.TB, barcode string, o msgOpts) []byte {
	t.Helper()
	o = o.defaults()
	return encodeV1(t, &ncip.CheckOutItem{
		InitiationHeader: header(o, false),
		UserId:           &ncip.UserId{AgencyId: agencySV(o.to), UserIdentifierValue: o.user},
		ItemId:           ncip.ItemId{AgencyId: agencySV(o.to), ItemIdentifierValue: barcode},
		DesiredDateDue:   o.due,
	})
}

func checkInXML(t testing.TB, barcode string, o msgOpts) []byte {
	t.Helper()
	o = o.defaults()
	return encodeV1(t, &ncip.CheckInItem{
		InitiationHeader: header(o, true),
		ItemId:           ncip.ItemId{AgencyId: agencySV(o.to), ItemIdentifierValue: barcode},
	})
}

// encodeV1 encodes body as an NCIP 1 message.
func encodeV1(t testing.TB, body ncip.Body) []byte {
	t.Helper()
	b, err := ncip.Encode(&ncip.Message{Version: ncip.V1, Body: body}, ncip.Style{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to POST /ncip and returns the status and reply.
func post(t testing.TB, s *Server, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/ncip", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	return resp.StatusCode, b
}

// rawSend writes payload to a raw port and reads the reply up to EOF.
func rawSend(t testing.TB, addr string, payload []byte) ([]byte, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(payload); err != nil {
		return nil, err
	}
	return io.ReadAll(conn)
}

// decodeReply checks a reply is NCIP 1 with the DOCTYPE and returns it typed.
func decodeReply(t testing.TB, reply []byte) *ncip.Message {
	t.Helper()
	if !bytes.HasPrefix(reply, []byte(`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN"`)) {
		t.Fatalf("reply lacks the declaration and DOCTYPE:\n%s", reply)
	}
	m, _, err := ncip.Decode(reply, ncip.ParseOptions{})
	if err != nil {
		t.Fatalf("decode reply: %v\n%s", err, reply)
	}
	if m.Version != ncip.V1 {
		t.Fatalf("reply is %v", m.Version)
	}
	if len(m.Problems()) == 0 && bytes.Contains(reply, []byte("Problem")) {
		t.Fatalf("success reply contains the word Problem:\n%s", reply)
	}
	return m
}

// problemOf returns the single Problem of a reply, failing if there is none.
func problemOf(t testing.TB, reply []byte) ncip.Problem {
	t.Helper()
	m := decodeReply(t, reply)
	ps := m.Problems()
	if len(ps) != 1 {
		t.Fatalf("want one Problem, got %d:\n%s", len(ps), reply)
	}
	return ps[0]
}

func getState(t testing.TB, s *Server) State {
	t.Helper()
	return simtest.State[State](t, s.URL())
}

func putState(t testing.TB, s *Server, yamlDoc string) {
	t.Helper()
	simtest.PutState(t, s.URL(), yamlDoc)
}

func addFault(t testing.TB, s *Server, jsonDoc string) {
	t.Helper()
	simtest.AddFault(t, s.URL(), jsonDoc)
}

func itemOf(st State, barcode string) Item {
	for _, it := range st.Items {
		if it.Barcode == barcode {
			return it
		}
	}
	return Item{}
}

// waitJournal waits until the journal holds an exchange matching cond.
func waitJournal(t testing.TB, s *Server, cond func(journal.Exchange) bool) journal.Exchange {
	t.Helper()
	return simtest.WaitJournal(t, s.Journal(), cond)
}

func mustContain(t testing.TB, got []byte, want string) {
	t.Helper()
	if !bytes.Contains(got, []byte(want)) {
		t.Fatalf("want %q in:\n%s", want, got)
	}
}

func httpFramed(path, contentType string, contentLength int, body []byte) []byte {
	return fmt.Appendf(nil, "POST %s HTTP/1.0\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", path, contentType, contentLength, body)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
