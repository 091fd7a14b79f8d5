package aleph

import (
	"testing"

	"github.com/annexlab/annex/ncip"
)

func lookupXML(t testing.TB, barcode string, borrower bool) []byte {
	t.Helper()
	o := msgOpts{}.defaults()
	return encodeV1(t, &ncip.LookupItem{
		InitiationHeader:       header(o, false),
		ItemId:                 &ncip.ItemId{AgencyId: agencySV(o.to), ItemIdentifierValue: barcode},
		ItemElementType:        []ncip.SchemeValue{{Scheme: ncip.SchemeV1ItemElementType, Value: ncip.ItemElementCirculationStatus}},
		CurrentBorrowerDesired: borrower,
	})
}

// TestLookupItem: mock ALEPH answers LookupItem with the item's NCIP 1
// CirculationStatus (a Scheme/Value pair in ItemOptionalFields) and, when
// asked, the borrower, so a client can tell whether its check-out or
// check-in took effect; the lookup changes nothing.
func TestLookupItem(t *testing.T) {
	s := start(t, nil)
	lookup := func(barcode string, borrower bool) *ncip.LookupItemResponse {
		t.Helper()
		_, reply := post(t, s, "text/xml", lookupXML(t, barcode, borrower))
		r, ok := decodeReply(t, reply).Body.(*ncip.LookupItemResponse)
		if !ok {
			t.Fatalf("want a LookupItemResponse:\n%s", reply)
		}
		return r
	}
	r := lookup("000000001", true)
	if len(r.Problems) > 0 || r.CirculationStatus() != ncip.CirculationAvailableOnShelf || r.CurrentBorrower() != "" {
		t.Fatalf("on the shelf: status %q borrower %q problems %+v", r.CirculationStatus(), r.CurrentBorrower(), r.Problems)
	}
	if sc := r.ItemOptionalFields.Child("CirculationStatus").Child("Scheme"); sc == nil || sc.Text != ncip.SchemeV1CirculationStatus {
		t.Errorf("CirculationStatus has no circulationstatus.scm Scheme: %+v", r.ItemOptionalFields.Child("CirculationStatus"))
	}
	_, reply := post(t, s, "text/xml", checkOutXML(t, "000000001", msgOpts{}))
	checkLoan(t, s, reply, "000000001", "CAIAAGENCY")
	before := getState(t, s)
	if r := lookup("000000001", true); r.CirculationStatus() != ncip.CirculationOnLoan || r.CurrentBorrower() != "CAIAUSER" {
		t.Errorf("on loan: status %q borrower %q", r.CirculationStatus(), r.CurrentBorrower())
	}
	if r := lookup("000000001", false); r.CurrentBorrower() != "" {
		t.Errorf("borrower %q given without CurrentBorrowerDesired", r.CurrentBorrower())
	}
	if !equalJSON(before, getState(t, s)) {
		t.Error("a lookup changed the state")
	}
	if p := lookup("NOPE", false).Problems; len(p) != 1 || p[0].ProblemType.Value != "Unknown Item" {
		t.Errorf("unknown item: %+v", p)
	}
}
