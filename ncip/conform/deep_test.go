package conform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deepCases reach below the first level of the modelled services (optional
// field wrappers, fiscal transactions, addresses, holdings, Ext) where the
// corpus and its mutations do not go. Each is compared with xmllint.
func deepCases() []struct{ name, body string } {
	item := `<ItemId><ItemIdentifierValue>1</ItemIdentifierValue></ItemId>`
	user := `<UserId><UserIdentifierValue>1</UserIdentifierValue></UserId>`
	lookup := func(inner string) string {
		return `<LookupItemResponse>` + item + `<ItemOptionalFields>` + inner + `</ItemOptionalFields></LookupItemResponse>`
	}
	checkin := func(inner string) string {
		return `<CheckInItemResponse>` + item + inner + `</CheckInItemResponse>`
	}
	fiscal := func(inner string) string {
		return checkin(`<FiscalTransactionInformation><FiscalActionType>Assess</FiscalActionType>` +
			`<FiscalTransactionType>Fine</FiscalTransactionType>` + inner + `</FiscalTransactionInformation>`)
	}
	amount := `<Amount><CurrencyCode>USD</CurrencyCode><MonetaryValue>150</MonetaryValue></Amount>`
	address := func(inner string) string {
		return checkin(`<UserOptionalFields><UserAddressInformation><UserAddressRoleType>Home</UserAddressRoleType>` +
			`<PhysicalAddress>` + inner + `<PhysicalAddressType>Postal</PhysicalAddressType></PhysicalAddress>` +
			`</UserAddressInformation></UserOptionalFields>`)
	}
	holdings := func(inner string) string {
		return lookup(`<ItemDescription><HoldingsInformation><StructuredHoldingsData>` + inner +
			`</StructuredHoldingsData></HoldingsInformation></ItemDescription>`)
	}
	return append([]struct{ name, body string }{
		{"bibliographic description", lookup(`<BibliographicDescription><Author>A</Author><BibliographicItemId>` +
			`<BibliographicItemIdentifier>978</BibliographicItemIdentifier><BibliographicItemIdentifierCode>ISBN` +
			`</BibliographicItemIdentifierCode></BibliographicItemId><BibliographicRecordId><BibliographicRecordIdentifier>1` +
			`</BibliographicRecordIdentifier><AgencyId>X</AgencyId></BibliographicRecordId><BibliographicRecordId>` +
			`<BibliographicRecordIdentifier>2</BibliographicRecordIdentifier><BibliographicRecordIdentifierCode>OCLC` +
			`</BibliographicRecordIdentifierCode></BibliographicRecordId><Title>T</Title><MediumType>Book</MediumType>` +
			`</BibliographicDescription><CirculationStatus>On Loan</CirculationStatus><HoldQueueLength>0</HoldQueueLength>` +
			`<SensitizationFlag/><DateDue>2022-06-20T00:00:00.000Z</DateDue>`)},
		{"bibliographic order", lookup(`<BibliographicDescription><Title>T</Title><Author>A</Author></BibliographicDescription>`)},
		{"record id needs agency or code", lookup(`<BibliographicDescription><BibliographicRecordId>` +
			`<BibliographicRecordIdentifier>1</BibliographicRecordIdentifier></BibliographicRecordId></BibliographicDescription>`)},
		{"location", lookup(`<Location><LocationType>Permanent</LocationType><LocationName><LocationNameInstance>` +
			`<LocationNameLevel>1</LocationNameLevel><LocationNameValue>Annex</LocationNameValue></LocationNameInstance>` +
			`</LocationName><ValidFromDate>2020-01-01T00:00:00</ValidFromDate></Location>`)},
		{"location level zero", lookup(`<Location><LocationType>Permanent</LocationType><LocationName><LocationNameInstance>` +
			`<LocationNameLevel>0</LocationNameLevel><LocationNameValue>Annex</LocationNameValue></LocationNameInstance>` +
			`</LocationName></Location>`)},
		{"empty location name", lookup(`<Location><LocationType>P</LocationType><LocationName/></Location>`)},
		{"electronic resource", lookup(`<ElectronicResource><ElectronicDataFormatType>PDF</ElectronicDataFormatType>` +
			`<ActualResource>x</ActualResource></ElectronicResource>`)},
		{"electronic resource half", lookup(`<ElectronicResource><ElectronicDataFormatType>PDF</ElectronicDataFormatType>` +
			`</ElectronicResource>`)},
		{"flag with text", lookup(`<SensitizationFlag>Y</SensitizationFlag>`)},
		{"flag with space", lookup(`<SensitizationFlag> </SensitizationFlag>`)},
		{"queue negative", lookup(`<HoldQueueLength>-1</HoldQueueLength>`)},
		{"enumeration", holdings(`<HoldingsEnumeration><EnumerationLevelInstance><EnumerationLevel>1</EnumerationLevel>` +
			`<EnumerationCaption>v.</EnumerationCaption><Ext/><EnumerationValue>3</EnumerationValue><Ext/>` +
			`</EnumerationLevelInstance></HoldingsEnumeration><HoldingsChronology><ChronologyLevelInstance>` +
			`<ChronologyCaption>year</ChronologyCaption><ChronologyValue>2001</ChronologyValue></ChronologyLevelInstance>` +
			`</HoldingsChronology>`)},
		{"enumeration without value", holdings(`<HoldingsEnumeration><EnumerationLevelInstance>` +
			`<EnumerationCaption>v.</EnumerationCaption></EnumerationLevelInstance></HoldingsEnumeration>`)},
		{"chronology level only", holdings(`<HoldingsChronology><ChronologyLevelInstance><ChronologyLevel>2</ChronologyLevel>` +
			`<ChronologyValue>2001</ChronologyValue></ChronologyLevelInstance></HoldingsChronology>`)},
		{"item transaction", `<LookupItemResponse>` + item + `<ItemTransaction><CurrentBorrower>` + user +
			`</CurrentBorrower><CurrentRequester>` + user + `</CurrentRequester><CurrentRequester>` + user +
			`</CurrentRequester></ItemTransaction></LookupItemResponse>`},
		{"item transaction two borrowers", `<LookupItemResponse>` + item + `<ItemTransaction><CurrentBorrower>` + user +
			`</CurrentBorrower><CurrentBorrower>` + user + `</CurrentBorrower></ItemTransaction></LookupItemResponse>`},
		{"routing", checkin(`<RoutingInformation><RoutingInstructions>to desk</RoutingInstructions><Destination>` +
			`<BinNumber>7</BinNumber></Destination><RequestType>Hold</RequestType>` + user + `<NameInformation>` +
			`<OrganizationNameInformation><OrganizationNameType>Library</OrganizationNameType><OrganizationName>Main` +
			`</OrganizationName></OrganizationNameInformation></NameInformation></RoutingInformation>`)},
		{"routing without destination", checkin(`<RoutingInformation><RoutingInstructions>x</RoutingInstructions>` +
			`</RoutingInformation>`)},
		{"personal name", checkin(`<UserOptionalFields><NameInformation><PersonalNameInformation><StructuredPersonalUserName>` +
			`<GivenName>J</GivenName><Surname>D</Surname></StructuredPersonalUserName><UnstructuredPersonalUserName>J D` +
			`</UnstructuredPersonalUserName></PersonalNameInformation></NameInformation><DateOfBirth>1990-01-01T00:00:00` +
			`</DateOfBirth><UserLanguage>eng</UserLanguage><BlockOrTrap><AgencyId>X</AgencyId><BlockOrTrapType>Fines` +
			`</BlockOrTrapType></BlockOrTrap>` + user + `<PreviousUserId><AgencyId>X</AgencyId><UserIdentifierValue>2` +
			`</UserIdentifierValue></PreviousUserId></UserOptionalFields>`)},
		{"personal name without surname", checkin(`<UserOptionalFields><NameInformation><PersonalNameInformation>` +
			`<StructuredPersonalUserName><GivenName>J</GivenName></StructuredPersonalUserName></PersonalNameInformation>` +
			`</NameInformation></UserOptionalFields>`)},
		{"privilege", checkin(`<UserOptionalFields><UserPrivilege><AgencyId>X</AgencyId><AgencyUserPrivilegeType>Staff` +
			`</AgencyUserPrivilegeType><UserPrivilegeFee>` + amount + `<PaymentMethodType>Cash</PaymentMethodType>` +
			`</UserPrivilegeFee><UserPrivilegeStatus><UserPrivilegeStatusType>OK</UserPrivilegeStatusType>` +
			`<DateOfUserPrivilegeStatus>2020-01-01T00:00:00Z</DateOfUserPrivilegeStatus></UserPrivilegeStatus>` +
			`<UserPrivilegeDescription>d</UserPrivilegeDescription></UserPrivilege></UserOptionalFields>`)},
		{"address lines", address(`<StructuredAddress><Line1>1 Main St</Line1><Line2>Apt 2</Line2><Locality>Bath</Locality>` +
			`<PostalCode>1</PostalCode></StructuredAddress>`)},
		{"address street", address(`<StructuredAddress><HouseName>H</HouseName><Street>S</Street><PostOfficeBox>1` +
			`</PostOfficeBox><District>D</District><Country>US</Country></StructuredAddress>`)},
		{"address district only", address(`<StructuredAddress><District>D</District></StructuredAddress>`)},
		{"address locality only", address(`<StructuredAddress><Locality>Bath</Locality></StructuredAddress>`)},
		{"address line2 alone", address(`<StructuredAddress><Line2>x</Line2></StructuredAddress>`)},
		{"unstructured address", address(`<UnstructuredAddress><UnstructuredAddressType>Text</UnstructuredAddressType>` +
			`<UnstructuredAddressData>x</UnstructuredAddressData></UnstructuredAddress>`)},
		{"fiscal", fiscal(`<FiscalTransactionReferenceId><AgencyId>X</AgencyId><FiscalTransactionIdentifierValue>1` +
			`</FiscalTransactionIdentifierValue></FiscalTransactionReferenceId>` + amount + `<ItemDetails>` + item +
			`<BibliographicDescription/><DateRenewed>2020-01-01T00:00:00Z</DateRenewed><DateRenewed>2020-02-01T00:00:00Z` +
			`</DateRenewed><NonReturnableFlag/></ItemDetails>`)},
		{"fiscal money decimal", fiscal(`<Amount><CurrencyCode>USD</CurrencyCode><MonetaryValue>1.50</MonetaryValue></Amount>`)},
		{"fiscal without amount", fiscal(``)},
	}, deepMessageCases(item, user)...)
}

// deepMessageCases are whole services, Ext, xsi attributes and value edges.
func deepMessageCases(item, user string) []struct{ name, body string } {
	return []struct{ name, body string }{
		{"checkout full", `<CheckOutItem><InitiationHeader><FromSystemId>S</FromSystemId><FromAgencyId><AgencyId>A</AgencyId>` +
			`</FromAgencyId><OnBehalfOfAgency><AgencyId>D</AgencyId></OnBehalfOfAgency><ToAgencyId><AgencyId>B</AgencyId>` +
			`</ToAgencyId><ApplicationProfileType>P</ApplicationProfileType></InitiationHeader><MandatedAction>` +
			`<DateEventOccurred>2020-01-01T00:00:00Z</DateEventOccurred></MandatedAction><AuthenticationInput>` +
			`<AuthenticationInputData>1</AuthenticationInputData><AuthenticationDataFormatType>text/plain` +
			`</AuthenticationDataFormatType><AuthenticationInputType>Barcode Id</AuthenticationInputType></AuthenticationInput>` +
			item + `<PaidFeeAmount><CurrencyCode>USD</CurrencyCode><MonetaryValue>5</MonetaryValue></PaidFeeAmount>` +
			`<ShippingInformation><ElectronicAddress><ElectronicAddressType>mailto</ElectronicAddressType>` +
			`<ElectronicAddressData>a@b</ElectronicAddressData></ElectronicAddress></ShippingInformation><ResourceDesired/>` +
			`<DesiredDateDue>2020-01-01T00:00:00+01:00</DesiredDateDue><ItemElementType>Location</ItemElementType></CheckOutItem>`},
		{"lookup item", `<LookupItem><RequestId><RequestIdentifierValue>1</RequestIdentifierValue></RequestId>` +
			`<CurrentBorrowerDesired/><CurrentRequestersDesired/></LookupItem>`},
		{"lookup item flag with child", `<LookupItem>` + item + `<CurrentBorrowerDesired><Ext/></CurrentBorrowerDesired></LookupItem>`},
		{"checkout response problem", `<CheckOutItemResponse><Problem><ProblemType>User Blocked</ProblemType><ProblemDetail>d` +
			`</ProblemDetail><ProblemElement>UserId</ProblemElement><ProblemValue>1</ProblemValue><Ext/></Problem><Problem>` +
			`<ProblemType>x</ProblemType></Problem><RequiredFeeAmount><CurrencyCode>USD</CurrencyCode><MonetaryValue>1` +
			`</MonetaryValue></RequiredFeeAmount><RequiredItemUseRestrictionType>x</RequiredItemUseRestrictionType>` +
			`</CheckOutItemResponse>`},
		{"problem without type", `<DeleteItemResponse><Problem><ProblemDetail>d</ProblemDetail></Problem></DeleteItemResponse>`},
		{"cancel request response", `<CancelRequestItemResponse><RequestId><RequestIdentifierValue>1</RequestIdentifierValue>` +
			`</RequestId>` + item + user + `</CancelRequestItemResponse>`},
		{"ext with declared elements", `<DeleteItem>` + item + `<Ext><AgencyId>X</AgencyId>` + item +
			`<LookupUser>` + user + `</LookupUser></Ext></DeleteItem>`}, // LookupUser is only noted (v2.unchecked)
		{"ext with a broken declared element", `<DeleteItem>` + item + `<Ext><ItemId/></Ext></DeleteItem>`},
		{"ext with an undeclared element", `<DeleteItem>` + item + `<Ext><Whatever/></Ext></DeleteItem>`},
		{"ext with a foreign element", `<DeleteItem>` + item + `<Ext><o:Whatever xmlns:o="urn:o"/></Ext></DeleteItem>`},
		{"ext with text", `<DeleteItem>` + item + `<Ext>note</Ext></DeleteItem>`},
		{"ext only message", `<Ext/>`},
		{"problem then ext", `<Problem><ProblemType>x</ProblemType></Problem><Ext/>`},
		{"problems", `<Problem><ProblemType>x</ProblemType></Problem><Problem><ProblemType>y</ProblemType></Problem>`},
		{"empty message", ``},
		{"xsi attributes", `<DeleteItem xsi:schemaLocation="http://www.niso.org/2008/ncip x.xsd">` +
			`<ItemId><AgencyId xsi:type="SchemeValuePair">X</AgencyId><ItemIdentifierValue>1</ItemIdentifierValue></ItemId></DeleteItem>`},
		{"xsi type on complex", `<DeleteItem><ItemId xsi:type="SchemeValuePair"><ItemIdentifierValue>1</ItemIdentifierValue>` +
			`</ItemId></DeleteItem>`},
		{"xsi nil", `<DeleteItem>` + item + `<Ext xsi:nil="false"/></DeleteItem>`},
		{"bad scheme uri", `<DeleteItem><ItemId><AgencyId ncip:Scheme="http://x/%zz">X</AgencyId>` +
			`<ItemIdentifierValue>1</ItemIdentifierValue></ItemId></DeleteItem>`},
		{"odd but valid scheme uri", `<DeleteItem><ItemId><AgencyId ncip:Scheme="local scheme/ü">X</AgencyId>` +
			`<ItemIdentifierValue>1</ItemIdentifierValue></ItemId></DeleteItem>`},
		{"scheme on a string", `<DeleteItem><ItemId><ItemIdentifierValue ncip:Scheme="x">1</ItemIdentifierValue></ItemId></DeleteItem>`},
		{"child in a string", `<DeleteItem><ItemId><ItemIdentifierValue>1<Ext/></ItemIdentifierValue></ItemId></DeleteItem>`},
		{"date edge 24:00", `<CheckOutItemResponse>` + item + user + `<DateDue>2020-12-31T24:00:00-14:00</DateDue></CheckOutItemResponse>`},
		{"date leap", `<CheckOutItemResponse>` + item + user + `<DateDue>2100-02-29T00:00:00</DateDue></CheckOutItemResponse>`},
		{"date fraction", `<CheckOutItemResponse>` + item + user + `<DateDue>2000-02-29T23:59:59.999999</DateDue></CheckOutItemResponse>`},
		{"renewal count signs", `<CheckOutItemResponse>` + item + user + `<IndeterminateLoanPeriodFlag/><RenewalCount>+0` +
			`</RenewalCount></CheckOutItemResponse>`},
	}
}

// TestDeepAgreesWithXmllint compares the checker's verdict with xmllint's on deepCases.
func TestDeepAgreesWithXmllint(t *testing.T) {
	dir := t.TempDir()
	cases := deepCases()
	paths := make([]string, len(cases))
	for i, tc := range cases {
		msg := `<NCIPMessage xmlns="http://www.niso.org/2008/ncip" xmlns:ncip="http://www.niso.org/2008/ncip"` +
			` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ncip:version="` + "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd" +
			`">` + "\n" + tc.body + "\n</NCIPMessage>\n"
		paths[i] = filepath.Join(dir, fmt.Sprintf("deep-%02d.xml", i))
		if err := os.WriteFile(paths[i], []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	verdicts := runXmllint(t, paths)
	invalid := 0
	for i, tc := range cases {
		v := verdicts[paths[i]]
		r := checkFile(t, paths[i])
		if !v.valid {
			invalid++
		}
		if r.OK() != v.valid {
			var xe []string
			for _, e := range v.errors {
				xe = append(xe, fmt.Sprintf("%s: %s", e.element, e.text))
			}
			t.Errorf("%s: xmllint valid=%v, checker OK=%v\nxmllint: %s\nchecker:%s", tc.name, v.valid, r.OK(),
				strings.Join(xe, "\n\t"), dump(r))
		}
	}
	t.Logf("compared %d hand-written deep messages with xmllint (%d invalid)", len(cases), invalid)
}
