package ncip_test

import (
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/conform"
)

// TestResourceDesiredIsAFlag: the XSD declares ResourceDesired empty; the
// generated type is a bool, written as an empty element the checker accepts
// (the hand-written type was a coded value, whose text made it invalid).
func TestResourceDesiredIsAFlag(t *testing.T) {
	m := &ncip.Message{Version: ncip.V2, Body: &ncip.CheckOutItem{
		InitiationHeader: &ncip.InitiationHeader{FromAgencyId: ncip.SV("A"), ToAgencyId: ncip.SV("B")},
		UserId:           &ncip.UserId{UserIdentifierValue: "u"},
		ItemId:           ncip.ItemId{ItemIdentifierValue: "i"},
		ResourceDesired:  true,
	}}
	out, err := ncip.Encode(m, ncip.Style{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "<ns1:ResourceDesired></ns1:ResourceDesired>") {
		t.Errorf("no empty ResourceDesired in %s", out)
	}
	r, err := conform.Check(out)
	if err != nil || !r.OK() {
		t.Fatalf("not conformant: %v %+v", err, r.Findings)
	}
	back, _, err := ncip.Decode(out, ncip.ParseOptions{})
	if err != nil || !back.Body.(*ncip.CheckOutItem).ResourceDesired {
		t.Errorf("ResourceDesired lost on decoding: %v", err)
	}
}
