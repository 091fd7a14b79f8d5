package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/requestfile"
	"github.com/annexlab/annex/integration/store"
)

// inventoryWorld is an engine over a facility with five days of history
// (10–14 March 2025), both demo profiles, serving its API over HTTP.
type inventoryWorld struct {
	eng      *engine.Engine
	base     string
	key      string // the facility's key
	alephKey string // aleph-demo's intake key: reads aleph-demo's items only
}

// historyItem is one item of the seeded history and what happened to it.
type historyItem struct {
	item   store.Item
	events []store.Event
	reqs   []store.Request
}

func day(d int) time.Time { return time.Date(2025, 3, d, 14, 30, 0, 0, time.UTC) }

func ev(kind string, d int, stop, req string) store.Event {
	return store.Event{Kind: kind, Time: day(d), Stop: stop, RequestID: req}
}

func rawRequest(t testing.TB, r requestfile.Request) json.RawMessage {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// history is the facility's past: accessions, retrievals, refiles,
// deaccessions on several days, requests with what the library sent.
func history(t testing.TB) []historyItem {
	alma, aleph := "alma-demo", "aleph-demo"
	return []historyItem{
		{item: store.Item{Barcode: "39015000000101", Profile: alma, Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S01-T01",
			Status: caiasoft.StatusAtRest, Title: "The Great Gatsby", Author: "Fitzgerald, F. Scott", Volume: "",
			CallNumber: "PS3511.I9 G7 1925", ISBN: "9780743273565", OCLC: "(OCoLC)0004567", Accessioned: day(10), Updated: day(12)},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", ""), ev(caiasoft.EventRetrieval, 11, "MAIN-CIRC", "R-1"),
				ev(caiasoft.EventReturn, 12, "", "R-1"), ev(caiasoft.EventRefile, 12, "", "R-1")},
			reqs: []store.Request{{ID: "R-1", Stop: "MAIN-CIRC", Job: caiasoft.JobPhysical, Status: store.RequestRefiled, Created: day(11),
				Raw: rawRequest(t, requestfile.Request{ID: "R-1", Type: "PATRON_PHYSICAL", Barcode: "39015000000101", PickupLibrary: "Main Library",
					Title: "The Great Gatsby", PatronID: "P-12"})}}},
		{item: store.Item{Barcode: "39015000000102", Profile: alma, Collection: "LAW-ANNEX", Material: "BOOK", Tray: "R01-S03-T01",
			Status: caiasoft.StatusOutPhysical, Title: "Gatsby and the Jazz Age: essays", Author: "Bruccoli, Matthew J.",
			CallNumber: "PS3511.I9 Z58", LCCN: "2002012345", Accessioned: day(10), Updated: day(13)},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", ""), ev(caiasoft.EventRetrieval, 13, "LAW-CIRC", "R-2")},
			reqs: []store.Request{{ID: "R-2", Stop: "LAW-CIRC", Library: "LAW", Job: caiasoft.JobPhysical, Status: store.RequestRetrieved, Created: day(13),
				Raw: rawRequest(t, requestfile.Request{ID: "R-2", Type: "PATRON_PHYSICAL", Barcode: "39015000000102", PickupLibrary: "Law Library",
					Library: "LAW", Title: "Gatsby and the Jazz Age: essays", Author: "Bruccoli, Matthew J.", CallNumber: "PS3511.I9 Z58",
					PatronID: "P-77", Description: "v. 2"})}}},
		{item: store.Item{Barcode: "39015000000103", Profile: alma, Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S01-T02",
			Status: caiasoft.StatusAtRest, Accessioned: day(11), Updated: day(11)},
			// Pulled for scanning and refiled the next day: an e-retrieval is a retrieval too.
			events: []store.Event{ev(caiasoft.EventAccession, 11, "", ""), ev(caiasoft.EventERetrieval, 12, "SCAN", "E-1"),
				ev(caiasoft.EventScanDone, 12, "", "E-1"), ev(caiasoft.EventRefile, 13, "", "E-1")}},
		{item: store.Item{Barcode: "39015000000104", Profile: alma, Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S01-T03",
			Status: caiasoft.StatusDeaccessioned, Title: "Obsolete manual", Author: "Anon.", Accessioned: day(10), Updated: day(12)},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", ""), ev(caiasoft.EventDeaccession, 12, "", "D-1")}},
		{item: store.Item{Barcode: "39015000000105", Profile: alma, Collection: "MAIN-ANNEX", Material: "SERIAL", Tray: "R01-S01-T04",
			Status: caiasoft.StatusAtRest, Title: "Annual report 1999", Volume: "v. 2", ISSN: "1234-5679", Accessioned: day(10), Updated: day(13)},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", ""), ev(caiasoft.EventDeaccession, 11, "", "D-2"),
				ev(caiasoft.EventAccession, 13, "", "")}},
		{item: store.Item{Barcode: "000000101", Profile: aleph, Collection: "ALEPH-MAIN", Material: "BOOK", Tray: "R02-S01-T01",
			Status: caiasoft.StatusOutSHIP, Title: "Der Zauberberg", Author: "Mann, Thomas", CallNumber: "PT2625.A44 Z3",
			Accessioned: day(10), Updated: day(14)},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", ""), ev(caiasoft.EventSHPOut, 14, "SCI-CIRC", "A-9")},
			reqs: []store.Request{{ID: "A-9", Stop: "SCI-CIRC", Job: caiasoft.JobSHIP, Status: store.RequestRetrieved, Created: day(14),
				Raw: rawRequest(t, requestfile.Request{ID: "A-9", Type: "hold", Barcode: "000000101", Pickup: "SCI", Title: "Der Zauberberg"})}}},
		// Accessioned, then deleted by the library (ALMA's DeleteItem): only its events remain.
		{item: store.Item{Barcode: "39015000000199", Profile: alma, Collection: "MAIN-ANNEX"},
			events: []store.Event{ev(caiasoft.EventAccession, 10, "", "")}},
	}
}

// newInventoryWorld seeds a store with history, then opens the engine on it.
func newInventoryWorld(t testing.TB) *inventoryWorld {
	t.Helper()
	dir := t.TempDir()
	seedHistory(t, dir, history(t))
	return openInventoryWorld(t, dir)
}

func seedHistory(t testing.TB, dir string, items []historyItem) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "annex.db"), store.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(ctx, func(tx *store.Tx) error {
		for _, h := range items {
			if h.item.Status != "" {
				if err := tx.PutItem(h.item); err != nil {
					return err
				}
			}
			for _, e := range h.events {
				e.Barcode, e.Profile, e.Collection = h.item.Barcode, h.item.Profile, h.item.Collection
				if err := tx.AddEvent(e); err != nil {
					return err
				}
			}
			for _, q := range h.reqs {
				q.Profile, q.Barcode, q.Updated = h.item.Profile, h.item.Barcode, q.Created
				if _, err := tx.InsertRequest(q); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func openInventoryWorld(t testing.TB, dir string) *inventoryWorld {
	t.Helper()
	fac, profs := profile.DemoFacility()
	eng := openEngine(t, engine.Config{Facility: fac, Profiles: profs, DataDir: dir, Clock: clock,
		Logger: slog.New(slog.DiscardHandler), Ephemeral: true})
	w := &inventoryWorld{eng: eng, base: serveAPI(t, eng), key: fac.APIKey}
	for _, p := range profs {
		if p.Name == "aleph-demo" {
			w.alephKey = p.Intake.APIKey
		}
	}
	return w
}

// call makes one request with a key (facility unless key says otherwise)
// and returns the HTTP status and body.
func (w *inventoryWorld) call(t testing.TB, method, path, key, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	return roundTrip(t, apiRequest(t, method, w.base+path, key, rd))
}

// inventoryCase is one call of the read side and its golden reply
// (testdata/caiasoft/inventory/<name>.json).
type inventoryCase struct {
	name, method, path, body string
	aleph                    bool // with aleph-demo's key instead of the facility's
	status                   int
}

// callCase makes the call of c with the key it is for: ALEPH's, a wrong
// one where it must be refused, else the facility's.
func (w *inventoryWorld) callCase(t testing.TB, c inventoryCase) (int, []byte) {
	t.Helper()
	key := w.key
	switch {
	case c.aleph:
		key = w.alephKey
	case c.status == http.StatusUnauthorized:
		key = "wrong"
	}
	return w.call(t, c.method, c.path, key, c.body)
}

func inventoryCases() []inventoryCase {
	get := func(name, path string) inventoryCase {
		return inventoryCase{name: name, method: "GET", path: path, status: 200}
	}
	bad := func(name, path string) inventoryCase {
		return inventoryCase{name: name, method: "GET", path: path, status: 400}
	}
	post := func(name, path, body string, status int) inventoryCase {
		return inventoryCase{name: name, method: "POST", path: path, body: body, status: status}
	}
	aleph := func(c inventoryCase) inventoryCase { c.aleph = true; return c }
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprint(39015000100000+i))
	}
	return []inventoryCase{
		get("item", "/api/item/v1/39015000000102"),
		get("item-no-request", "/api/item/v1/39015000000103"),
		get("item-unknown", "/api/item/v1/39015099999999"),
		aleph(get("item-restricted", "/api/item/v1/39015000000101")),
		aleph(get("item-own-profile", "/api/item/v1/000000101")),
		get("itemloc", "/api/itemloc/v1/39015000000101"),
		get("itemloc-unknown", "/api/itemloc/v1/NOPE"),
		post("itemsbybarcode", "/api/itemsbybarcode/v1",
			`{"barcodes":["39015000000101",null,39015000000103,"NOPE","000000101"],"client":"ignored"}`, 200),
		post("itemsbybarcode-too-many", "/api/itemsbybarcode/v1", `{"barcodes":[`+strings.Join(many, ",")+`]}`, 413),
		post("itemsbybarcode-not-a-list", "/api/itemsbybarcode/v1", `{"barcodes":"39015000000101"}`, 400),
		post("itemsbybarcode-missing", "/api/itemsbybarcode/v1", `{"items":["39015000000101"]}`, 400),
		post("itemloclist", "/api/itemloclist/v1", `{"items":[39015000000101,
			39015000000102, "000000101", "NOPE"]}`, 200),
		get("accessionedlist", "/api/accessionedlist/v1/20250310/20250314/ALL"),
		get("accessionedlist-one-day", "/api/accessionedlist/v1/20250311/20250311/ALL"),
		aleph(get("accessionedlist-profile-key", "/api/accessionedlist/v1/20250301/20250331/all")),
		get("accessioned_active", "/api/accessioned_active/v1/20250310/20250314/ALL"),
		get("accessioninfo", "/api/accessioninfo/v1/20250310/20250310/MAIN-ANNEX"),
		get("accessioninfo_active", "/api/accessioninfo_active/v1/20250310/20250310/MAIN-ANNEX"),
		get("deaccessionedlist", "/api/deaccessionedlist/v1/20250310/20250314/ALL"),
		get("deaccessionedlist-reaccessioned", "/api/deaccessionedlist/v1/20250310/20250314/ALL/Y"),
		get("deaccessioninfo", "/api/deaccessioninfo/v1/20250310/20250314/ALL/N"),
		get("refiledlist", "/api/refiledlist/v1/20250310/20250314/ALL"),
		get("retrievedlist", "/api/retrievedlist/v1/20250310/20250314/ALL"),
		get("retrievedlist-collection", "/api/retrievedlist/v1/20250310/20250314/LAW-ANNEX"),
		get("retrievalinfo", "/api/retrievalinfo/v1/20250313/20250313/ALL"),
		bad("date-short", "/api/retrievedlist/v1/2025031/20250314/ALL"),
		bad("date-not-a-day", "/api/accessionedlist/v1/20250310/20250230/ALL"),
		bad("date-reversed", "/api/refiledlist/v1/20250314/20250310/ALL"),
		bad("reaccessioned-bad", "/api/deaccessionedlist/v1/20250310/20250314/ALL/maybe"),
		get("bibmissing-none", "/api/bibmissing/v1/ALL/none"),
		get("bibmissing-title", "/api/bibmissing/v1/MAIN-ANNEX/title"),
		get("bibmissing-callnumber", "/api/bibmissing/v1/ALL/callnumber"),
		bad("bibmissing-bad-field", "/api/bibmissing/v1/ALL/isbn"),
		get("bibmissing_bydate", "/api/bibmissing_bydate/v1/20250311/20250314/ALL/none"),
		get("bibmissing_bydate-nothing", "/api/bibmissing_bydate/v1/20250312/20250314/ALL/none"),
		bad("bibmissing_bydate-bad-date", "/api/bibmissing_bydate/v1/20250311/2025-03-14/ALL/none"),
		post("union_title", "/api/union_title/v1", `{"title":"gatsby","volume":null}`, 200),
		post("union_title-short", "/api/union_title/v1", `{"title":"Ga"}`, 200),
		post("union_title-none", "/api/union_title/v1", `{"title":"Moby Dick"}`, 200),
		post("union_title-collection", "/api/union_title/v1", `{"title":"gatsby","collection":"LAW-ANNEX"}`, 200),
		post("union_title-volume", "/api/union_title/v1", `{"title":"report","volume":"v. 2"}`, 200),
		post("union_title-missing", "/api/union_title/v1", `{"author":"Fitzgerald"}`, 400),
		post("union_author", "/api/union_author/v1", `{"author":"BRUCCOLI"}`, 200),
		post("union_callnumber", "/api/union_callnumber/v1", `{"callnumber":"ps3511.i9 g"}`, 200),
		post("union_isbn", "/api/union_isbn/v1", `{"isbn":9780743273565}`, 200),
		post("union_issn", "/api/union_issn/v1", `{"issn":"1234-5679"}`, 200),
		post("union_lccn", "/api/union_lccn/v1", `{"lccn":"2002012345"}`, 200),
		post("union_oclc", "/api/union_oclc/v1", `{"oclc":"ocm00004567"}`, 200),
		aleph(post("union_title-profile-key", "/api/union_title/v1", `{"title":"berg"}`, 200)),
		get("itemloc-trailing-slash", "/api/itemloc/v1/39015000000101/"),
		// The Python SDK posts itemstatuslist to this path.
		post("itemstatuslist-trailing-slash", "/api/itemstatuslist/v1/", `{"barcodes":["39015000000101","NOPE"]}`, 200),
		get("circstoplist", "/api/circstoplist/v1/ACTIVE"),
		get("circstoplist-all", "/api/circstoplist/v1/ALL"),
		bad("circstoplist-bad", "/api/circstoplist/v1/SOME"),
		get("circstopout", "/api/circstopout/v1/ALL"),
		get("circstopout-code", "/api/circstopout/v1/LAW-CIRC"),
		get("circstopout-name", "/api/circstopout/v1/science%20library%20circulation%20desk"),
		{name: "circstopout-unknown", method: "GET", path: "/api/circstopout/v1/NOWHERE", status: 404},
		{name: "no-key", method: "GET", path: "/api/item/v1/39015000000101", status: 401},
	}
}

// TestInventoryAPI calls every read endpoint of the CaiaSoft-shaped API
// over HTTP and compares each reply, byte for byte, with its golden file
// (testdata/caiasoft/inventory/<name>.json): the exact field names and JSON types, nulls, unknown
// barcodes, restricted items, bad dates and parameters.
func TestInventoryAPI(t *testing.T) {
	w := newInventoryWorld(t)
	for _, c := range inventoryCases() {
		t.Run(c.name, func(t *testing.T) {
			status, body := w.callCase(t, c)
			if status != c.status {
				t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, status, c.status, body)
			}
			goldenJSON(t, "inventory/"+c.name, body)
		})
	}
}

// TestInventoryFollowsTheWorkflow reads the read side while the real
// workflow moves an item: announced by incomingitems, received and
// accessioned on the floor, its title changed by itemupdates, requested by
// circrequests, retrieved, returned and refiled. Each step shows in the
// searches, the date-range lists (today is the engine's clock's day),
// circstopout and the item's request fields.
func TestInventoryFollowsTheWorkflow(t *testing.T) {
	w := openInventoryWorld(t, t.TempDir())
	const bc = "39015000000900"
	today := clock().Format(caiasoft.DateLayout)
	step := func(method, path, body string) []byte {
		t.Helper()
		status, reply := w.call(t, method, path, w.key, body)
		if status != http.StatusOK || !bytes.Contains(reply, []byte(`"success":true`)) {
			t.Fatalf("%s %s: %d %s", method, path, status, reply)
		}
		return reply
	}
	type items struct {
		Count    string          `json:"item_count"`
		Items    []caiasoft.Item `json:"items"`
		Barcodes []string        `json:"barcodes"`
		Out      []caiasoft.ItemOut
	}
	decode := func(reply []byte) items {
		t.Helper()
		var v struct {
			items
			Out []caiasoft.ItemOut `json:"items_out"`
		}
		if err := json.Unmarshal(reply, &v); err != nil {
			t.Fatal(err)
		}
		v.items.Out = v.Out
		return v.items
	}
	read := func(path string) items { t.Helper(); return decode(step("GET", path, "")) }
	search := func(endpoint, key, value string) items {
		t.Helper()
		body, _ := json.Marshal(map[string]string{key: value})
		return decode(step("POST", "/api/"+endpoint+"/v1", string(body)))
	}
	barcodes := func(got items) string { return strings.Join(got.Barcodes, ",") }
	found := func(got items) string {
		var s []string
		for _, it := range got.Items {
			s = append(s, it.Barcode+" "+it.Status+" "+it.Title)
		}
		return strings.Join(s, "; ")
	}

	step("POST", "/api/incomingitems/v1?profile=alma-demo", `{"incoming":[{"barcode":"`+bc+`","collection":"MAIN-ANNEX",
		"material":"BOOK","tray":"R09-S01-T01","title":"A chronicle of off-site depositories","author":"Keeper, Ann",
		"call_number":"Z675.S7 K44","oclc":"00012345","isbn":null}]}`)
	// Words no demo title has (the demo's inventory carries titles too).
	if got := found(search("union_title", "title", "off-site depositories")); got != bc+" "+caiasoft.StatusWaitingAccession+" A chronicle of off-site depositories" {
		t.Errorf("union_title after incomingitems: %q", got)
	}
	step("POST", "/api/floor/v1/receive", `{"barcode":"`+bc+`"}`)
	step("POST", "/api/floor/v1/accession", `{"barcode":"`+bc+`","collection":"MAIN-ANNEX","profile":"alma-demo"}`)
	if got := barcodes(read("/api/accessionedlist/v1/" + today + "/" + today + "/MAIN-ANNEX")); got != bc {
		t.Errorf("accessionedlist today: %q, want %s", got, bc)
	}

	step("POST", "/api/itemupdates/v1", `{"items":[{"barcode":"`+bc+`","title":"Off-site depositories: a chronicle","author":""}]}`)
	if got := found(search("union_title", "title", "a chronicle of")); got != "" {
		t.Errorf("the old title is still found: %q", got)
	}
	if got := found(search("union_title", "title", "depositories: a")); got != bc+" "+caiasoft.StatusAtRest+" Off-site depositories: a chronicle" {
		t.Errorf("union_title after itemupdates: %q", got)
	}
	if got := found(search("union_author", "author", "keeper")); !strings.HasPrefix(got, bc) {
		t.Errorf("a blank author overwrote the author: %q", got)
	}
	if got := found(search("union_oclc", "oclc", "ocm12345")); !strings.HasPrefix(got, bc) {
		t.Errorf("union_oclc: %q", got)
	}

	step("POST", "/api/circrequests/v1?profile=alma-demo", `{"requests":[{"barcode":"`+bc+`","request_type":"PYR",
		"stop":"MAIN-CIRC","request_id":"LC-1","patron_id":"P-1","title":"Remote storage","volume":null}]}`)
	it := read("/api/item/v1/" + bc)
	if len(it.Items) != 1 || it.Items[0].Request == nil || it.Items[0].Request.RequestID != "LC-1" ||
		it.Items[0].Request.Stop != "MAIN-CIRC" || it.Items[0].Request.RequestType != caiasoft.JobPhysical ||
		it.Items[0].Status != caiasoft.StatusQueuePhysical {
		t.Errorf("item after circrequests: %+v", it.Items)
	}

	step("POST", "/api/floor/v1/retrieve", `{"barcode":"`+bc+`"}`)
	out := read("/api/circstopout/v1/main%20library%20circulation%20desk").Out
	if len(out) != 1 || out[0].Barcode != bc || out[0].RequestID != "LC-1" ||
		out[0].CirculationStop != "MAIN-CIRC - Main Library circulation desk" || out[0].Retrieved != clock().Format(time.DateOnly) {
		t.Errorf("circstopout after retrieve: %+v", out)
	}
	if got := barcodes(read("/api/retrievedlist/v1/" + today + "/" + today + "/ALL")); got != bc {
		t.Errorf("retrievedlist today: %q", got)
	}

	step("POST", "/api/floor/v1/return", `{"barcode":"`+bc+`"}`)
	step("POST", "/api/floor/v1/refile", `{"barcode":"`+bc+`"}`)
	if out := read("/api/circstopout/v1/ALL").Out; len(out) != 0 {
		t.Errorf("circstopout after refile: %+v", out)
	}
	if got := barcodes(read("/api/refiledlist/v1/" + today + "/" + today + "/ALL")); got != bc {
		t.Errorf("refiledlist today: %q", got)
	}
	it = read("/api/item/v1/" + bc)
	if it.Items[0].Status != caiasoft.StatusAtRest || it.Items[0].Request.Status != store.RequestRefiled {
		t.Errorf("item after refile: %+v", it.Items)
	}
}

// TestUnknownCollectionIsRefused: a collection the facility does not have
// (a typo) is refused with the facility's collections and a did-you-mean,
// not answered with an empty list as if nothing had happened.
func TestUnknownCollectionIsRefused(t *testing.T) {
	w := newCaiaWorld(t, nil)
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/retrievedlist/v1/20250314/20250314/MAIN-ANEX", ""},
		{http.MethodGet, "/api/bibmissing/v1/MAIN-ANEX/title", ""},
		{http.MethodPost, "/api/union_title/v1", `{"title":"shelving","collection":"MAIN-ANEX"}`},
	} {
		status, body := w.call(t, c.method, c.path, w.facilityKey, c.body)
		if status != http.StatusBadRequest || !strings.Contains(string(body), `did you mean \"MAIN-ANNEX\"`) {
			t.Errorf("%s %s: %d %s; want 400 with a did-you-mean", c.method, c.path, status, body)
		}
	}
	if status, body := w.call(t, http.MethodGet, "/api/retrievedlist/v1/20250314/20250314/MAIN-ANNEX", w.facilityKey, ""); status != http.StatusOK {
		t.Errorf("a known collection: %d %s", status, body)
	}
}
