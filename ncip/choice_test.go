package ncip

import (
	"strings"
	"testing"
)

// TestEncodeChoiceBranches: where the schema offers a choice, the generated
// encoders write one branch, as the hand-written encoder did: a response
// with Problems reports failure only; otherwise the branch with the most
// fields set, the first on a tie.
func TestEncodeChoiceBranches(t *testing.T) {
	item := &ItemId{ItemIdentifierValue: "I1"}
	user := &UserId{UserIdentifierValue: "U1"}
	req := &RequestId{RequestIdentifierValue: "R1"}
	auth := []AuthenticationInput{{AuthenticationInputData: "A1"}}
	tests := []struct {
		name string
		body Body
		want []string // element names in the order written
		not  []string // element names that must not be written
	}{
		{"request and item", &CancelRequestItem{UserId: user, ItemId: item, RequestId: req, RequestType: SV("Hold")},
			[]string{"UserId", "RequestId", "ItemId", "RequestType"}, nil},
		{"item only", &CancelRequestItem{UserId: user, ItemId: item, RequestType: SV("Hold")},
			[]string{"UserId", "ItemId", "RequestType"}, []string{"RequestId"}},
		{"user over authentication", &CheckOutItem{UserId: user, AuthenticationInput: auth, ItemId: *item},
			[]string{"UserId", "ItemId"}, []string{"AuthenticationInput"}},
		{"authentication", &CheckOutItem{AuthenticationInput: auth, ItemId: *item},
			[]string{"AuthenticationInput", "ItemId"}, []string{"UserId"}},
		{"lookup by item first", &LookupItem{ItemId: item, RequestId: req},
			[]string{"ItemId"}, []string{"RequestId"}},
		{"problems win", &CheckOutItemResponse{Problems: []Problem{{ProblemType: SV("Unknown Item")}},
			ItemId: item, UserId: user, DateDue: "2026-01-01T00:00:00.000Z", RequiredFeeAmount: &Element{Name: "RequiredFeeAmount"}},
			[]string{"Problem", "RequiredFeeAmount"}, []string{"ItemId", "UserId", "DateDue"}},
		{"loan", &CheckOutItemResponse{ItemId: item, UserId: user, NonReturnableFlag: true},
			[]string{"ItemId", "UserId", "NonReturnableFlag"}, []string{"Problem", "DateDue"}},
		{"lookup response request then item", &LookupItemResponse{ItemId: item, RequestId: req},
			[]string{"RequestId", "ItemId"}, nil},
	}
	for _, tc := range tests {
		out, err := Encode(&Message{Version: V2, Body: tc.body}, Style{NoNamespace: true, OmitDeclaration: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		s := string(out)
		at := 0
		for _, name := range tc.want {
			i := strings.Index(s[at:], "<"+name+">")
			if i < 0 {
				t.Errorf("%s: <%s> missing or out of order in %s", tc.name, name, s)
				break
			}
			at += i
		}
		for _, name := range tc.not {
			if strings.Contains(s, "<"+name+">") {
				t.Errorf("%s: <%s> written in %s", tc.name, name, s)
			}
		}
	}
}
