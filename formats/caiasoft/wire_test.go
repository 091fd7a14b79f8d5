package caiasoft

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestDecode: nulls read as "", numbers as their digits, unknown fields are
// reported per entry and at the top, and a batch over MaxBatch is refused.
func TestDecode(t *testing.T) {
	got, unknown, err := Decode[CircRequest](strings.NewReader(`{"requests":[
		{"barcode":39015000000001,"request_type":null,"stop":"MAIN-CIRC","request_id":"R1","pickup":"x","zz":null},
		{}],"source":"app"}`), "requests")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Value.Barcode != "39015000000001" || got[0].Value.RequestType != "" || got[0].Value.Stop != "MAIN-CIRC" {
		t.Fatalf("decoded %+v", got)
	}
	if !slices.Equal(got[0].Unknown, []string{"pickup", "zz"}) || got[1].Unknown != nil || !slices.Equal(unknown, []string{"source"}) {
		t.Errorf("unknown fields: %v %v top %v", got[0].Unknown, got[1].Unknown, unknown)
	}
	if !strings.Contains(string(got[0].Raw), `"pickup":"x"`) {
		t.Errorf("raw entry %s", got[0].Raw)
	}
	// Embedded fields (Bib) are known fields too.
	items, _, err := Decode[IncomingItem](strings.NewReader(`{"incoming":[{"barcode":"1","title":"T","isbn":null}]}`), "incoming")
	if err != nil || items[0].Value.Title != "T" || len(items[0].Unknown) != 0 {
		t.Errorf("incoming: %+v %v", items, err)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"requests":[{"barcode":true}]}`, `requests[0]: "barcode": want a string or null, not bool`},
		{`{"requests":[1]}`, `requests[0]: want a JSON object`},
		{`{"requests":{}}`, `"requests": want an array`},
		{`{}`, `"requests" is missing`},
		{`{"requests":[]} {}`, `data after the JSON object`},
		{`{"requests":[` + strings.Repeat(`{},`, MaxBatch) + `{}]}`, `holds 501 entries, at most 500 per call`},
	} {
		_, _, err := Decode[CircRequest](strings.NewReader(bad.body), "requests")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%.40s: %v, want an error containing %q", bad.body, err, bad.want)
		}
	}
	_, _, err = Decode[CircRequest](strings.NewReader(`{"requests":[`+strings.Repeat(`{},`, MaxBatch)+`{}]}`), "requests")
	if !errors.Is(err, ErrBatch) {
		t.Errorf("batch error %v does not wrap ErrBatch", err)
	}
}
