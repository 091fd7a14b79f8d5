package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/routes"
)

// Circulation is what the CaiaSoft-shaped write side and the floor
// operations need of the engine.
type Circulation interface {
	// CircRequests decides posted requests for a profile; with profile ""
	// each request's stop decides its profile.
	CircRequests(ctx context.Context, profile string, reqs []caiasoft.Entry[caiasoft.CircRequest]) ([]engine.Result, error)
	// ItemStatus returns an item of the inventory (engine.ErrUnknownItem when there is none).
	ItemStatus(ctx context.Context, barcode string) (store.Item, error)
	// ItemStatuses answers the status of each barcode, in order, as the
	// holder of viewer's key may see it ("" for the facility key).
	ItemStatuses(ctx context.Context, viewer string, barcodes []string) ([]caiasoft.ItemStatus, error)
	// IncomingItems announces items to accession for a profile; with
	// profile "" each item's collection decides.
	IncomingItems(ctx context.Context, profile string, items []caiasoft.Entry[caiasoft.IncomingItem]) (caiasoft.IncomingReply, error)
	// ItemUpdates changes items' data; a profile's key changes its own items only ("" for the facility key).
	ItemUpdates(ctx context.Context, profile string, items []caiasoft.Entry[caiasoft.ItemUpdate]) (caiasoft.ItemUpdatesReply, error)

	Retrieve(ctx context.Context, barcode string) error
	// RetrieveMany retrieves a pick list in one transaction; see engine.RetrieveMany.
	RetrieveMany(ctx context.Context, barcodes []string) ([]error, error)
	ScanDone(ctx context.Context, barcode string) error
	Return(ctx context.Context, barcode string) error
	Refile(ctx context.Context, barcode string) error
	Deaccession(ctx context.Context, barcode string) error
	MarkMissing(ctx context.Context, barcode string) error
	Receive(ctx context.Context, barcode string) error
	Accession(ctx context.Context, item profile.InventoryItem) error
}

// routesCirculation registers circrequests, itemstatus(list),
// incomingitems, itemupdates and the floor operations.
func (s *server) routesCirculation(mux *routes.Mux) {
	mux.HandleFunc("POST /api/circrequests/v1", s.circRequests)
	mux.HandleFunc("GET /api/itemstatus/v1/{barcode}", s.itemStatus)
	mux.HandleFunc("POST /api/itemstatuslist/v1", s.itemStatusList)
	mux.HandleFunc("POST /api/incomingitems/v1", s.incomingItems)
	mux.HandleFunc("POST /api/itemupdates/v1", s.itemUpdates)
	mux.HandleFunc("POST /api/floor/v1/picklist", s.facility(s.pickList))
	mux.HandleFunc("POST /api/floor/v1/{op}", s.facility(s.floor))
}

// batchStatus is the HTTP status of a body CaiaSoft's API refuses: a batch
// over the limit or a body that is not the endpoint's JSON.
func batchStatus(err error) int {
	if errors.Is(err, caiasoft.ErrBatch) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func (s *server) circRequests(w http.ResponseWriter, r *http.Request) {
	prof, status, err := s.poster(r, true)
	if err != nil {
		fail(w, status, err)
		return
	}
	reqs, _, err := caiasoft.Decode[caiasoft.CircRequest](http.MaxBytesReader(w, r.Body, MaxJSON), "requests")
	if err != nil {
		fail(w, batchStatus(err), fmt.Errorf("circrequests: %w", err))
		return
	}
	res, err := s.cfg.Backend.CircRequests(r.Context(), prof, reqs)
	if err != nil {
		fail(w, statusOf(err), err)
		return
	}
	answer(w, res)
}

// viewer resolves whose key reads: "" for the facility's, a profile's name
// for its intake key; ok is false for no known key.
func (s *server) viewer(r *http.Request) (string, bool) {
	key := r.Header.Get("X-API-Key")
	matched := ""
	for name, k := range s.cfg.ProfileKeys {
		if keyMatches(key, k) {
			matched = name
		}
	}
	if matched != "" {
		return matched, true
	}
	return "", s.isFacility(r)
}

func (s *server) itemStatus(w http.ResponseWriter, r *http.Request) {
	barcode := r.PathValue("barcode")
	viewer, ok := s.viewer(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, caiasoft.ItemStatusReply{Error: errUnauthorized.Error(), Barcode: barcode})
		return
	}
	st, err := s.cfg.Backend.ItemStatuses(r.Context(), viewer, []string{barcode})
	if err != nil {
		writeJSON(w, statusOf(err), caiasoft.ItemStatusReply{Error: err.Error(), Barcode: barcode})
		return
	}
	writeJSON(w, http.StatusOK, caiasoft.ItemStatusReply{Success: true, Barcode: barcode, Status: st[0].Status})
}

func (s *server) itemStatusList(w http.ResponseWriter, r *http.Request) {
	reply := caiasoft.ItemStatusListReply{ItemCount: "0", Items: []caiasoft.ItemStatus{}}
	viewer, ok := s.viewer(r)
	if !ok {
		reply.Error = errUnauthorized.Error()
		writeJSON(w, http.StatusUnauthorized, reply)
		return
	}
	barcodes, err := caiasoft.DecodeBarcodes(http.MaxBytesReader(w, r.Body, MaxJSON), "barcodes")
	if err != nil {
		reply.Error = "itemstatuslist: " + err.Error()
		writeJSON(w, batchStatus(err), reply)
		return
	}
	items, err := s.cfg.Backend.ItemStatuses(r.Context(), viewer, barcodes)
	if err != nil {
		reply.Error = err.Error()
		writeJSON(w, statusOf(err), reply)
		return
	}
	reply.Success, reply.ItemCount, reply.Items = true, strconv.Itoa(len(items)), items
	writeJSON(w, http.StatusOK, reply)
}

func (s *server) incomingItems(w http.ResponseWriter, r *http.Request) {
	reply := caiasoft.IncomingReply{IncomingCount: "0", RejectedCount: "0", Rejects: []caiasoft.Note{}, Warnings: []caiasoft.Note{}}
	prof, status, err := s.poster(r, true)
	if err != nil {
		reply.Error = err.Error()
		writeJSON(w, status, reply)
		return
	}
	items, _, err := caiasoft.Decode[caiasoft.IncomingItem](http.MaxBytesReader(w, r.Body, MaxJSON), "incoming")
	if err != nil {
		reply.Error = "incomingitems: " + err.Error()
		writeJSON(w, batchStatus(err), reply)
		return
	}
	out, err := s.cfg.Backend.IncomingItems(r.Context(), prof, items)
	if err != nil {
		reply.Error = err.Error()
		writeJSON(w, statusOf(err), reply)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) itemUpdates(w http.ResponseWriter, r *http.Request) {
	reply := caiasoft.ItemUpdatesReply{TotalCount: "0", UpdatedCount: "0", Errors: []caiasoft.Note{}, Warnings: []caiasoft.Note{}}
	viewer, ok := s.viewer(r)
	if !ok {
		reply.Error = errUnauthorized.Error()
		writeJSON(w, http.StatusUnauthorized, reply)
		return
	}
	items, _, err := caiasoft.Decode[caiasoft.ItemUpdate](http.MaxBytesReader(w, r.Body, MaxJSON), "items")
	if err != nil {
		reply.Error = "itemupdates: " + err.Error()
		writeJSON(w, batchStatus(err), reply)
		return
	}
	out, err := s.cfg.Backend.ItemUpdates(r.Context(), viewer, items)
	if err != nil {
		reply.Error = err.Error()
		writeJSON(w, statusOf(err), reply)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// floorOps are the floor operations that take a barcode alone.
func (s *server) floorOps() map[string]func(context.Context, string) error {
	b := s.cfg.Backend
	return map[string]func(context.Context, string) error{
		"retrieve": b.Retrieve, "scan-done": b.ScanDone, "return": b.Return, "refile": b.Refile,
		"deaccession": b.Deaccession, "missing": b.MarkMissing, "receive": b.Receive,
	}
}

func (s *server) floor(w http.ResponseWriter, r *http.Request) {
	var it profile.InventoryItem
	if err := decodeStrict(w, r, &it); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if it.Barcode == "" {
		fail(w, http.StatusBadRequest, errors.New(`"barcode" is required`))
		return
	}
	op := r.PathValue("op")
	var err error
	if fn, ok := s.floorOps()[op]; ok {
		err = fn(r.Context(), it.Barcode)
	} else if op == "accession" {
		err = s.cfg.Backend.Accession(r.Context(), it)
	} else {
		fail(w, http.StatusNotFound, fmt.Errorf("unknown floor operation %q: want %s", op, floorOpNames))
		return
	}
	if err != nil {
		fail(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "error": "", "barcode": it.Barcode})
}

// floorOpNames lists the floor operations for error messages.
const floorOpNames = "retrieve, scan-done, return, refile, deaccession, missing, receive, accession or picklist"

var errUnauthorized = errors.New("invalid or missing X-API-Key")
