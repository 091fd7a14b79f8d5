package ncip

import "testing"

// TestEncodeRequiredFields: Encode refuses a service that lacks what the
// schema requires, naming it, and accepts the same service once it is there.
func TestEncodeRequiredFields(t *testing.T) {
	item := &ItemId{ItemIdentifierValue: "I1"}
	user := &UserId{UserIdentifierValue: "U1"}
	req := &RequestId{RequestIdentifierValue: "R1"}
	problems := []Problem{{ProblemType: SV("Unknown Item")}}
	tests := []struct {
		body Body
		want string // "" when valid
	}{
		{&CheckInItem{}, "ItemId is required"},
		{&CheckInItem{ItemId: *item}, ""},
		{&CheckOutItem{ItemId: *item}, "UserId or AuthenticationInput is required"},
		{&CheckOutItem{UserId: user}, "ItemId is required"},
		{&CheckOutItem{UserId: user, ItemId: *item}, ""},
		{&CancelRequestItem{ItemId: item}, "UserId or AuthenticationInput is required"},
		{&CancelRequestItem{UserId: user}, "ItemId or RequestId is required"},
		{&CancelRequestItem{UserId: user, RequestId: req}, ""},
		{&DeleteItem{}, "ItemId is required"},
		{&LookupItem{}, "ItemId or RequestId is required"},
		{&LookupItem{RequestId: req}, ""},
		{&CheckInItemResponse{}, "Problem or ItemId is required"},
		{&CheckInItemResponse{Problems: problems}, ""},
		{&CheckOutItemResponse{ItemId: item}, "Problem, or ItemId and UserId, is required"},
		{&CheckOutItemResponse{ItemId: item, UserId: user},
			"exactly one of DateDue, IndeterminateLoanPeriodFlag and NonReturnableFlag is required"},
		{&CheckOutItemResponse{ItemId: item, UserId: user, DateDue: "2026-01-01T00:00:00Z", NonReturnableFlag: true},
			"exactly one of DateDue, IndeterminateLoanPeriodFlag and NonReturnableFlag is required"},
		{&CheckOutItemResponse{ItemId: item, UserId: user, NonReturnableFlag: true}, ""},
		{&CheckOutItemResponse{Problems: problems}, ""},
		{&CancelRequestItemResponse{UserId: user}, "Problem, or ItemId or RequestId and UserId, is required"},
		{&CancelRequestItemResponse{ItemId: item}, "Problem, or ItemId or RequestId and UserId, is required"},
		{&CancelRequestItemResponse{RequestId: req, UserId: user}, ""},
		{&DeleteItemResponse{}, "Problem or ItemId is required"},
		{&LookupItemResponse{}, "Problem, ItemId or RequestId is required"},
		{&LookupItemResponse{RequestId: req}, ""},
		{&ProblemResponse{}, "at least one Problem is required"},
	}
	for _, tc := range tests {
		_, err := Encode(&Message{Version: V2, Body: tc.body}, Style{})
		want := ""
		if tc.want != "" {
			want = "encode " + tc.body.ServiceName() + ": " + tc.want
		}
		if got := errString(err); got != want {
			t.Errorf("%T%+v: error %q, want %q", tc.body, tc.body, got, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
