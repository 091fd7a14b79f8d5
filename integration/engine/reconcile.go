package engine

import (
	"fmt"

	"github.com/annexlab/annex/integration/outbox"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
)

// lookups is how the outbox asks a profile's library whether a message in
// doubt took effect (docs/design.md, "Nothing done twice"): an NCIP LookupItem
// about the message's item, with the message's own InitiationHeader (the
// agencies, profile code and desk the library already accepts from us),
// rendered in the profile's style so it is as deterministic as the message.
type lookups struct {
	p *profile.Profile
}

var _ outbox.Reconciler = lookups{}

// reconciler returns the profile's Reconciler, nil when the profile says
// its library cannot be asked (at-least-once delivery).
func reconciler(p *profile.Profile) outbox.Reconciler {
	if !p.Lookups() {
		return nil
	}
	return lookups{p: p}
}

// Query renders the LookupItem about m's item (or, for a title-level
// CancelRequestItem, its request).
func (l lookups) Query(m store.Message) ([]byte, error) {
	msg, _, err := ncip.Decode(m.Payload, ncip.ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("lookup for message %d: %w", m.ID, err)
	}
	q := &ncip.LookupItem{ItemElementType: []ncip.SchemeValue{{Value: ncip.ItemElementCirculationStatus}}}
	if msg.Version == ncip.V1 {
		q.ItemElementType[0].Scheme = ncip.SchemeV1ItemElementType
	}
	switch b := msg.Body.(type) {
	case *ncip.CheckOutItem:
		q.InitiationHeader, q.ItemId = b.InitiationHeader, &b.ItemId
		q.CurrentBorrowerDesired = true
	case *ncip.CheckInItem:
		q.InitiationHeader, q.ItemId = b.InitiationHeader, &b.ItemId
	case *ncip.CancelRequestItem:
		q.InitiationHeader, q.ItemId, q.RequestId = b.InitiationHeader, b.ItemId, b.RequestId
		if q.ItemId != nil {
			q.RequestId = nil // LookupItem takes one key: the item, when known
		}
	default:
		return nil, fmt.Errorf("lookup for message %d: %s has no lookup", m.ID, msg.Body.ServiceName())
	}
	if q.ItemId == nil && q.RequestId == nil {
		return nil, fmt.Errorf("lookup for message %d: %s names no item or request", m.ID, m.Service)
	}
	out, err := ncip.Encode(&ncip.Message{Version: msg.Version, Body: q}, l.p.Style.NCIP())
	if err != nil {
		return nil, fmt.Errorf("lookup for message %d: %w", m.ID, err)
	}
	return out, nil
}

// Applied reads the item's circulation status as the effect of each
// service leaves it (docs/libraries.md):
//   - CheckOutItem: the item left the shelf — in transit to its pickup
//     location (ALMA, a requested item) or on loan, to the facility's
//     user when the answer names the borrower;
//   - CheckInItem: the item is on the shelf again (in its remote-storage
//     location: CheckInItem is what puts it there);
//   - CancelRequestItem: the item is missing (ALMA marks it so with the
//     cancellation).
func (l lookups) Applied(m store.Message, answer *ncip.Message) (bool, error) {
	r, ok := answer.Body.(*ncip.LookupItemResponse)
	if !ok {
		return false, fmt.Errorf("answer to LookupItem is %s", answer.Body.ServiceName())
	}
	status := r.CirculationStatus()
	if status == "" {
		return false, fmt.Errorf("LookupItemResponse for %s has no CirculationStatus", m.Barcode)
	}
	switch m.Service {
	case "CheckOutItem":
		switch status {
		case ncip.CirculationInTransit:
			return true, nil
		case ncip.CirculationOnLoan:
			b := r.CurrentBorrower()
			return b == "" || b == l.checkOutUser(m), nil
		}
		return false, nil
	case "CheckInItem":
		return status == ncip.CirculationAvailableOnShelf, nil
	case "CancelRequestItem":
		return status == ncip.CirculationMissing, nil
	}
	return false, fmt.Errorf("no lookup rule for %s", m.Service)
}

// checkOutUser is the user m checked the item out to, read back from its payload.
func (l lookups) checkOutUser(m store.Message) string {
	msg, _, err := ncip.Decode(m.Payload, ncip.ParseOptions{})
	if err != nil {
		return ""
	}
	if b, ok := msg.Body.(*ncip.CheckOutItem); ok && b.UserId != nil {
		return b.UserId.UserIdentifierValue
	}
	return ""
}
