package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/internal/routes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/profile"
)

// The read side of the facility's inventory, in CaiaSoft's shape (DESIGN
// §1.3). Who may read: the facility key reads every library's items; a
// profile's intake key reads its own profile's items only: another
// library's item is answered as CaiaSoft answers it, with the status "Item
// Restricted from this API Key", and lists leave it out.
//
//	GET  /api/item/v1/{barcode}                        items: [Item]
//	GET  /api/itemloc/v1/{barcode}                     item:  [ItemLoc]
//	POST /api/itemsbybarcode/v1 {"barcodes":[…]}       item_count, items
//	POST /api/itemloclist/v1    {"items":[…]}          item
//	GET  /api/<date list>/v1/{from}/{to}/{collection}[/{Y|N}]  count, barcodes | items
//	GET  /api/bibmissing/v1/{collection}/{field}       count, barcodes
//	GET  /api/bibmissing_bydate/v1/{from}/{to}/{collection}/{field}
//	POST /api/union_<field>/v1 {"<field>":"…"}         item_count, items
//	GET  /api/circstoplist/v1/{ACTIVE|ALL}             count, stoplist
//	GET  /api/circstopout/v1/{stop|ALL}                count, items_out
//	GET  /api/openapi.json                             this API's OpenAPI 3.1 description, no key

// Scope and DateQuery are the engine's (the domain's), named here for the
// read endpoints.
type (
	Scope     = engine.Scope
	DateQuery = engine.DateQuery
)

// Inventory is what the read endpoints ask of the engine. ItemInfos and
// ItemLocations answer one entry per barcode, in the order asked; a barcode the
// scope may not see comes back with only its barcode and the status
// caiasoft.StatusNotFound or caiasoft.StatusRestrictedFromKey.
type Inventory interface {
	ItemInfos(ctx context.Context, sc Scope, barcodes []string) ([]caiasoft.Item, error)
	ItemLocations(ctx context.Context, sc Scope, barcodes []string) ([]caiasoft.ItemLoc, error)
	// DateList answers a date-range list: barcodes, or items for an info list.
	DateList(ctx context.Context, sc Scope, q DateQuery) ([]string, []caiasoft.Item, error)
	BibMissing(ctx context.Context, sc Scope, collection, field string) ([]string, error)
	// BibMissingByDate is BibMissing for the items accessioned on a day from
	// from to to (YYYYMMDD).
	BibMissingByDate(ctx context.Context, sc Scope, from, to, collection, field string) ([]string, error)
	// Search answers a union_* search.
	Search(ctx context.Context, sc Scope, s caiasoft.Search, q caiasoft.SearchQuery) ([]caiasoft.Item, error)
	Stops(all bool) []profile.Stop
	// StopsOut lists the items out for requests to stop (a code or a name; "" for every stop).
	StopsOut(ctx context.Context, sc Scope, stop string) ([]caiasoft.ItemOut, error)
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the API's OpenAPI 3.1 description, as served at /api/openapi.json.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

func (s *server) routesInventory(mux *routes.Mux) {
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	mux.HandleFunc("GET /api/item/v1/{barcode}", s.reader(s.item))
	mux.HandleFunc("GET /api/itemloc/v1/{barcode}", s.reader(s.itemLoc))
	mux.HandleFunc("POST /api/itemsbybarcode/v1", s.reader(s.itemsByBarcode))
	mux.HandleFunc("POST /api/itemloclist/v1", s.reader(s.itemLocList))
	for _, l := range caiasoft.DateLists {
		path := "GET /api/" + l.Name + "/v1/{from}/{to}/{collection}"
		mux.HandleFunc(path, s.reader(s.dateList(l)))
		if l.Reaccession {
			mux.HandleFunc(path+"/{reaccessioned}", s.reader(s.dateList(l)))
		}
	}
	mux.HandleFunc("GET /api/bibmissing/v1/{collection}/{field}", s.reader(s.bibMissing))
	mux.HandleFunc("GET /api/bibmissing_bydate/v1/{from}/{to}/{collection}/{field}", s.reader(s.bibMissing))
	for _, sr := range caiasoft.Searches {
		mux.HandleFunc("POST /api/"+sr.Endpoint+"/v1", s.reader(s.search(sr)))
	}
	mux.HandleFunc("GET /api/circstoplist/v1/{which}", s.reader(s.stopList))
	mux.HandleFunc("GET /api/circstopout/v1/{stop}", s.reader(s.stopOut))
}

// reader guards a read endpoint: the facility key reads everything, a
// profile's intake key its own profile's items (see viewer).
func (s *server) reader(h func(http.ResponseWriter, *http.Request, Scope)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		viewer, ok := s.viewer(r)
		if !ok {
			failRead(w, http.StatusUnauthorized, errUnauthorized)
			return
		}
		h(w, r, Scope{Profile: viewer})
	}
}

// failRead answers a read endpoint's failure: the envelope alone.
func failRead(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, struct {
		Success bool   `json:"success"`
		Error   string `json:"error"`
	}{false, err.Error()})
}

// answerRead answers a read endpoint's success: the envelope and fields, in the
// order given (key, value, key, value, …).
func answerRead(w http.ResponseWriter, kv ...any) {
	var b bytes.Buffer
	b.WriteString(`{"success":true,"error":""`)
	for i := 0; i+1 < len(kv); i += 2 {
		v, err := marshal(kv[i+1])
		if err != nil {
			failRead(w, http.StatusInternalServerError, err)
			return
		}
		fmt.Fprintf(&b, ",%q:%s", kv[i], v)
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// listed shows an item in full, or only its barcode and status when the
// caller may not see it.
func listed[T any](items []T, status func(T) (string, string)) []any {
	out := make([]any, len(items))
	for i, it := range items {
		barcode, st := status(it)
		if st == caiasoft.StatusNotFound || st == caiasoft.StatusRestrictedFromKey {
			out[i] = caiasoft.Unlisted{Barcode: barcode, Status: st}
		} else {
			out[i] = it
		}
	}
	return out
}

func itemKey(it caiasoft.Item) (string, string)       { return it.Barcode, it.Status }
func itemLocKey(it caiasoft.ItemLoc) (string, string) { return it.Barcode, it.Status }

func (s *server) item(w http.ResponseWriter, r *http.Request, sc Scope) {
	items, err := s.cfg.Backend.ItemInfos(r.Context(), sc, []string{r.PathValue("barcode")})
	if err != nil {
		failRead(w, statusOf(err), err)
		return
	}
	answerRead(w, "items", listed(items, itemKey))
}

func (s *server) itemLoc(w http.ResponseWriter, r *http.Request, sc Scope) {
	items, err := s.cfg.Backend.ItemLocations(r.Context(), sc, []string{r.PathValue("barcode")})
	if err != nil {
		failRead(w, statusOf(err), err)
		return
	}
	answerRead(w, "item", listed(items, itemLocKey))
}

func (s *server) itemsByBarcode(w http.ResponseWriter, r *http.Request, sc Scope) {
	barcodes, err := caiasoft.DecodeBarcodes(http.MaxBytesReader(w, r.Body, MaxJSON), "barcodes")
	if err != nil {
		failRead(w, batchStatus(err), err)
		return
	}
	items, err := s.cfg.Backend.ItemInfos(r.Context(), sc, barcodes)
	if err != nil {
		failRead(w, statusOf(err), err)
		return
	}
	answerRead(w, "item_count", strconv.Itoa(len(items)), "items", listed(items, itemKey))
}

func (s *server) itemLocList(w http.ResponseWriter, r *http.Request, sc Scope) {
	barcodes, err := caiasoft.DecodeBarcodes(http.MaxBytesReader(w, r.Body, MaxJSON), "items")
	if err != nil {
		failRead(w, batchStatus(err), err)
		return
	}
	items, err := s.cfg.Backend.ItemLocations(r.Context(), sc, barcodes)
	if err != nil {
		failRead(w, statusOf(err), err)
		return
	}
	answerRead(w, "item", listed(items, itemLocKey))
}

// dateRange checks a list's from and to dates (YYYYMMDD, from not after to).
func dateRange(list, from, to string) error {
	for _, p := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, err := time.Parse(caiasoft.DateLayout, p.v); err != nil || len(p.v) != len(caiasoft.DateLayout) {
			return fmt.Errorf("%s: %s date %q is not a date: want YYYYMMDD, e.g. 20250314", list, p.name, p.v)
		}
	}
	if from > to {
		return fmt.Errorf("%s: from date %s is after to date %s", list, from, to)
	}
	return nil
}

// collection reads a collection parameter: ALL (any case) is every collection.
func collection(v string) string {
	if strings.EqualFold(v, caiasoft.CollectionAll) {
		return ""
	}
	return v
}

func (s *server) dateList(l caiasoft.DateList) func(http.ResponseWriter, *http.Request, Scope) {
	return func(w http.ResponseWriter, r *http.Request, sc Scope) {
		q := DateQuery{List: l, From: r.PathValue("from"), To: r.PathValue("to"), Collection: collection(r.PathValue("collection"))}
		if err := dateRange(l.Name, q.From, q.To); err != nil {
			failRead(w, http.StatusBadRequest, err)
			return
		}
		switch re := strings.ToUpper(r.PathValue("reaccessioned")); re {
		case "", "N":
		case "Y":
			q.Reaccessioned = true
		default:
			failRead(w, http.StatusBadRequest, fmt.Errorf("%s: include-reaccessioned %q: want Y or N", l.Name, r.PathValue("reaccessioned")))
			return
		}
		barcodes, items, err := s.cfg.Backend.DateList(r.Context(), sc, q)
		if err != nil {
			failRead(w, statusOf(err), err)
			return
		}
		if l.Info {
			if items == nil {
				items = []caiasoft.Item{}
			}
			answerRead(w, "count", strconv.Itoa(len(items)), "items", items)
			return
		}
		if barcodes == nil {
			barcodes = []string{}
		}
		answerRead(w, "count", strconv.Itoa(len(barcodes)), "barcodes", barcodes)
	}
}

func (s *server) bibMissing(w http.ResponseWriter, r *http.Request, sc Scope) {
	field := strings.ToLower(r.PathValue("field"))
	known := false
	for _, f := range caiasoft.BibFields {
		known = known || f == field
	}
	if !known {
		failRead(w, http.StatusBadRequest, fmt.Errorf("bibmissing: field %q: want one of %s", r.PathValue("field"), strings.Join(caiasoft.BibFields, ", ")))
		return
	}
	coll := collection(r.PathValue("collection"))
	var barcodes []string
	var err error
	if from, to := r.PathValue("from"), r.PathValue("to"); from != "" {
		if err := dateRange("bibmissing_bydate", from, to); err != nil {
			failRead(w, http.StatusBadRequest, err)
			return
		}
		barcodes, err = s.cfg.Backend.BibMissingByDate(r.Context(), sc, from, to, coll, field)
	} else {
		barcodes, err = s.cfg.Backend.BibMissing(r.Context(), sc, coll, field)
	}
	if err != nil {
		failRead(w, statusOf(err), err)
		return
	}
	if barcodes == nil {
		barcodes = []string{}
	}
	answerRead(w, "count", strconv.Itoa(len(barcodes)), "barcodes", barcodes)
}

func (s *server) search(sr caiasoft.Search) func(http.ResponseWriter, *http.Request, Scope) {
	return func(w http.ResponseWriter, r *http.Request, sc Scope) {
		q, err := caiasoft.DecodeSearch(http.MaxBytesReader(w, r.Body, MaxJSON), sr)
		if err != nil {
			failRead(w, http.StatusBadRequest, fmt.Errorf("%s: %w", sr.Endpoint, err))
			return
		}
		q.Collection = collection(q.Collection)
		items, err := s.cfg.Backend.Search(r.Context(), sc, sr, q)
		if err != nil {
			failRead(w, statusOf(err), err)
			return
		}
		if items == nil {
			items = []caiasoft.Item{}
		}
		answerRead(w, "item_count", strconv.Itoa(len(items)), "items", items)
	}
}

func (s *server) stopList(w http.ResponseWriter, r *http.Request, _ Scope) {
	which := strings.ToUpper(r.PathValue("which"))
	if which != "ACTIVE" && which != "ALL" {
		failRead(w, http.StatusBadRequest, fmt.Errorf("circstoplist: %q: want ACTIVE or ALL", r.PathValue("which")))
		return
	}
	out := []caiasoft.StopEntry{}
	for _, st := range s.cfg.Backend.Stops(which == "ALL") {
		a := "N"
		if st.Active {
			a = "Y"
		}
		out = append(out, caiasoft.StopEntry{Code: st.Code, Name: st.Name, Active: a})
	}
	answerRead(w, "count", strconv.Itoa(len(out)), "stoplist", out)
}

func (s *server) stopOut(w http.ResponseWriter, r *http.Request, sc Scope) {
	stop := r.PathValue("stop")
	if strings.EqualFold(stop, "ALL") {
		stop = ""
	}
	out, err := s.cfg.Backend.StopsOut(r.Context(), sc, stop)
	if err != nil {
		failRead(w, statusOf(err), err)
		return
	}
	if out == nil {
		out = []caiasoft.ItemOut{}
	}
	answerRead(w, "count", strconv.Itoa(len(out)), "items_out", out)
}
