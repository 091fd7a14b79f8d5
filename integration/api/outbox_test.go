package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/store"
)

// An ISO-8859-1 message is not UTF-8: it is shown in base64, and said to
// be; UTF-8 XML is shown as text. A message never tried is due since its
// enqueueing, and a delivered one has no next attempt (issue 13 finding 10).
func TestOutboxView(t *testing.T) {
	latin1 := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Title>Caf\xe9</Title>")
	created := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	v := outboxView(store.Message{ID: 1, Status: store.MsgPending, Payload: latin1, Reply: []byte("<ok/>"), Created: created,
		NextAttempt: time.Unix(0, 0)}, time.Time{}, false, nil)
	b, _ := json.Marshal(v)
	if v.Payload != "" || v.PayloadBase64 == "" || v.Reply != "<ok/>" || !bytes.Contains(b, []byte(`"payload_base64":"`)) {
		t.Errorf("latin-1 payload shown as %s", b)
	}
	if v.NextAttempt == nil || !v.NextAttempt.Equal(created) || v.State != store.MsgPending {
		t.Errorf("never tried: next %v state %s", v.NextAttempt, v.State)
	}
	v = outboxView(store.Message{ID: 1, Status: store.MsgDelivered, Payload: []byte("<x/>"), NextAttempt: time.Unix(0, 0)}, time.Time{}, false, nil)
	if b, _ := json.Marshal(v); !bytes.Contains(b, []byte(`"next_attempt":null`)) || v.Payload != "<x/>" {
		t.Errorf("delivered shown as %s", b)
	}
}

func TestDecodeOutboxAction(t *testing.T) {
	for _, tc := range []struct{ body, by, err string }{
		{"", DefaultActor, ""},
		{`{"by":"alice","reason":"stuck"}`, "alice", ""},
		{`{"reason":"stuck"}`, DefaultActor, ""},
		{`{"reasn":"x"}`, "", `unknown field "reasn" (did you mean "reason"?)`},
		{`{"by":1}`, "", `"by" must be a string`},
		{`[]`, "", "want {"},
	} {
		a, err := DecodeOutboxAction(strings.NewReader(tc.body))
		switch {
		case tc.err == "" && (err != nil || a.By != tc.by):
			t.Errorf("%s: %+v, %v", tc.body, a, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.err)
		}
	}
}

// FuzzOutboxAction: no body makes the decoder panic, and it only accepts
// objects of the two known string fields.
func FuzzOutboxAction(f *testing.F) {
	for _, s := range []string{``, `{"by":"alice","reason":"stuck"}`, `{"bi":"x"}`, `{"by":null}`, `{"by":"a"} x`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeOutboxAction(bytes.NewReader(data))
		if err != nil {
			return
		}
		if a.By == "" {
			t.Fatalf("%q accepted with no actor", data)
		}
	})
}
