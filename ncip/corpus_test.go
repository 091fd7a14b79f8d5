package ncip

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const corpus = "testdata/conformance"

// corpusTable states, for every third-party message, the version and the
// service (or response) the decoder must report and the Go type it must give.
var corpusTable = []struct {
	file    string
	version Version
	service string
	body    Body
}{
	{"v1/lib-ncip-client/ncipOneAcceptItemXmlResponseExample.xml", V1, "AcceptItemResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneCancelRequestItemXmlResponseExample.xml", V1, "CancelRequestItemResponse", &CancelRequestItemResponse{}},
	{"v1/lib-ncip-client/ncipOneCheckinItemXmlErrorResponseExample.xml", V1, "CheckInItemResponse", &CheckInItemResponse{}},
	{"v1/lib-ncip-client/ncipOneCheckinItemXmlResponseExample.xml", V1, "CheckInItemResponse", &CheckInItemResponse{}},
	{"v1/lib-ncip-client/ncipOneCheckoutItemXmlResponseExample.xml", V1, "CheckOutItemResponse", &CheckOutItemResponse{}},
	{"v1/lib-ncip-client/ncipOneLookupUserXmlResponseBlockedExample.xml", V1, "LookupUserResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneLookupUserXmlResponseExample.xml", V1, "LookupUserResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneRequestItemXmlResponseExample.xml", V1, "RequestItemResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneStructuredAndUnstructuredName.xml", V1, "LookupUserResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneStructuredName.xml", V1, "LookupUserResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneUnstructuredNameComma.xml", V1, "LookupUserResponse", &Unmodelled{}},
	{"v1/lib-ncip-client/ncipOneUnstructuredNameSpaces.xml", V1, "LookupUserResponse", &Unmodelled{}},
	{"v2/circill/AcceptItem.xml", V2, "AcceptItem", &Unmodelled{}},
	{"v2/circill/AcceptItemResponse.xml", V2, "AcceptItemResponse", &Unmodelled{}},
	{"v2/circill/CancelRequestItem.xml", V2, "CancelRequestItem", &CancelRequestItem{}},
	{"v2/circill/CancelRequestItemResponse.xml", V2, "CancelRequestItemResponse", &CancelRequestItemResponse{}},
	{"v2/circill/CheckInItem.xml", V2, "CheckInItem", &CheckInItem{}},
	{"v2/circill/CheckInItemResponse.xml", V2, "CheckInItemResponse", &CheckInItemResponse{}},
	{"v2/circill/CheckOutItem.xml", V2, "CheckOutItem", &CheckOutItem{}},
	{"v2/circill/CheckOutItemResponse.xml", V2, "CheckOutItemResponse", &CheckOutItemResponse{}},
	{"v2/circill/CreateItemSample1.xml", V2, "CreateItem", &Unmodelled{}},
	{"v2/circill/ItemReceived.xml", V2, "ItemReceived", &Unmodelled{}},
	{"v2/circill/ItemReceivedResponse.xml", V2, "ItemReceivedResponse", &Unmodelled{}},
	{"v2/circill/ItemRequestCancelled.xml", V2, "ItemRequestCancelled", &Unmodelled{}},
	{"v2/circill/ItemRequestCancelledResponse.xml", V2, "ItemRequestCancelledResponse", &Unmodelled{}},
	{"v2/circill/ItemShipped.xml", V2, "ItemShipped", &Unmodelled{}},
	{"v2/circill/ItemShippedResponse.xml", V2, "ItemShippedResponse", &Unmodelled{}},
	{"v2/circill/RequestItemResponse.xml", V2, "RequestItemResponse", &Unmodelled{}},
	{"v2/circill/RequestItemResponseSample1.xml", V2, "RequestItemResponse", &Unmodelled{}},
	{"v2/circill/RequestItemSample1.xml", V2, "RequestItem", &Unmodelled{}},
	{"v2/circill/UpdateCirculationStatus.xml", V2, "UpdateCirculationStatus", &Unmodelled{}},
	{"v2/circill/UpdateCirculationStatusResponse.xml", V2, "UpdateCirculationStatusResponse", &Unmodelled{}},
	{"v2/folio/ncip-acceptItem-blocked.xml", V2, "AcceptItem", &Unmodelled{}},
	{"v2/folio/ncip-acceptItem.xml", V2, "AcceptItem", &Unmodelled{}},
	{"v2/folio/ncip-cancelRequestItem-blockedUser.xml", V2, "CancelRequestItem", &CancelRequestItem{}},
	{"v2/folio/ncip-cancelRequestItem-missingAgency.xml", V2, "CancelRequestItem", &CancelRequestItem{}},
	{"v2/folio/ncip-cancelRequestItem-missingUser.xml", V2, "CancelRequestItem", &CancelRequestItem{}},
	{"v2/folio/ncip-cancelRequestItem.xml", V2, "CancelRequestItem", &CancelRequestItem{}},
	{"v2/folio/ncip-checkin.xml", V2, "CheckInItem", &CheckInItem{}},
	{"v2/folio/ncip-checkout-full.xml", V2, "CheckOutItem", &CheckOutItem{}},
	{"v2/folio/ncip-checkout.xml", V2, "CheckOutItem", &CheckOutItem{}},
	{"v2/folio/ncip-createUserFiscalTransaction.xml", V2, "CreateUserFiscalTransaction", &Unmodelled{}},
	{"v2/folio/ncip-createUserFiscalTransactionBlocked.xml", V2, "CreateUserFiscalTransaction", &Unmodelled{}},
	{"v2/folio/ncip-createUserFiscalTransactionNoTrans.xml", V2, "CreateUserFiscalTransaction", &Unmodelled{}},
	{"v2/folio/ncip-deleteItem-error.xml", V2, "DeleteItem", &DeleteItem{}},
	{"v2/folio/ncip-deleteItem-missingAgency.xml", V2, "DeleteItem", &DeleteItem{}},
	{"v2/folio/ncip-deleteItem-missingItem.xml", V2, "DeleteItem", &DeleteItem{}},
	{"v2/folio/ncip-deleteItem.xml", V2, "DeleteItem", &DeleteItem{}},
	{"v2/folio/ncip-lookupUser.xml", V2, "LookupUser", &Unmodelled{}},
	{"v2/folio/ncip-lookupUserAutomatedBlock.xml", V2, "LookupUser", &Unmodelled{}},
	{"v2/folio/ncip-lookupUserBlocked.xml", V2, "LookupUser", &Unmodelled{}},
	{"v2/folio/ncip-lookupUserCheckPin.xml", V2, "LookupUser", &Unmodelled{}},
	{"v2/folio/ncip-lookupUserCheckPinFailed.xml", V2, "LookupUser", &Unmodelled{}},
	{"v2/folio/ncip-lookupUserNotFound.xml", V2, "LookupUser", &Unmodelled{}},
	{"v2/folio/ncip-requestitem-barcodeFallback.xml", V2, "RequestItem", &Unmodelled{}},
	{"v2/folio/ncip-requestitem-title.xml", V2, "RequestItem", &Unmodelled{}},
	{"v2/folio/ncip-requestitem-titleLocation.xml", V2, "RequestItem", &Unmodelled{}},
	{"v2/folio/ncip-requestitem.xml", V2, "RequestItem", &Unmodelled{}},
}

func TestCorpusDecodes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "v*", "*", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	if len(files) != len(corpusTable) {
		t.Errorf("corpus has %d files, the table states %d: keep them in step", len(files), len(corpusTable))
	}
	for _, tc := range corpusTable {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpus, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			msg, _, err := Decode(data, ParseOptions{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if msg.Version != tc.version {
				t.Errorf("version = %v, want %v", msg.Version, tc.version)
			}
			if got := msg.Body.ServiceName(); got != tc.service {
				t.Errorf("service = %q, want %q", got, tc.service)
			}
			if reflect.TypeOf(msg.Body) != reflect.TypeOf(tc.body) {
				t.Errorf("body is %T, want %T", msg.Body, tc.body)
			}
		})
	}
}

func decodeFile(t *testing.T, name string) (*Message, []Finding) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus, name))
	if err != nil {
		t.Fatal(err)
	}
	msg, fs, err := Decode(data, ParseOptions{})
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return msg, fs
}

// The typed fields carry what the messages say, in both versions.
func TestCorpusFields(t *testing.T) {
	m, fs := decodeFile(t, "v2/circill/CheckOutItem.xml")
	co := m.Body.(*CheckOutItem)
	if co.ItemId.ItemIdentifierValue != "19823098123" || co.UserId.UserIdentifierValue != "10923123" ||
		co.RequestId.RequestIdentifierValue != "REQ123" || co.InitiationHeader.FromAgencyId.Value != "ENG" ||
		co.InitiationHeader.ToAgencyId != (SchemeValue{Scheme: "localhost/ncip/v1/schemes/agencies/1", Value: "MIT"}) {
		t.Errorf("CheckOutItem fields: %+v", co)
	}
	if len(fs) != 0 {
		t.Errorf("a clean message gave findings: %v", fs)
	}

	m, _ = decodeFile(t, "v2/circill/CancelRequestItem.xml")
	cr := m.Body.(*CancelRequestItem)
	if len(cr.AuthenticationInput) != 2 || cr.AuthenticationInput[1].AuthenticationInputType.Value != "Password" ||
		cr.RequestType.Value != "Hold" || cr.RequestId.RequestIdentifierValue != "101919" {
		t.Errorf("CancelRequestItem fields: %+v", cr)
	}

	m, _ = decodeFile(t, "v1/lib-ncip-client/ncipOneCheckinItemXmlErrorResponseExample.xml")
	want := []Problem{{
		ProblemType:    SchemeValue{Scheme: "http://www.niso.org/ncip/v1_0/schemes/processingerrortype/checkinitemprocessingerror.scm", Value: "Item Not Checked Out"},
		ProblemElement: "UniqueItemId/ItemIdentifierValue",
		ProblemValue:   "Item not on loan.",
	}}
	if got := m.Problems(); !reflect.DeepEqual(got, want) {
		t.Errorf("v1 problem = %+v, want %+v", got, want)
	}
	if h := m.Body.(*CheckInItemResponse).ResponseHeader; h.FromAgencyId.Value != "TNS" || h.ToAgencyId.Value != "RSH" {
		t.Errorf("v1 header = %+v", h)
	}

	m, _ = decodeFile(t, "v1/lib-ncip-client/ncipOneCheckoutItemXmlResponseExample.xml")
	cor := m.Body.(*CheckOutItemResponse)
	if cor.ItemId.ItemIdentifierValue != "5555555025805" || cor.UserId.UserIdentifierValue != "TNSNOTREAL" ||
		cor.DateDue != "2021-06-30T16:45:00Z" || cor.UserOptionalFields == nil || len(m.Problems()) != 0 {
		t.Errorf("v1 CheckOutItemResponse fields: %+v", cor)
	}

	// The stray text and unqualified version of a Relais check-in do not stop the decoder.
	m, _ = decodeFile(t, "v2/folio/ncip-checkin.xml")
	ci := m.Body.(*CheckInItem)
	if ci.ItemId.ItemIdentifierValue != "LEH-20191003225" || len(ci.ItemElementType) != 1 ||
		m.VersionURI != VersionV2_0 {
		t.Errorf("Relais CheckInItem: %+v version %q", ci, m.VersionURI)
	}
}
