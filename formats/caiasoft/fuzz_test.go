package caiasoft

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecode: no body makes the decoder panic, and what it accepts survives
// a round trip (known fields only: unknown ones are reported, not kept).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"requests":[{"barcode":"39015000000001","request_type":"PYR","stop":"MAIN-CIRC","request_id":"R1","patron_id":"P1","title":"T","author":"A","call_number":"QA76"}]}`,
		`{"requests":[]}`,
		`{"requests":null}`,
		`{"requests":[{"barcode":1}]}`,
		`{"requests":[{"barcode":null,"stop":null,"x":[1]}],"extra":{"nested":[1,2,3]}}`,
		`{"requests":[{"barcode":"\u00e9\ud800"}]} trailing`,
		`{"requests":[{"barcode":true}]}`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reqs, _, err := Decode[CircRequest](bytes.NewReader(data), "requests")
		if err != nil {
			return
		}
		vals := make([]CircRequest, len(reqs))
		for i, r := range reqs {
			vals[i] = r.Value
		}
		b, err := json.Marshal(map[string]any{"requests": vals})
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := Decode[CircRequest](bytes.NewReader(b), "requests")
		if err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		for i := range again {
			if !reflect.DeepEqual(vals[i], again[i].Value) || len(again[i].Unknown) != 0 {
				t.Fatalf("round trip changed %+v into %+v", vals[i], again[i])
			}
		}
	})
}
