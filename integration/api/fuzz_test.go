package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzCircRequests: no body makes the decoder panic, and what it accepts
// survives a round trip.
func FuzzCircRequests(f *testing.F) {
	for _, s := range []string{
		`{"requests":[{"barcode":"39015000000001","request_type":"PYR","stop":"MAIN-CIRC","request_id":"R1","patron_id":"P1","title":"T","author":"A","call_number":"QA76"}]}`,
		`{"requests":[]}`,
		`{"requests":null}`,
		`{"requests":[{"barcode":1}]}`,
		`{"requests":[{}],"extra":{"nested":[1,2,3]}}`,
		`{"requests":[{"barcode":"\u00e9\ud800"}]} trailing`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reqs, err := DecodeCircRequests(bytes.NewReader(data))
		if err != nil {
			return
		}
		b, err := json.Marshal(map[string]any{"requests": reqs})
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeCircRequests(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if len(reqs) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(reqs, again) {
			t.Fatalf("round trip changed %+v into %+v", reqs, again)
		}
	})
}
