package engine

import (
	"fmt"
	"maps"
	"slices"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
)

// The NCIP messages the facility sends, built from CaiaSoft's settings
// (docs/libraries.md). They carry no dates of their own, so the same
// state and profile always give the same bytes.

// desk is the circulation desk of an item's ALMA library.
func desk(a *profile.ALMA, library string) string {
	if d := a.Desks[library]; d != "" {
		return d
	}
	return a.Desk
}

// almaHeader: From = the facility's agency, To = the institution, the desk
// on behalf of which ALMA "scans in", and the integration profile code.
func almaHeader(a *profile.ALMA, library string) *ncip.InitiationHeader {
	h := &ncip.InitiationHeader{FromAgencyId: ncip.SV(a.FromAgency), ToAgencyId: ncip.SV(a.ToAgency),
		ApplicationProfileType: &ncip.SchemeValue{Value: a.ProfileCode}}
	if d := desk(a, library); d != "" {
		h.OnBehalfOfAgency = &ncip.SchemeValue{Value: d}
	}
	return h
}

// alephHeader: From = CAIAAGENCY, To = CLIENTAGENCY; the application
// profile type (CAIAPROFILE) goes on Check In only.
func alephHeader(a *profile.ALEPH, checkIn bool) *ncip.InitiationHeader {
	h := &ncip.InitiationHeader{FromAgencyId: ncip.SV(a.FromAgency), ToAgencyId: ncip.SV(a.ToAgency)}
	if checkIn && a.ApplicationProfileType != "" {
		h.ApplicationProfileType = &ncip.SchemeValue{Value: a.ApplicationProfileType}
	}
	return h
}

// checkOut tells the library an item left storage. req is its request, if any.
func checkOut(p *profile.Profile, item store.Item, req *store.Request) (*ncip.Message, error) {
	if p.System == profile.SystemALMA {
		a := p.ALMA
		b := &ncip.CheckOutItem{InitiationHeader: almaHeader(a, item.Library),
			UserId: &ncip.UserId{UserIdentifierValue: a.CheckOutUser},
			ItemId: ncip.ItemId{ItemIdentifierValue: item.Barcode}}
		if req != nil {
			b.RequestId = &ncip.RequestId{RequestIdentifierValue: req.ID}
		}
		return &ncip.Message{Version: ncip.V2, Body: b}, nil
	}
	a := p.ALEPH
	agency := &ncip.SchemeValue{Value: a.ToAgency}
	var user string
	switch {
	case req != nil:
		user = a.Users[req.Stop]
	case len(a.Users) == 1:
		// No request to name a stop: the only configured user is the one.
		user = a.Users[slices.Collect(maps.Keys(a.Users))[0]]
	}
	if user == "" {
		stop := ""
		if req != nil {
			stop = req.Stop
		}
		return nil, fmt.Errorf("no ALEPH user for stop %q of item %s: %w", stop, item.Barcode, ErrNotNow)
	}
	b := &ncip.CheckOutItem{InitiationHeader: alephHeader(a, false),
		UserId: &ncip.UserId{AgencyId: agency, UserIdentifierValue: user},
		ItemId: ncip.ItemId{AgencyId: agency, ItemIdentifierValue: item.Barcode}}
	if req != nil {
		b.RequestId = &ncip.RequestId{AgencyId: agency, RequestIdentifierValue: req.ID}
	}
	return &ncip.Message{Version: ncip.V1, Body: b}, nil
}

// checkIn tells the library an item is (back) in storage.
func checkIn(p *profile.Profile, item store.Item) *ncip.Message {
	if p.System == profile.SystemALMA {
		return &ncip.Message{Version: ncip.V2, Body: &ncip.CheckInItem{InitiationHeader: almaHeader(p.ALMA, item.Library),
			ItemId: ncip.ItemId{ItemIdentifierValue: item.Barcode}}}
	}
	a := p.ALEPH
	return &ncip.Message{Version: ncip.V1, Body: &ncip.CheckInItem{InitiationHeader: alephHeader(a, true),
		ItemId: ncip.ItemId{AgencyId: &ncip.SchemeValue{Value: a.ToAgency}, ItemIdentifierValue: item.Barcode}}}
}

// cancelRequest tells ALMA a requested item does not exist in storage
// (or a title-level request cannot be filled): ALMA marks the item Missing
// and cancels the request.
func cancelRequest(p *profile.Profile, q store.Request) *ncip.Message {
	a := p.ALMA
	b := &ncip.CancelRequestItem{InitiationHeader: almaHeader(a, q.Library),
		UserId:      &ncip.UserId{UserIdentifierValue: a.CheckOutUser},
		RequestId:   &ncip.RequestId{RequestIdentifierValue: q.ID},
		RequestType: ncip.SV(a.CancelRequestType)}
	if q.Barcode != "" {
		b.ItemId = &ncip.ItemId{ItemIdentifierValue: q.Barcode}
	}
	return &ncip.Message{Version: ncip.V2, Body: b}
}
