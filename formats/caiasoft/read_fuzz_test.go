package caiasoft

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeSearch: no body makes the union_* decoder panic; what it
// accepts has a non-blank, trimmed value and survives a round trip.
func FuzzDecodeSearch(f *testing.F) {
	for _, s := range []string{
		`{"title":"gatsby","volume":null}`,
		`{"title":"Ga","collection":"MAIN-ANNEX","client":{"x":1}}`,
		`{"oclc":12345}`,
		`{"oclc":-1.5e3}`,
		`{"title":["x"]}`,
		`{"title":"  "}`,
		`{"title":"x"} trailing`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	title := Searches[0]
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := DecodeSearch(bytes.NewReader(data), title)
		if err != nil {
			return
		}
		if q.Value == "" || q.Value != strings.TrimSpace(q.Value) {
			t.Fatalf("accepted value %q", q.Value)
		}
		body, err := json.Marshal(map[string]string{"title": q.Value, "volume": q.Volume, "collection": q.Collection})
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeSearch(bytes.NewReader(body), title)
		if err != nil || again != q {
			t.Fatalf("round trip of %s: %+v, %v; first %+v", body, again, err, q)
		}
	})
}
