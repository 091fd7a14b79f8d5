package caiasoft

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeBarcodes: no body makes the batch decoder panic; what it
// accepts is at most MaxBatch non-blank barcodes, and survives a
// round trip unchanged.
func FuzzDecodeBarcodes(f *testing.F) {
	for _, s := range []string{
		`{"barcodes":["39015000000101","000000101"]}`,
		`{"barcodes":[39015000000101, null, "NOPE"],"extra":{"a":[1]}}`,
		`{"barcodes":[1.5]}`,
		`{"barcodes":[-1, 1e3]}`,
		`{"barcodes":"x"}`,
		`{"barcodes":null}`,
		`{"items":[]}`,
		`{"barcodes":[" "]} trailing`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeBarcodes(bytes.NewReader(data), "barcodes")
		if err != nil {
			return
		}
		if len(got) > MaxBatch {
			t.Fatalf("accepted %d barcodes", len(got))
		}
		for _, b := range got {
			if strings.TrimSpace(b) == "" || b != strings.TrimSpace(b) {
				t.Fatalf("accepted blank or untrimmed barcode %q", b)
			}
		}
		body, err := json.Marshal(map[string][]string{"barcodes": got})
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBarcodes(bytes.NewReader(body), "barcodes")
		if err != nil || !slices.Equal(got, again) {
			t.Fatalf("round trip of %s: %q, %v; first %q", body, again, err, got)
		}
	})
}
