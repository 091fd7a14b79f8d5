package enginetest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/simulators/alma"
)

// TestALMAExportRoundTripsThroughEngineParser is issue 10's acceptance
// property: whatever mock ALMA puts in its export — random request sets of
// every type, personal delivery, title-level citations, ship addresses with
// empty lines, text with & < > quotes, tabs, newlines, CR and non-ASCII —
// the engine's parser reads back field for field, with nothing unknown.
func TestALMAExportRoundTripsThroughEngineParser(t *testing.T) {
	const sets = 250
	servers := map[bool]*alma.Server{}
	for _, inst := range []bool{false, true} {
		cfg := alma.DemoConfig()
		cfg.Export.InstitutionCode = inst
		s, err := alma.Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		servers[inst] = s
	}
	rng := rand.New(rand.NewPCG(10, 2026))
	total := 0
	for set := range sets {
		st := randomALMAState(rng, set)
		// The state must be one a scenario could write: it passes ParseState.
		doc, err := yaml.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alma.ParseState(doc); err != nil {
			t.Fatalf("set %d: generated state is invalid: %v", set, err)
		}
		withInst := rng.IntN(3) == 0
		s := servers[withInst]
		s.SetState(st)
		name, data, ids, err := s.BuildExport()
		if err != nil {
			t.Fatalf("set %d: %v", set, err)
		}
		if len(ids) != len(st.Requests) {
			t.Fatalf("set %d: %d of %d requests exported", set, len(ids), len(st.Requests))
		}
		want := expectedRequests(s.State(), withInst)
		got := map[string]*requestfile.Request{}
		err = requestfile.Parse(context.Background(), profile.FormatRSExport, name, bytes.NewReader(data), requestfile.Options{},
			func(r requestfile.Record) error {
				if r.Err != nil {
					return fmt.Errorf("record denied: %v", r.Err)
				}
				q := *r.Request
				q.Line = 0
				got[q.ID] = &q
				return nil
			})
		if err != nil {
			t.Fatalf("set %d: %v\n%s", set, err, data)
		}
		for _, id := range ids {
			if !reflect.DeepEqual(got[id], want[id]) {
				t.Fatalf("set %d, request %s does not round-trip:\n got  %+v\n want %+v\nfile:\n%s", set, id, got[id], want[id], data)
			}
		}
		total += len(ids)
	}
	t.Logf("%d sets, %d requests round-tripped", sets, total)
}

// oddText is a random value: empty sometimes, else words mixing ASCII,
// markup characters, quotes, non-ASCII and inner white space. It never
// starts or ends with white space, which the parser trims.
func oddText(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return ""
	}
	pieces := []string{"Ada", "Library", "&", "<", ">", "<ch. 2>", "a&b", `"quoted"`, "it's", "]]>", "Genève", "Zoë",
		"Ångström", "漢字", "Ωμέγα", "🙂", "v.1", "pp. 10-20", "São Paulo", "x\ty", "line\nbreak", "cr\rhere", "&amp;", "#1"}
	n := 1 + rng.IntN(5)
	words := make([]string, n)
	for i := range words {
		words[i] = pieces[rng.IntN(len(pieces))]
	}
	return strings.Join(words, []string{" ", "", ", ", " - "}[rng.IntN(4)])
}

// randomALMAState is a valid state: the demo institution and profile shape
// with random names, and 1..8 pending requests, each on its own item in
// remote storage.
func randomALMAState(rng *rand.Rand, set int) alma.State {
	st := alma.State{Institution: "01PROP_INST", InstitutionName: cmp.Or(oddText(rng), "Property University"),
		Users: []alma.User{{ID: "ANNEX-USER"}}}
	var refs []alma.LocationRef
	for i := range 3 {
		code := fmt.Sprintf("LIB%d", i)
		st.Libraries = append(st.Libraries, alma.Library{Code: code, Name: oddText(rng),
			Locations: []alma.Location{{Code: "STACKS"}, {Code: "ANNEX", RemoteStorage: true}},
			Desks:     []alma.Desk{{Code: "CIRC", Name: oddText(rng)}, {Code: "DIGI", Name: oddText(rng)}}})
		refs = append(refs, alma.LocationRef{Library: code, Location: "ANNEX"})
	}
	st.Profiles = []alma.Profile{{Code: "ANNEX", Locations: refs}}
	types := rsexport.Types()
	for i := range 1 + rng.IntN(8) {
		lib := st.Libraries[rng.IntN(len(st.Libraries))].Code
		it := alma.Item{Barcode: fmt.Sprintf("39%06d%06d", set, i), Library: lib, Location: "ANNEX", MaterialType: "BOOK",
			MMSID: fmt.Sprintf("99%07d%06d", set, i), ItemID: fmt.Sprintf("23%07d%06d", set, i), Description: oddText(rng),
			Title: oddText(rng), Author: oddText(rng), ISBN: oddText(rng), ISSN: oddText(rng),
			PlaceOfPublication: oddText(rng), DateOfPublication: oddText(rng), CallNumber: oddText(rng),
			CallNumberType: []string{"", "0", "1", "8"}[rng.IntN(4)], Status: alma.StatusRequested}
		r := alma.Request{ID: fmt.Sprintf("REQ-%03d-%02d", set, i), Type: types[rng.IntN(len(types))], Barcode: it.Barcode,
			PickupLibrary: st.Libraries[rng.IntN(len(st.Libraries))].Code, Note: oddText(rng),
			Patron: alma.Patron{Name: oddText(rng), Identifier: oddText(rng), Email: oddText(rng), Address: oddText(rng)},
			Step:   alma.StepPending}
		if rng.IntN(3) > 0 {
			r.RequestedInfo = &alma.RequestedInfo{Description: oddText(rng), PartToDigitize: oddText(rng)}
		}
		if rng.IntN(2) == 0 {
			r.ShipAddress = &alma.Address{Line1: oddText(rng), Line2: oddText(rng), Line3: oddText(rng), Line4: oddText(rng),
				Line5: oddText(rng), City: oddText(rng), Country: oddText(rng), PostalCode: oddText(rng), StateProvince: oddText(rng)}
		}
		if rsexport.KindOf(r.Type) == rsexport.Digitization {
			r.PickupDesk = "DIGI"
			r.DigitizationDepartment = oddText(rng)
		} else {
			r.PersonalDelivery = rng.IntN(4) == 0
		}
		if rng.IntN(6) == 0 {
			// Title-level: the citation goes where the barcode would.
			r.Barcode, r.MMSID = "", it.MMSID
			if rng.IntN(4) > 0 {
				r.Citation = "Volume " + fmt.Sprint(rng.IntN(200)) + "; Issue 4; " + cmp.Or(oddText(rng), "Publication Date 1989")
			}
		}
		st.Items = append(st.Items, it)
		st.Requests = append(st.Requests, r)
	}
	return st
}

// expectedRequests is what the engine's parser must read for each request
// of st: every field mock ALMA put in, by the export's rules (DESIGN §1.1).
func expectedRequests(st alma.State, withInst bool) map[string]*requestfile.Request {
	libs := map[string]alma.Library{}
	for _, l := range st.Libraries {
		libs[l.Code] = l
	}
	items := map[string]alma.Item{}
	byMMS := map[string]alma.Item{}
	for _, it := range st.Items {
		items[it.Barcode], byMMS[it.MMSID] = it, it
	}
	out := map[string]*requestfile.Request{}
	for _, r := range st.Requests {
		it, ok := items[r.Barcode]
		if !ok {
			it = byMMS[r.MMSID]
		}
		digitization := rsexport.KindOf(r.Type) == rsexport.Digitization
		q := &requestfile.Request{ID: r.ID, Type: r.Type, Title: it.Title, Location: it.Location,
			CallNumber: it.CallNumber, CallNumberType: it.CallNumberType, Author: it.Author, ISBN: it.ISBN, ISSN: it.ISSN,
			PlaceOfPublication: it.PlaceOfPublication, DateOfPublication: it.DateOfPublication, Note: r.Note,
			PatronName: r.Patron.Name, PatronID: r.Patron.Identifier, PatronEmail: r.Patron.Email, Digitization: digitization}
		if r.Barcode == "" {
			q.TitleLevel, q.Citation = true, r.Citation
		} else {
			q.Barcode, q.MMSID, q.ItemID = r.Barcode, cmp.Or(r.MMSID, it.MMSID), it.ItemID
		}
		lib := libs[cmp.Or(r.PickupLibrary, it.Library)]
		switch {
		case r.PersonalDelivery:
			q.PickupLibrary = rsexport.PersonalDelivery
		case digitization:
			q.PickupLibrary = cmp.Or(st.InstitutionName, st.Institution)
			for _, d := range lib.Desks {
				if d.Code == r.PickupDesk {
					q.PickupDesk = cmp.Or(d.Name, d.Code)
				}
			}
			q.DigitizationDepartment = r.DigitizationDepartment
		default:
			q.PickupLibrary, q.Library = cmp.Or(lib.Name, lib.Code), lib.Code
		}
		if !digitization {
			q.PatronAddress = r.Patron.Address
		}
		var desc, part string
		if r.RequestedInfo != nil {
			desc, part = r.RequestedInfo.Description, r.RequestedInfo.PartToDigitize
		}
		desc = cmp.Or(desc, r.Description, it.Description)
		// requestedInfo is written when either part is there, its
		// description then always (xsi:nil when empty), as ALMA writes it.
		if desc != "" || part != "" {
			q.RequestedInfo = append(q.RequestedInfo, requestfile.Field{Name: "description", Value: desc})
		}
		if part != "" {
			q.RequestedInfo = append(q.RequestedInfo, requestfile.Field{Name: "partToDigitize", Value: part})
		}
		if a := r.ShipAddress; a != nil && *a != (alma.Address{}) {
			q.ShipAddress = &requestfile.Address{Line1: a.Line1, Line2: a.Line2, Line3: a.Line3, Line4: a.Line4, Line5: a.Line5,
				City: a.City, StateProvince: a.StateProvince, PostalCode: a.PostalCode, Country: a.Country}
		}
		if withInst {
			q.InstitutionCode = st.Institution
		}
		out[r.ID] = q
	}
	return out
}
