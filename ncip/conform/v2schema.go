package conform

// The NCIP 2 schema, transcribed by hand into the content-model DSL from
// testdata/xsd/ncip_v2_02.xsd (NISO Z39.83-1-2012, version 2.02). It covers
// NCIPMessage and the transitive closure of the modelled services: every
// element they can contain, to the leaves. xsd_test.go parses the XSD and
// proves each model and leaf type here equals the schema's.

// v2Modelled reports whether annex models an NCIP 2 service: its content is
// checked to the leaves. Other services get the envelope checks only.
func v2Modelled(service string) bool {
	switch service {
	case "CancelRequestItem", "CancelRequestItemResponse", "CheckInItem", "CheckInItemResponse",
		"CheckOutItem", "CheckOutItemResponse", "DeleteItem", "DeleteItemResponse",
		"LookupItem", "LookupItemResponse":
		return true
	}
	return false
}

// v2Models returns the content model of every element with element content
// (xs:complexType with a sequence) in the closure of the modelled services.
func v2Models() map[string]particle {
	return map[string]particle{
		// Exactly one message body: a service, message-level Problems, or Ext.
		"NCIPMessage": seq(choice(
			"AcceptItem", "AcceptItemResponse", "AgencyCreated", "AgencyCreatedResponse", "AgencyUpdated",
			"AgencyUpdatedResponse", "CancelRecallItem", "CancelRecallItemResponse", "CancelRequestItem",
			"CancelRequestItemResponse", "CheckInItem", "CheckInItemResponse", "CheckOutItem", "CheckOutItemResponse",
			"CirculationStatusChangeReported", "CirculationStatusChangeReportedResponse", "CirculationStatusUpdated",
			"CirculationStatusUpdatedResponse", "CreateAgency", "CreateAgencyResponse", "CreateItem",
			"CreateItemResponse", "CreateUser", "CreateUserResponse", "CreateUserFiscalTransaction",
			"CreateUserFiscalTransactionResponse", "DeleteItem", "DeleteItemResponse", "DeleteUser",
			"DeleteUserResponse", "ItemCheckedIn", "ItemCheckedInResponse", "ItemCheckedOut", "ItemCheckedOutResponse",
			"ItemCreated", "ItemCreatedResponse", "ItemRecallCancelled", "ItemRecallCancelledResponse", "ItemRecalled",
			"ItemRecalledResponse", "ItemReceived", "ItemReceivedResponse", "ItemRenewed", "ItemRenewedResponse",
			"ItemRequestCancelled", "ItemRequestCancelledResponse", "ItemRequestUpdated", "ItemRequestUpdatedResponse",
			"ItemRequested", "ItemRequestedResponse", "ItemShipped", "ItemShippedResponse", "ItemUpdated",
			"ItemUpdatedResponse", "LookupAgency", "LookupAgencyResponse", "LookupItem", "LookupItemResponse",
			"LookupItemSet", "LookupItemSetResponse", "LookupRequest", "LookupRequestResponse", "LookupUser",
			"LookupUserResponse", "RecallItem", "RecallItemResponse", "RenewItem", "RenewItemResponse",
			"ReportCirculationStatusChange", "ReportCirculationStatusChangeResponse", "RequestItem",
			"RequestItemResponse", "SendUserNotice", "SendUserNoticeResponse", "UndoCheckOutItem",
			"UndoCheckOutItemResponse", "UpdateAgency", "UpdateAgencyResponse", "UpdateCirculationStatus",
			"UpdateCirculationStatusResponse", "UpdateItem", "UpdateItemResponse", "UpdateRequestItem",
			"UpdateRequestItemResponse", "UpdateUser", "UpdateUserResponse", "UserCreated", "UserCreatedResponse",
			"UserFiscalTransactionCreated", "UserFiscalTransactionCreatedResponse", "UserNoticeSent",
			"UserNoticeSentResponse", "UserUpdated", "UserUpdatedResponse", "Problem+", "Ext",
		)),
		"AcknowledgedFeeAmount": seq("CurrencyCode", "MonetaryValue", "Ext?"),
		"Amount":                seq("CurrencyCode", "MonetaryValue", "Ext?"),
		"AuthenticationInput": seq(
			"AuthenticationInputData", "AuthenticationDataFormatType", "AuthenticationInputType", "Ext?",
		),
		"BibliographicDescription": seq(
			"Author?", "AuthorOfComponent?", "BibliographicItemId?", "BibliographicRecordId*", "ComponentId?",
			"Edition?", "Pagination?", "PlaceOfPublication?", "PublicationDate?", "PublicationDateOfComponent?",
			"Publisher?", "SeriesTitleNumber?", "Title?", "TitleOfComponent?", "BibliographicLevel?",
			"SponsoringBody?", "ElectronicDataFormatType?", "Language?", "MediumType?", "Ext?",
		),
		"BibliographicItemId": seq("BibliographicItemIdentifier", "BibliographicItemIdentifierCode?", "Ext?"),
		"BibliographicRecordId": seq(
			"BibliographicRecordIdentifier", choice("AgencyId", "BibliographicRecordIdentifierCode"), "Ext?",
		),
		"BlockOrTrap": seq("AgencyId", "BlockOrTrapType", "ValidFromDate?", "ValidToDate?", "Ext?"),
		"CancelRequestItem": seq(
			"InitiationHeader?", "MandatedAction?", choice("UserId", "AuthenticationInput+"),
			choice("ItemId", seq("RequestId", "ItemId?")), "RequestType", "RequestScopeType?",
			"AcknowledgedFeeAmount?", "PaidFeeAmount?", "ItemElementType*", "UserElementType*", "Ext?",
		),
		"CancelRequestItemResponse": seq(
			"ResponseHeader?",
			choice(
				"Problem+",
				seq(
					choice("ItemId", seq("RequestId", "ItemId?")), "UserId",
					"FiscalTransactionInformation?", "ItemOptionalFields?", "UserOptionalFields?",
				),
			),
			"Ext?",
		),
		"CheckInItem": seq("InitiationHeader?", "MandatedAction?", "ItemId", "ItemElementType*", "UserElementType*", "Ext?"),
		"CheckInItemResponse": seq(
			"ResponseHeader?",
			choice(
				"Problem+",
				seq(
					"ItemId", "UserId?", "RoutingInformation?",
					"FiscalTransactionInformation?", "ItemOptionalFields?", "UserOptionalFields?",
				),
			),
			"Ext?",
		),
		"CheckOutItem": seq(
			"InitiationHeader?", "MandatedAction?", choice("UserId", "AuthenticationInput+"), "ItemId", "RequestId?",
			"AcknowledgedFeeAmount?", "PaidFeeAmount?", "AcknowledgedItemUseRestrictionType*", "ShippingInformation?",
			"ResourceDesired?", "DesiredDateDue?", "ItemElementType*", "UserElementType*", "Ext?",
		),
		"CheckOutItemResponse": seq(
			"ResponseHeader?",
			choice(
				seq("Problem+", "RequiredFeeAmount?", "RequiredItemUseRestrictionType*"),
				seq(
					"ItemId", "UserId", choice("DateDue", "IndeterminateLoanPeriodFlag", "NonReturnableFlag"),
					"RenewalCount?", "ElectronicResource?", "FiscalTransactionInformation?",
					"ItemOptionalFields?", "UserOptionalFields?",
				),
			),
			"Ext?",
		),
		"ChronologyLevelInstance": seq(
			choice("ChronologyCaption", seq("ChronologyLevel", "ChronologyCaption?")), "ChronologyValue", "Ext?",
		),
		"ComponentId":        seq("ComponentIdentifierType", "ComponentIdentifier", "Ext?"),
		"CurrentBorrower":    seq("UserId", "Ext?"),
		"CurrentRequester":   seq("UserId", "Ext?"),
		"DeleteItem":         seq("InitiationHeader?", "MandatedAction?", "ItemId", "Ext?"),
		"DeleteItemResponse": seq("ResponseHeader?", choice("Problem+", "ItemId"), "Ext?"),
		"Destination":        seq(choice("Location", seq("BinNumber", "Location?")), "Ext?"),
		"ElectronicAddress":  seq("ElectronicAddressType", "ElectronicAddressData", "Ext?"),
		"ElectronicResource": seq(choice(seq("ElectronicDataFormatType", "ActualResource"), "ReferenceToResource"), "Ext?"),
		"EnumerationLevelInstance": seq(
			choice("EnumerationCaption", seq("EnumerationLevel", "EnumerationCaption?", "Ext?")), "EnumerationValue",
			"Ext?",
		),
		"Ext": seq(wildcard()),
		"FiscalTransactionInformation": seq(
			"FiscalActionType", "FiscalTransactionReferenceId?", "RelatedFiscalTransactionReferenceId*",
			"FiscalTransactionType", "ValidFromDate?", "ValidToDate?", "Amount", "PaymentMethodType?",
			"FiscalTransactionDescription?", "RequestId?", "ItemDetails?", "Ext?",
		),
		"FiscalTransactionReferenceId": seq("AgencyId", "FiscalTransactionIdentifierValue", "Ext?"),
		"FromAgencyId":                 seq("AgencyId", "Ext?"),
		"HoldingsChronology":           seq("ChronologyLevelInstance+", "Ext?"),
		"HoldingsEnumeration":          seq("EnumerationLevelInstance+", "Ext?"),
		"HoldingsInformation":          seq(choice("StructuredHoldingsData+", "UnstructuredHoldingsData"), "Ext?"),
		"InitiationHeader": seq(
			"FromSystemId?", "FromSystemAuthentication?", "FromAgencyId", "FromAgencyAuthentication?",
			"OnBehalfOfAgency?", "ToSystemId?", "ToAgencyId", "ApplicationProfileType?", "Ext?",
		),
		"ItemDescription": seq(
			"CallNumber?", "CopyNumber?", "ItemDescriptionLevel?", "HoldingsInformation?", "NumberOfPieces?", "Ext?",
		),
		"ItemDetails": seq(
			"ItemId", "BibliographicDescription", "DateCheckedOut?", "DateRenewed*",
			opt(choice("DateDue", "IndeterminateLoanPeriodFlag", "NonReturnableFlag")), "DateReturned?", "Ext?",
		),
		"ItemId": seq("AgencyId?", "ItemIdentifierType?", "ItemIdentifierValue", "Ext?"),
		"ItemOptionalFields": seq(
			"BibliographicDescription?", "ItemUseRestrictionType*", "CirculationStatus?", "HoldQueueLength?",
			"ItemDescription?", "Location*", "PhysicalCondition?", "ElectronicResource?", "SecurityMarker?",
			"SensitizationFlag?", "DateDue?", "Ext?",
		),
		"ItemTransaction":      seq("CurrentBorrower?", "CurrentRequester*", "Ext?"),
		"Location":             seq("LocationType", "LocationName", "ValidFromDate?", "ValidToDate?", "Ext?"),
		"LocationName":         seq("LocationNameInstance+", "Ext?"),
		"LocationNameInstance": seq("LocationNameLevel", "LocationNameValue", "Ext?"),
		"LookupItem": seq(
			"InitiationHeader?", choice("ItemId", "RequestId"), "ItemElementType*", "CurrentBorrowerDesired?",
			"CurrentRequestersDesired?", "Ext?",
		),
		"LookupItemResponse": seq(
			"ResponseHeader?",
			choice(
				"Problem+",
				seq(
					choice("ItemId", seq("RequestId", "ItemId?")),
					"HoldPickupDate?", "DateRecalled?", "ItemTransaction?", "ItemOptionalFields?",
				),
			),
			"Ext?",
		),
		"MandatedAction":              seq("DateEventOccurred", "Ext?"),
		"NameInformation":             seq(choice("PersonalNameInformation", "OrganizationNameInformation+"), "Ext?"),
		"OnBehalfOfAgency":            seq("AgencyId", "Ext?"),
		"OrganizationNameInformation": seq("OrganizationNameType", "OrganizationName", "Ext?"),
		"PaidFeeAmount":               seq("CurrencyCode", "MonetaryValue", "Ext?"),
		"PersonalNameInformation": seq(
			choice("UnstructuredPersonalUserName", seq("StructuredPersonalUserName", "UnstructuredPersonalUserName?")),
			"Ext?",
		),
		"PhysicalAddress":                     seq(choice("StructuredAddress", "UnstructuredAddress"), "PhysicalAddressType", "Ext?"),
		"PhysicalCondition":                   seq("PhysicalConditionType", "PhysicalConditionDetails?", "Ext?"),
		"PreviousUserId":                      seq("AgencyId", "UserIdentifierValue", "ValidFromDate?", "ValidToDate?", "Ext?"),
		"Problem":                             seq("ProblemType", "ProblemDetail?", "ProblemElement?", "ProblemValue?", "Ext?"),
		"RelatedFiscalTransactionReferenceId": seq("AgencyId", "FiscalTransactionIdentifierValue", "Ext?"),
		"RequestId":                           seq("AgencyId?", "RequestIdentifierType?", "RequestIdentifierValue", "Ext?"),
		"RequiredFeeAmount":                   seq("CurrencyCode", "MonetaryValue", "Ext?"),
		"ResponseHeader": seq(
			"FromSystemId?", "FromSystemAuthentication?", "FromAgencyId", "FromAgencyAuthentication?", "ToSystemId?",
			"ToAgencyId", "Ext?",
		),
		"RoutingInformation": seq(
			"RoutingInstructions", "Destination", "RequestType?", "UserId?", "NameInformation?", "Ext?",
		),
		"ShippingInformation": seq(
			"ShippingInstructions?", "ShippingNote?", choice("PhysicalAddress", "ElectronicAddress"), "Ext?",
		),
		"StructuredAddress": seq(
			choice(
				seq(
					"LocationWithinBuilding?", "HouseName?",
					choice("District", seq("PostOfficeBox", "District?"), seq("Street", "PostOfficeBox?", "District?")),
				),
				seq("Line1", "Line2?"),
			),
			"Locality?", "Region?", "Country?", "PostalCode?", "CareOf?", "Ext?",
		),
		"StructuredHoldingsData": seq(
			choice("HoldingsChronology", seq("HoldingsEnumeration", "HoldingsChronology?")), "Ext?",
		),
		"StructuredPersonalUserName": seq("Prefix?", "GivenName?", "Initials?", "Surname", "Suffix?", "Ext?"),
		"ToAgencyId":                 seq("AgencyId", "Ext?"),
		"UnstructuredAddress":        seq("UnstructuredAddressType", "UnstructuredAddressData", "Ext?"),
		"UserAddressInformation": seq(
			"UserAddressRoleType", "ValidFromDate?", "ValidToDate?", choice("PhysicalAddress", "ElectronicAddress"),
			"Ext?",
		),
		"UserId": seq("AgencyId?", "UserIdentifierType?", "UserIdentifierValue", "Ext?"),
		"UserOptionalFields": seq(
			"NameInformation?", "UserAddressInformation*", "DateOfBirth?", "UserLanguage*", "UserPrivilege*",
			"BlockOrTrap*", "UserId*", "PreviousUserId*", "Ext?",
		),
		"UserPrivilege": seq(
			"AgencyId", "AgencyUserPrivilegeType", "ValidFromDate?", "ValidToDate?", "UserPrivilegeFee?",
			"UserPrivilegeStatus?", "UserPrivilegeDescription?", "Ext?",
		),
		"UserPrivilegeFee":    seq("Amount", "PaymentMethodType?", "Ext?"),
		"UserPrivilegeStatus": seq("UserPrivilegeStatusType", "DateOfUserPrivilegeStatus?", "Ext?"),
	}
}

// v2Leaves returns the elements of the closure with simple content, or empty
// content (the "flag" types), by kind.
func v2Leaves() map[kind][]string {
	return map[kind][]string{
		// xs:complexType SchemeValuePair: a string with an optional qualified Scheme attribute.
		kSchemeValue: {
			"AcknowledgedItemUseRestrictionType", "AgencyId", "AgencyUserPrivilegeType", "ApplicationProfileType",
			"AuthenticationDataFormatType", "AuthenticationInputType", "BibliographicItemIdentifierCode",
			"BibliographicLevel", "BibliographicRecordIdentifierCode", "BlockOrTrapType", "CirculationStatus",
			"ComponentIdentifierType", "CurrencyCode", "ElectronicAddressType", "ElectronicDataFormatType",
			"FiscalActionType", "FiscalTransactionType", "FromSystemId", "ItemDescriptionLevel", "ItemElementType",
			"ItemIdentifierType", "ItemUseRestrictionType", "Language", "LocationType", "MediumType",
			"OrganizationNameType", "PaymentMethodType", "PhysicalAddressType", "PhysicalConditionType", "ProblemType",
			"RequestIdentifierType", "RequestScopeType", "RequestType", "RequiredItemUseRestrictionType",
			"SecurityMarker", "ToSystemId", "UnstructuredAddressType", "UserAddressRoleType", "UserElementType",
			"UserIdentifierType", "UserLanguage", "UserPrivilegeStatusType",
		},
		kString: {
			"ActualResource", "AuthenticationInputData", "Author", "AuthorOfComponent", "BibliographicItemIdentifier",
			"BibliographicRecordIdentifier", "BinNumber", "CallNumber", "CareOf", "ChronologyCaption", "ChronologyValue",
			"ComponentIdentifier", "CopyNumber", "Country", "District", "Edition", "ElectronicAddressData",
			"EnumerationCaption", "EnumerationValue", "FiscalTransactionDescription", "FiscalTransactionIdentifierValue",
			"FromAgencyAuthentication", "FromSystemAuthentication", "GivenName", "HouseName", "Initials",
			"ItemIdentifierValue", "Line1", "Line2", "Locality", "LocationNameValue", "LocationWithinBuilding",
			"OrganizationName", "Pagination", "PhysicalConditionDetails", "PlaceOfPublication", "PostOfficeBox",
			"PostalCode", "Prefix", "ProblemDetail", "ProblemElement", "ProblemValue", "PublicationDate",
			"PublicationDateOfComponent", "Publisher", "ReferenceToResource", "Region", "RequestIdentifierValue",
			"RoutingInstructions", "SeriesTitleNumber", "ShippingInstructions", "ShippingNote", "SponsoringBody",
			"Street", "Suffix", "Surname", "Title", "TitleOfComponent", "UnstructuredAddressData",
			"UnstructuredHoldingsData", "UnstructuredPersonalUserName", "UserIdentifierValue", "UserPrivilegeDescription",
		},
		kDateTime: {
			"DateCheckedOut", "DateDue", "DateEventOccurred", "DateOfBirth", "DateOfUserPrivilegeStatus", "DateRecalled",
			"DateRenewed", "DateReturned", "DesiredDateDue", "HoldPickupDate", "ValidFromDate", "ValidToDate",
		},
		kInteger: {
			"MonetaryValue",
		},
		kNonNegativeInteger: {
			"HoldQueueLength", "RenewalCount",
		},
		kPositiveInteger: {
			"ChronologyLevel", "EnumerationLevel", "LocationNameLevel", "NumberOfPieces",
		},
		// <xs:complexType/>: no content at all.
		kEmpty: {
			"CurrentBorrowerDesired", "CurrentRequestersDesired", "IndeterminateLoanPeriodFlag", "NonReturnableFlag",
			"ResourceDesired", "SensitizationFlag",
		},
	}
}

// v2GlobalElements returns the names of all the schema's global elements. Ext
// holds <xs:any/> with the default processContents="strict", so only these may
// appear in it; those outside the closure above are not checked further.
func v2GlobalElements() []string {
	return []string{
		"AcceptItem", "AcceptItemResponse", "AccountBalance", "AccountDetails", "AccrualDate",
		"AcknowledgedFeeAmount", "AcknowledgedItemUseRestrictionType", "ActualResource", "AddAgencyFields",
		"AddItemFields", "AddRequestFields", "AddUserFields", "AgencyAddressInformation", "AgencyAddressRoleType",
		"AgencyCreated", "AgencyCreatedResponse", "AgencyElementType", "AgencyId", "AgencyUpdated",
		"AgencyUpdatedResponse", "AgencyUserPrivilegeType", "Amount", "ApplicationProfileSupportedType",
		"ApplicationProfileType", "AuthenticationDataFormatType", "AuthenticationInput", "AuthenticationInputData",
		"AuthenticationInputType", "AuthenticationPrompt", "AuthenticationPromptData", "AuthenticationPromptType",
		"Author", "AuthorOfComponent", "BibInformation", "BibliographicDescription", "BibliographicId",
		"BibliographicItemId", "BibliographicItemIdentifier", "BibliographicItemIdentifierCode",
		"BibliographicLevel", "BibliographicRecordId", "BibliographicRecordIdentifier",
		"BibliographicRecordIdentifierCode", "BinNumber", "BlockOrTrap", "BlockOrTrapType", "CallNumber",
		"CancelRecallItem", "CancelRecallItemResponse", "CancelRequestItem", "CancelRequestItemResponse", "CareOf",
		"CheckInItem", "CheckInItemResponse", "CheckOutItem", "CheckOutItemResponse", "ChronologyCaption",
		"ChronologyLevel", "ChronologyLevelInstance", "ChronologyValue", "CirculationStatus",
		"CirculationStatusChangeReported", "CirculationStatusChangeReportedResponse", "CirculationStatusUpdated",
		"CirculationStatusUpdatedResponse", "ComponentId", "ComponentIdentifier", "ComponentIdentifierType",
		"ConsortiumAgreement", "CopyNumber", "Country", "CreateAgency", "CreateAgencyResponse", "CreateItem",
		"CreateItemResponse", "CreateUser", "CreateUserFiscalTransaction", "CreateUserFiscalTransactionResponse",
		"CreateUserResponse", "CurrencyCode", "CurrentBorrower", "CurrentBorrowerDesired", "CurrentRequester",
		"CurrentRequestersDesired", "DateAvailable", "DateCheckedOut", "DateDue", "DateEventOccurred",
		"DateForReturn", "DateOfBirth", "DateOfExpectedReply", "DateOfUserPrivilegeStatus", "DateOfUserRequest",
		"DatePlaced", "DateRecalled", "DateReceived", "DateRenewed", "DateReportedReturned", "DateReturned",
		"DateSent", "DateShipped", "DateToSend", "DateWillSend", "DeleteAgencyFields", "DeleteItem",
		"DeleteItemFields", "DeleteItemResponse", "DeleteRequestFields", "DeleteUser", "DeleteUserFields",
		"DeleteUserResponse", "DesiredDateDue", "DesiredDateForReturn", "Destination", "District",
		"EarliestDateNeeded", "Edition", "ElectronicAddress", "ElectronicAddressData", "ElectronicAddressType",
		"ElectronicDataFormatType", "ElectronicResource", "ElectronicResourceProvidedFlag", "EnumerationCaption",
		"EnumerationLevel", "EnumerationLevelInstance", "EnumerationValue", "Ext", "FiscalActionType",
		"FiscalTransactionDescription", "FiscalTransactionIdentifierValue", "FiscalTransactionInformation",
		"FiscalTransactionReferenceId", "FiscalTransactionType", "FromAgencyAuthentication", "FromAgencyId",
		"FromSystemAuthentication", "FromSystemId", "GivenName", "HoldPickupDate", "HoldQueueLength",
		"HoldQueuePosition", "HoldingsChronology", "HoldingsEnumeration", "HoldingsInformation", "HoldingsSet",
		"HoldingsSetId", "HouseName", "IndeterminateLoanPeriodFlag", "Initials", "InitiationHeader", "ItemCheckedIn",
		"ItemCheckedInResponse", "ItemCheckedOut", "ItemCheckedOutResponse", "ItemCreated", "ItemCreatedResponse",
		"ItemDescription", "ItemDescriptionLevel", "ItemDetails", "ItemElementType", "ItemId", "ItemIdentifierType",
		"ItemIdentifierValue", "ItemInformation", "ItemNote", "ItemOptionalFields", "ItemRecallCancelled",
		"ItemRecallCancelledResponse", "ItemRecalled", "ItemRecalledResponse", "ItemReceived",
		"ItemReceivedResponse", "ItemRenewed", "ItemRenewedResponse", "ItemReportedLost", "ItemReportedMissing",
		"ItemReportedNeverBorrowed", "ItemReportedReturned", "ItemRequestCancelled", "ItemRequestCancelledResponse",
		"ItemRequestUpdated", "ItemRequestUpdatedResponse", "ItemRequested", "ItemRequestedResponse", "ItemShipped",
		"ItemShippedResponse", "ItemTransaction", "ItemUpdated", "ItemUpdatedResponse", "ItemUseRestrictionType",
		"Language", "Line1", "Line2", "LoanedItem", "LoanedItemCountValue", "LoanedItemsCount", "LoanedItemsDesired",
		"Locality", "Location", "LocationName", "LocationNameInstance", "LocationNameLevel", "LocationNameValue",
		"LocationType", "LocationWithinBuilding", "LookupAgency", "LookupAgencyResponse", "LookupItem",
		"LookupItemResponse", "LookupItemSet", "LookupItemSetResponse", "LookupRequest", "LookupRequestResponse",
		"LookupUser", "LookupUserResponse", "MandatedAction", "MaximumItemsCount", "MediumType", "MonetaryValue",
		"NCIPMessage", "NameInformation", "NeedBeforeDate", "NextItemToken", "NonReturnableFlag", "NoticeContent",
		"NoticeItem", "NoticeType", "NumberOfPieces", "OnBehalfOfAgency", "OrganizationName",
		"OrganizationNameInformation", "OrganizationNameType", "Pagination", "PaidFeeAmount", "PaymentMethodType",
		"Pending", "PersonalNameInformation", "PhysicalAddress", "PhysicalAddressType", "PhysicalCondition",
		"PhysicalConditionDetails", "PhysicalConditionType", "PickupDate", "PickupExpiryDate", "PickupLocation",
		"PlaceOfPublication", "PostOfficeBox", "PostalCode", "Prefix", "PreviousUserId", "Problem", "ProblemDetail",
		"ProblemElement", "ProblemType", "ProblemValue", "PromptInput", "PromptOutput", "PublicationDate",
		"PublicationDateOfComponent", "Publisher", "RecallItem", "RecallItemResponse", "ReferenceToResource",
		"Region", "RelatedFiscalTransactionReferenceId", "ReminderLevel", "RenewItem", "RenewItemResponse",
		"RenewalCount", "RenewalNotPermitted", "ReportCirculationStatusChange",
		"ReportCirculationStatusChangeResponse", "RequestElementType", "RequestId", "RequestIdentifierType",
		"RequestIdentifierValue", "RequestItem", "RequestItemResponse", "RequestScopeType", "RequestStatusType",
		"RequestType", "RequestedActionType", "RequestedItem", "RequestedItemCountValue", "RequestedItemsCount",
		"RequestedItemsDesired", "RequiredFeeAmount", "RequiredItemUseRestrictionType", "ResourceDesired",
		"ResponseHeader", "RoutingInformation", "RoutingInstructions", "SecurityMarker", "SendUserNotice",
		"SendUserNoticeResponse", "SensitiveDataFlag", "SensitizationFlag", "SeriesTitleNumber",
		"ShippingInformation", "ShippingInstructions", "ShippingNote", "SponsoringBody", "Street",
		"StructuredAddress", "StructuredHoldingsData", "StructuredPersonalUserName", "Suffix",
		"SummaryHoldingsInformation", "Surname", "Title", "TitleHoldQueueLength", "TitleOfComponent", "ToAgencyId",
		"ToSystemId", "UndoCheckOutItem", "UndoCheckOutItemResponse", "UnstructuredAddress",
		"UnstructuredAddressData", "UnstructuredAddressType", "UnstructuredHoldingsData",
		"UnstructuredPersonalUserName", "UpdateAgency", "UpdateAgencyResponse", "UpdateCirculationStatus",
		"UpdateCirculationStatusResponse", "UpdateItem", "UpdateItemResponse", "UpdateRequestItem",
		"UpdateRequestItemResponse", "UpdateUser", "UpdateUserResponse", "UserAddressInformation",
		"UserAddressRoleType", "UserCreated", "UserCreatedResponse", "UserElementEnum", "UserElementType",
		"UserFiscalAccount", "UserFiscalAccountDesired", "UserFiscalTransactionCreated",
		"UserFiscalTransactionCreatedResponse", "UserId", "UserIdentifierType", "UserIdentifierValue",
		"UserLanguage", "UserNoticeDetails", "UserNoticeSent", "UserNoticeSentResponse", "UserOptionalFields",
		"UserPrivilege", "UserPrivilegeDescription", "UserPrivilegeFee", "UserPrivilegeStatus",
		"UserPrivilegeStatusType", "UserUpdated", "UserUpdatedResponse", "ValidFromDate", "ValidToDate",
	}
}
