package aleph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/annexlab/annex/ncip"
)

// FuzzRawPort feeds bytes, as a client would write them to a raw NCIP port,
// through the port's reader and the responder: it must never panic, and it
// answers NCIP 1 or nothing. (The socket around it is exercised by the
// transport and fault tests; fuzzing through a socket would only add the
// kernel's speed limit.) The seed corpus in testdata/fuzz/FuzzRawPort holds
// the NCIP 1 conformance samples and golden messages, bare and HTTP-framed.
func FuzzRawPort(f *testing.F) {
	s := start(f, nil)
	f.Add([]byte("POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\n<NCIPMessage>"))
	f.Add([]byte("GET /ncip?%3CNCIPMessage%3E%3C%2FNCIPMessage%3E HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, _ := readMessage(bytes.NewReader(data), MaxMessage)
		if !bytes.HasPrefix(data, in.raw) || len(in.raw) > MaxMessage+1 {
			t.Fatalf("the journal's raw bytes are not what was sent")
		}
		if len(bytes.TrimSpace(in.raw)) == 0 {
			return // nothing sent, nothing answered
		}
		res := s.respond(t.Context(), s.cfg.Ports[0], in.xml, in.notes)
		if res.reply == nil {
			t.Fatalf("no reply and no fault for %q", data)
		}
		m, _, err := ncip.Decode(res.reply, ncip.ParseOptions{})
		if err != nil || m.Version != ncip.V1 {
			t.Fatalf("reply is not NCIP 1 (%v):\n%s", err, res.reply)
		}
		if !res.hasProblem() && bytes.Contains(res.reply, []byte("Problem")) && !hasRule(res, "reply.problem-word") {
			t.Fatalf("a success reply contains Problem unflagged:\n%s", res.reply)
		}
		if in.http {
			if fr := httpFrame(res.reply); !bytes.HasSuffix(fr, res.reply) {
				t.Fatal("framing lost the reply")
			}
		}
	})
}

func hasRule(r result, rule string) bool {
	for _, f := range r.findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// FuzzLoadState: any document either loads as a valid state or is refused
// with an error; a loaded state survives a round trip through its JSON form.
func FuzzLoadState(f *testing.F) {
	f.Add([]byte(problemState))
	f.Add([]byte(jsonString(DemoConfig().State)))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseState(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(st.clone())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseState(b); err != nil {
			t.Fatalf("a loaded state does not load again: %v\n%s", err, b)
		}
	})
}
