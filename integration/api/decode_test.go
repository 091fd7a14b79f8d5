package api

import (
	"strings"
	"testing"
)

// A circrequests body is read as CaiaSoft's clients send it (unknown fields
// accepted), but a field of the wrong type is named in the body's terms, not
// Go's (issue 13 finding 13).
func TestDecodeCircRequestsErrors(t *testing.T) {
	reqs, err := DecodeCircRequests(strings.NewReader(`{"requests": [{"barcode": "1", "priority": 3}], "client": "x"}`))
	if err != nil || len(reqs) != 1 || reqs[0].Barcode != "1" {
		t.Fatalf("unknown fields: %v %+v", err, reqs)
	}
	for body, want := range map[string]string{
		`{"requests": [{"barcode": 1}]}`:  `decode circrequests: line 1:27: requests[0].barcode: want a string, got the number 1`,
		`{"requests": {"barcode": "1"}}`:  `decode circrequests: line 1:14: requests: want a list, got an object`,
		`{"requests": []} {}`:             `decode circrequests: line 1:18: data after the JSON document`,
		`{"request": [{"barcode": "1"}]}`: `decode circrequests: "requests" is missing`,
		`{"requests": [{"barcode": "1"}]`: `decode circrequests: line 1:32: the JSON document ends early`,
	} {
		_, err := DecodeCircRequests(strings.NewReader(body))
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
}
