package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
)

// IncomingItems announces items for accession (CaiaSoft's
// /incomingitems/v1): each becomes an item of the inventory "Waiting on
// Incoming Accession Stream" with its bibliographic data, in one
// transaction. The floor then receives it and accessions it (Receive,
// Accession). With profileName "" an item's collection picks its profile.
// incoming_count counts the items posted, rejected_count those refused
// (an ASSUMED reading of CaiaSoft's counts).
func (e *Engine) IncomingItems(ctx context.Context, profileName string, items []caiasoft.Entry[caiasoft.IncomingItem]) (caiasoft.IncomingReply, error) {
	var fixed *profile.Profile
	if profileName != "" {
		if fixed = e.profiles[profileName]; fixed == nil {
			return caiasoft.IncomingReply{}, fmt.Errorf("incomingitems: %w %q", ErrUnknownProfile, profileName)
		}
	}
	var rejects, warnings []caiasoft.Note
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		rejects, warnings = []caiasoft.Note{}, []caiasoft.Note{}
		now := e.clock()
		for _, entry := range items {
			in := entry.Value
			warnings = append(warnings, unknownNotes(in.Barcode, entry.Unknown)...)
			reject := func(format string, args ...any) {
				rejects = append(rejects, caiasoft.Note{Barcode: in.Barcode, Message: fmt.Sprintf(format, args...)})
			}
			if strings.TrimSpace(in.Barcode) == "" {
				reject("barcode is required")
				continue
			}
			p := fixed
			if p == nil {
				var why string
				if p, why = e.profileOfCollection(in.Collection); p == nil {
					reject("%s", why)
					continue
				}
			} else if in.Collection != "" && !slices.Contains(collectionsOf(p), in.Collection) {
				warnings = append(warnings, caiasoft.Note{Barcode: in.Barcode,
					Message: fmt.Sprintf("collection %q is not in profile %s's translation.collections", in.Collection, p.Name)})
			}
			switch it, err := tx.Item(in.Barcode); {
			case err == nil:
				reject("item %s is already in the inventory (%s)", in.Barcode, it.Status)
				continue
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			item := store.Item{Barcode: in.Barcode, Profile: p.Name, Collection: in.Collection, Material: in.Material, Tray: in.Tray,
				Library: libraryOf(p, in.Collection), Status: caiasoft.StatusWaitingAccession, Updated: now}
			setBib(&item, in.Bib, false)
			if err := tx.PutItem(item); err != nil {
				return err
			}
			if err := tx.AddEvent(store.Event{Barcode: item.Barcode, Profile: p.Name, Collection: item.Collection,
				Kind: caiasoft.EventIncoming, Status: item.Status, Time: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return caiasoft.IncomingReply{}, fmt.Errorf("incomingitems: %w", err)
	}
	return caiasoft.IncomingReply{Success: true, IncomingCount: strconv.Itoa(len(items)), RejectedCount: strconv.Itoa(len(rejects)),
		Rejects: rejects, Warnings: warnings}, nil
}

// ItemUpdates changes items' data (CaiaSoft's /itemupdates/v1): a blank
// value leaves a field as it is, a value starting with CLEARFIELD clears
// it. A profile's key (viewer) changes its own items only. The status is
// not among the fields: the floor operations change it.
func (e *Engine) ItemUpdates(ctx context.Context, viewer string, items []caiasoft.Entry[caiasoft.ItemUpdate]) (caiasoft.ItemUpdatesReply, error) {
	var errs, warnings []caiasoft.Note
	updated := 0
	err := e.store.Tx(ctx, func(tx *store.Tx) error {
		errs, warnings, updated = []caiasoft.Note{}, []caiasoft.Note{}, 0
		now := e.clock()
		for _, entry := range items {
			u := entry.Value
			warnings = append(warnings, unknownNotes(u.Barcode, entry.Unknown)...)
			it, err := tx.Item(u.Barcode)
			switch {
			case strings.TrimSpace(u.Barcode) == "":
				errs = append(errs, caiasoft.Note{Message: "barcode is required"})
				continue
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return err
			}
			if why := visible(Scope{Profile: viewer}, it.Profile, err == nil); why != "" {
				errs = append(errs, caiasoft.Note{Barcode: u.Barcode, Message: why})
				continue
			}
			before := it
			update(&it.Collection, u.Collection)
			update(&it.Material, u.Material)
			update(&it.Tray, u.Tray)
			setBib(&it, u.Bib, true)
			if it == before {
				warnings = append(warnings, caiasoft.Note{Barcode: u.Barcode, Message: "nothing to update"})
				continue
			}
			if it.Collection != before.Collection {
				if p := e.profiles[it.Profile]; p != nil {
					it.Library = libraryOf(p, it.Collection)
				}
			}
			it.Updated = now
			if err := tx.PutItem(it); err != nil {
				return err
			}
			updated++
		}
		return nil
	})
	if err != nil {
		return caiasoft.ItemUpdatesReply{}, fmt.Errorf("itemupdates: %w", err)
	}
	return caiasoft.ItemUpdatesReply{Success: true, TotalCount: strconv.Itoa(len(items)), UpdatedCount: strconv.Itoa(updated),
		Errors: errs, Warnings: warnings}, nil
}

// update applies one itemupdates value: blank keeps, CLEARFIELD… clears.
func update(field *string, v string) {
	switch {
	case strings.TrimSpace(v) == "":
	case strings.HasPrefix(v, caiasoft.ClearField):
		*field = ""
	default:
		*field = v
	}
}

// setBib copies bibliographic data onto an item; as an update (itemupdates)
// blanks keep and CLEARFIELD clears, otherwise values are taken as given.
func setBib(it *store.Item, b caiasoft.Bib, asUpdate bool) {
	pairs := []struct {
		dst *string
		v   string
	}{{&it.Title, b.Title}, {&it.Author, b.Author}, {&it.Volume, b.Volume}, {&it.CallNumber, b.CallNumber},
		{&it.ISBN, b.ISBN}, {&it.ISSN, b.ISSN}, {&it.LCCN, b.LCCN}, {&it.OCLC, b.OCLC}}
	for _, p := range pairs {
		if asUpdate {
			update(p.dst, p.v)
		} else {
			*p.dst = strings.TrimSpace(p.v)
		}
	}
}

// unknownField is the warning for a posted field annex does not read.
func unknownField(name string) string { return fmt.Sprintf("unknown field %q ignored", name) }

// unknownNotes are warnings for the fields of an entry annex does not read.
func unknownNotes(barcode string, unknown []string) []caiasoft.Note {
	var out []caiasoft.Note
	for _, f := range unknown {
		out = append(out, caiasoft.Note{Barcode: barcode, Message: unknownField(f)})
	}
	return out
}

// collectionsOf lists the facility collections a profile's translation maps to.
func collectionsOf(p *profile.Profile) []string {
	var out []string
	for _, c := range p.Translation.Collections {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// profileOfCollection is the one profile whose translation maps to a
// facility collection; why says what went wrong when there is none.
func (e *Engine) profileOfCollection(collection string) (*profile.Profile, string) {
	if collection == "" {
		return nil, "collection is required to tell the library connection; or name one with ?profile="
	}
	var owners []string
	for _, name := range e.order {
		if slices.Contains(collectionsOf(e.profiles[name]), collection) {
			owners = append(owners, name)
		}
	}
	switch len(owners) {
	case 1:
		return e.profiles[owners[0]], ""
	case 0:
		return nil, fmt.Sprintf("collection %q belongs to no library connection; name one with ?profile=", collection)
	}
	return nil, fmt.Sprintf("collection %q belongs to %s; name one with ?profile=", collection, strings.Join(owners, " and "))
}
