package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/annexlab/annex/internal/suggest"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
)

// The read side of the inventory (what package api's Inventory asks): CaiaSoft's item, list
// and search endpoints over the store's read queries.

// ItemInfos answers item/v1 and itemsbybarcode/v1: one item per barcode, in
// the order asked, with its latest request.
func (e *Engine) ItemInfos(ctx context.Context, sc Scope, barcodes []string) ([]caiasoft.Item, error) {
	found, err := e.store.ItemsByBarcode(ctx, barcodes)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	reqs, err := e.store.LatestRequests(ctx, barcodes)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	out := make([]caiasoft.Item, len(barcodes))
	for i, bc := range barcodes {
		it, ok := found[bc]
		if st := visible(sc, it.Profile, ok); st != "" {
			out[i] = caiasoft.Item{Barcode: bc, Status: st}
			continue
		}
		out[i] = itemInfo(it)
		if q, ok := reqs[bc]; ok {
			out[i].Request = requestInfo(q)
		}
	}
	return out, nil
}

// ItemLocations answers itemloc/v1 and itemloclist/v1.
func (e *Engine) ItemLocations(ctx context.Context, sc Scope, barcodes []string) ([]caiasoft.ItemLoc, error) {
	found, err := e.store.ItemsByBarcode(ctx, barcodes)
	if err != nil {
		return nil, fmt.Errorf("item locations: %w", err)
	}
	out := make([]caiasoft.ItemLoc, len(barcodes))
	for i, bc := range barcodes {
		it, ok := found[bc]
		if st := visible(sc, it.Profile, ok); st != "" {
			out[i] = caiasoft.ItemLoc{Barcode: bc, Status: st}
			continue
		}
		out[i] = caiasoft.ItemLoc{Barcode: it.Barcode, Status: it.Status, Container: it.Tray, Location: it.Tray,
			Collection: it.Collection, Material: it.Material, AccessionDate: date(it.Accessioned), LastStatusUpdate: stamp(it.Updated)}
	}
	return out, nil
}

// visible is "" when the scope may see an item of owner (found in the
// inventory or not), else the status to answer in its place.
func visible(sc Scope, owner string, found bool) string {
	switch {
	case !found:
		return caiasoft.StatusNotFound
	case sc.Profile != "" && owner != sc.Profile:
		return caiasoft.StatusRestrictedFromKey
	}
	return ""
}

// knownCollection refuses a collection the facility does not have (the
// profiles' translations and the seeded inventory name them all): a typo
// would otherwise answer an empty list as if nothing had happened. ""
// (ALL) is every collection.
func (e *Engine) knownCollection(op, c string) error {
	if c == "" {
		return nil
	}
	known := map[string]bool{}
	for _, name := range e.order {
		for _, v := range e.profiles[name].Translation.Collections {
			known[v] = true
		}
	}
	for _, it := range e.cfg.Facility.Inventory {
		known[it.Collection] = true
	}
	if known[c] {
		return nil
	}
	names := slices.Sorted(maps.Keys(known))
	hint := ""
	if near := suggest.Closest(c, names); near != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", near)
	}
	return fmt.Errorf("%s: collection %q is not one of the facility's (%s, or ALL)%s (%w)", op, c, strings.Join(names, ", "), hint, ErrInvalid)
}

// DateList answers the date-range lists from the items' events.
func (e *Engine) DateList(ctx context.Context, sc Scope, q DateQuery) ([]string, []caiasoft.Item, error) {
	if err := e.knownCollection(q.List.Name, q.Collection); err != nil {
		return nil, nil, err
	}
	eq := store.EventQuery{Kinds: q.List.Events, From: q.From, To: q.To, Collection: q.Collection, Profile: sc.Profile}
	if q.List.Active {
		eq.NotStatus = caiasoft.StatusDeaccessioned
	}
	if q.List.Reaccession && !q.Reaccessioned {
		eq.Status = caiasoft.StatusDeaccessioned
	}
	if !q.List.Info {
		bcs, err := e.store.EventBarcodes(ctx, eq)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", q.List.Name, err)
		}
		return bcs, nil, nil
	}
	items, err := e.store.EventItems(ctx, eq)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", q.List.Name, err)
	}
	return nil, e.infos(ctx, items), nil
}

// infos shows items with their latest requests; a failure to read the
// requests leaves them null rather than failing the list.
func (e *Engine) infos(ctx context.Context, items []store.Item) []caiasoft.Item {
	bcs := make([]string, len(items))
	for i, it := range items {
		bcs[i] = it.Barcode
	}
	reqs, err := e.store.LatestRequests(ctx, bcs)
	if err != nil {
		e.log.Warn("item list: latest requests", "err", err)
	}
	out := make([]caiasoft.Item, len(items))
	for i, it := range items {
		out[i] = itemInfo(it)
		if q, ok := reqs[it.Barcode]; ok {
			out[i].Request = requestInfo(q)
		}
	}
	return out
}

// bibColumns are the store columns each bibmissing field asks to be blank.
// annex keeps no bibliographic item id, so "itemid" asks nothing more:
// every item lacks one.
var bibColumns = map[string][]string{
	caiasoft.BibNone:       {"title", "author", "volume", "call_number", "isbn", "issn", "lccn", "oclc"},
	caiasoft.BibTitle:      {"title"},
	caiasoft.BibAuthor:     {"author"},
	caiasoft.BibCallNumber: {"call_number"},
	caiasoft.BibItemID:     nil,
	caiasoft.BibAll:        {"title", "author", "call_number"},
}

// BibMissing answers bibmissing/v1.
func (e *Engine) BibMissing(ctx context.Context, sc Scope, collection, field string) ([]string, error) {
	return e.BibMissingByDate(ctx, sc, "", "", collection, field)
}

// BibMissingByDate answers bibmissing_bydate/v1: bibmissing for the items
// accessioned on a day from from to to ("" for any day).
func (e *Engine) BibMissingByDate(ctx context.Context, sc Scope, from, to, collection, field string) ([]string, error) {
	if err := e.knownCollection("bibmissing", collection); err != nil {
		return nil, err
	}
	cols, ok := bibColumns[field]
	if !ok {
		return nil, fmt.Errorf("bibmissing: field %q (%w)", field, ErrInvalid)
	}
	return e.store.BibMissing(ctx, store.BibQuery{Profile: sc.Profile, Collection: collection, From: from, To: to, Blank: cols})
}

// Search answers the union_* searches.
func (e *Engine) Search(ctx context.Context, sc Scope, s caiasoft.Search, q caiasoft.SearchQuery) ([]caiasoft.Item, error) {
	if err := e.knownCollection(s.Endpoint, q.Collection); err != nil {
		return nil, err
	}
	items, err := e.store.Search(ctx, sc.Profile, s, q, caiasoft.MaxSearch)
	if err != nil {
		return nil, err
	}
	return e.infos(ctx, items), nil
}

// StopsOut answers circstopout/v1: stop is a stop's code or name (any
// case), "" for every stop.
func (e *Engine) StopsOut(ctx context.Context, sc Scope, stop string) ([]caiasoft.ItemOut, error) {
	code := ""
	if stop != "" {
		for _, s := range e.cfg.Facility.Stops {
			if strings.EqualFold(s.Code, stop) || (s.Name != "" && strings.EqualFold(s.Name, stop)) {
				code = s.Code
				break
			}
		}
		if code == "" {
			return nil, fmt.Errorf("circstopout: %s: %q is not a stop's code or name (%w)", caiasoft.DenyInvalidStop, stop, ErrNotFound)
		}
	}
	rows, err := e.store.ItemsOut(ctx, sc.Profile, code)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, s := range e.cfg.Facility.Stops {
		names[s.Code] = s.Name
	}
	out := make([]caiasoft.ItemOut, len(rows))
	for i, r := range rows {
		out[i] = caiasoft.ItemOut{Barcode: r.Barcode, Status: r.Status, Title: r.Title, Author: r.Author, Volume: r.Volume,
			CallNumber: r.CallNumber, Collection: r.Collection, RequestID: r.Retrieval.RequestID, Retrieved: dashedDay(r.Retrieval.Day),
			CirculationStop: caiasoft.CirculationStop(r.Retrieval.Stop, names[r.Retrieval.Stop])}
	}
	return out, nil
}

func itemInfo(it store.Item) caiasoft.Item {
	return caiasoft.Item{Barcode: it.Barcode, Status: it.Status, Bib: caiasoft.Bib{Title: it.Title, Author: it.Author,
		Volume: it.Volume, CallNumber: it.CallNumber, ISBN: it.ISBN, ISSN: it.ISSN, LCCN: it.LCCN, OCLC: it.OCLC}, Collection: it.Collection,
		Material: it.Material, Container: it.Tray, AccessionDate: date(it.Accessioned), LastStatusUpdate: stamp(it.Updated)}
}

// requestInfo shows a request with what the library sent in it.
func requestInfo(q store.Request) *caiasoft.ItemRequest {
	var r requestfile.Request
	// A request the engine could not keep whole still shows its own columns.
	_ = json.Unmarshal(q.Raw, &r)
	return &caiasoft.ItemRequest{RequestID: q.ID, RequestType: q.Job, Type: r.Type, Status: q.Status, Reason: q.Reason,
		Stop: q.Stop, Pickup: r.Pickup, PickupLibrary: r.PickupLibrary, PickupDesk: r.PickupDesk, PatronID: r.PatronID,
		Title: r.Title, Author: r.Author, CallNumber: r.CallNumber, Description: r.Description, Received: stamp(q.Created)}
}

// date is YYYY-MM-DD, "" for the zero time.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// dashedDay writes an event's YYYYMMDD day as YYYY-MM-DD.
func dashedDay(d string) string {
	t, err := time.Parse(caiasoft.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format(time.DateOnly)
}

// Scope is what a caller may read: the items of Profile, or every
// library's when Profile is "".
type Scope struct{ Profile string }

// DateQuery asks a date-range list for the items with one of its list's
// events on a day from From to To (YYYYMMDD, both included), in Collection
// ("" for every collection).
type DateQuery struct {
	List       caiasoft.DateList
	From, To   string
	Collection string
	// Reaccessioned: deaccession lists also name items accessioned again since.
	Reaccessioned bool
}
