package ncip

import "strings"

// What a LookupItemResponse says about an item's circulation, read the same
// way in both versions: CirculationStatus is text in NCIP 2 and a
// Scheme/Value pair in NCIP 1; the borrower is UserId (v2) or UniqueUserId (v1).

// CirculationStatus values (the NCIP circulationstatus scheme) that annex
// reads and the mocks write.
const (
	CirculationAvailableOnShelf = "Available On Shelf"
	CirculationOnLoan           = "On Loan"
	CirculationInTransit        = "In Transit Between Library Locations"
	CirculationMissing          = "Missing"
	CirculationNotAvailable     = "Not Available"
)

// ItemElementCirculationStatus is the ItemElementType that asks LookupItem
// for the item's CirculationStatus.
const ItemElementCirculationStatus = "Circulation Status"

// NCIP 1 scheme URIs of the values above.
const (
	SchemeV1CirculationStatus = "http://www.niso.org/ncip/v1_0/schemes/circulationstatus/circulationstatus.scm"
	SchemeV1ItemElementType   = "http://www.niso.org/ncip/v1_0/schemes/itemelementtype/itemelementtype.scm"
)

// CirculationStatus returns ItemOptionalFields/CirculationStatus, "" when absent.
func (r *LookupItemResponse) CirculationStatus() string {
	if r == nil || r.ItemOptionalFields == nil {
		return ""
	}
	return codedText(r.ItemOptionalFields.Child("CirculationStatus"))
}

// CurrentBorrower returns the identifier of ItemTransaction/CurrentBorrower's
// user, "" when the answer names none.
func (r *LookupItemResponse) CurrentBorrower() string {
	if r == nil || r.ItemTransaction == nil {
		return ""
	}
	b := r.ItemTransaction.Child("CurrentBorrower")
	if b == nil {
		return ""
	}
	u := b.Child("UserId")
	if u == nil {
		u = b.Child("UniqueUserId")
	}
	if u == nil {
		return ""
	}
	if v := u.Child("UserIdentifierValue"); v != nil {
		return strings.TrimSpace(v.Text)
	}
	return ""
}

// codedText reads a coded value: the Value child in NCIP 1, the text in NCIP 2.
func codedText(el *Element) string {
	if el == nil {
		return ""
	}
	if v := el.Child("Value"); v != nil {
		return strings.TrimSpace(v.Text)
	}
	return strings.TrimSpace(el.Text)
}
