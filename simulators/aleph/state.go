package aleph

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/annexlab/annex/internal/strict"
)

// Item statuses.
const (
	StatusOnShelf        = "on_shelf"
	StatusOnLoan         = "on_loan"
	StatusMissing        = "missing"
	StatusNotCirculating = "not_circulating"
)

// ItemStatuses lists every item status, the values a state may give and
// scenarios may expect.
func ItemStatuses() []string {
	return []string{StatusOnShelf, StatusOnLoan, StatusMissing, StatusNotCirculating}
}

// Request types and statuses.
const (
	RequestHold      = "hold"
	RequestPhotocopy = "photocopy"
	RequestPending   = "pending"
	RequestPosted    = "posted"
)

// dateLayout is ALEPH's date format, YYYYMMDD.
const dateLayout = "20060102"

// State is the library's circulation state: what GET /_sim/state shows and
// PUT /_sim/state replaces.
type State struct {
	SubLibraries []string `yaml:"sub_libraries" json:"sub_libraries"`
	// SubLibraryNames maps a sublibrary code to its name, which slips
	// print in z30-sub-library; a code without a name prints as itself.
	SubLibraryNames map[string]string `yaml:"sub_library_names,omitempty" json:"sub_library_names,omitempty"`
	Items           []Item            `yaml:"items" json:"items"`
	Requests        []HoldRequest     `yaml:"requests" json:"requests"`
	Patrons         []Patron          `yaml:"patrons" json:"patrons"`
}

// Item is one ALEPH item (Z30).
type Item struct {
	Barcode    string `yaml:"barcode" json:"barcode"`
	SubLibrary string `yaml:"sub_library" json:"sub_library"`
	Collection string `yaml:"collection,omitempty" json:"collection,omitempty"`
	CallNumber string `yaml:"call_number,omitempty" json:"call_number,omitempty"`
	// Status is on_shelf, on_loan, missing or not_circulating; "" means on_shelf.
	Status string `yaml:"status" json:"status"`
	Loan   *Loan  `yaml:"loan,omitempty" json:"loan,omitempty"`
}

// Loan is an item's current loan (Z36).
type Loan struct {
	User string `yaml:"user" json:"user"`
	// Due is an xs:dateTime in UTC, as the CheckOutItemResponse said it.
	Due string `yaml:"due" json:"due"`
}

// HoldRequest is a hold or photocopy request (Z37, Z38) waiting for the
// facility: the poster sends the pending ones as request slips.
type HoldRequest struct {
	ID         string `yaml:"id" json:"id"`
	Barcode    string `yaml:"barcode" json:"barcode"`
	PatronID   string `yaml:"patron_id" json:"patron_id"`
	PatronName string `yaml:"patron_name" json:"patron_name"`
	// PatronAddress is up to four address lines (z302-address-1…-4; line 0 is the name).
	PatronAddress []string `yaml:"patron_address,omitempty" json:"patron_address,omitempty"`
	PatronEmail   string   `yaml:"patron_email,omitempty" json:"patron_email,omitempty"`
	PatronPhone   string   `yaml:"patron_phone,omitempty" json:"patron_phone,omitempty"`
	// PickupLocation is the pickup location's name, as a hold slip prints it (z37-pickup-location).
	PickupLocation string `yaml:"pickup_location" json:"pickup_location"`
	// PickupCode is a photocopy's pickup location, a code (z38-pickup-location); "" means SubLibrary.
	PickupCode string `yaml:"pickup_code,omitempty" json:"pickup_code,omitempty"`
	// SubLibrary is the request's sublibrary code (z37/z38-filter-sub-library).
	SubLibrary string `yaml:"sub_library" json:"sub_library"`
	Title      string `yaml:"title,omitempty" json:"title,omitempty"`
	Author     string `yaml:"author,omitempty" json:"author,omitempty"`
	// ISBN is the record's ISBN or ISSN (z13-isbn-issn).
	ISBN string `yaml:"isbn,omitempty" json:"isbn,omitempty"`
	// Items are the barcodes a photocopy slip (or a legacy-layout hold
	// slip) lists in section-02, as ALEPH lists the record's items; empty
	// means Barcode alone.
	Items       []string `yaml:"items,omitempty" json:"items,omitempty"`
	CallNumber  string   `yaml:"call_number,omitempty" json:"call_number,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	// RequestDate is YYYYMMDD.
	RequestDate string `yaml:"request_date" json:"request_date"`
	// Type is hold or photocopy; "" means hold.
	Type string `yaml:"type" json:"type"`
	// Pages and Note describe a photocopy request (section-03).
	Pages string `yaml:"pages,omitempty" json:"pages,omitempty"`
	Note  string `yaml:"note,omitempty" json:"note,omitempty"`
	// Status is pending until the poster has delivered it, then posted.
	Status string `yaml:"status,omitempty" json:"status"`
}

// Patron is a library user (Z303).
type Patron struct {
	ID      string `yaml:"id" json:"id"`
	Name    string `yaml:"name" json:"name"`
	Blocked bool   `yaml:"blocked,omitempty" json:"blocked"`
}

// fieldError is a validation error at a path of keys and indexes, so a
// loader can point at the line.
type fieldError struct {
	path []any
	msg  string
}

func (e *fieldError) Error() string { return strict.Path(e.path...) + ": " + e.msg }

func ferr(msg string, path ...any) error { return &fieldError{path: path, msg: msg} }

// placed puts a validation error at its place in doc.
func placed(doc *strict.Doc, err error) error {
	var fe *fieldError
	if !errors.As(err, &fe) {
		return err
	}
	return doc.Errorf(fe.path, "%s", fe.msg)
}

// validate checks the state's values and references.
func (st *State) validate() error {
	subs := map[string]bool{}
	for _, s := range st.SubLibraries {
		subs[s] = true
	}
	known := func(s string) bool { return len(subs) == 0 || subs[s] }
	barcodes := map[string]bool{}
	for i, it := range st.Items {
		switch {
		case it.Barcode == "":
			return ferr("barcode is required", "items", i, "barcode")
		case barcodes[it.Barcode]:
			return ferr(fmt.Sprintf("barcode %q appears twice", it.Barcode), "items", i, "barcode")
		case !known(it.SubLibrary):
			return ferr(fmt.Sprintf("sub_library %q is not one of sub_libraries %v", it.SubLibrary, st.SubLibraries), "items", i, "sub_library")
		}
		barcodes[it.Barcode] = true
		switch it.Status {
		case "", StatusOnShelf, StatusMissing, StatusNotCirculating:
			if it.Loan != nil {
				return ferr(fmt.Sprintf("an item with status %q cannot have a loan; use status on_loan", it.Status), "items", i, "loan")
			}
		case StatusOnLoan:
			if it.Loan == nil || it.Loan.User == "" {
				return ferr("an item on loan needs loan.user", "items", i, "status")
			}
			if it.Loan.Due != "" {
				if _, err := time.Parse(time.RFC3339, it.Loan.Due); err != nil {
					return ferr(fmt.Sprintf("%q is not a date-time like 2025-01-31T00:00:00Z", it.Loan.Due), "items", i, "loan", "due")
				}
			}
		default:
			return ferr(fmt.Sprintf("status %q: want on_shelf, on_loan, missing or not_circulating", it.Status), "items", i, "status")
		}
	}
	ids := map[string]bool{}
	for i, r := range st.Requests {
		switch {
		case r.ID == "":
			return ferr("id is required", "requests", i, "id")
		case ids[r.ID]:
			return ferr(fmt.Sprintf("request id %q appears twice", r.ID), "requests", i, "id")
		case r.Type != "" && r.Type != RequestHold && r.Type != RequestPhotocopy:
			return ferr(fmt.Sprintf("type %q: want hold or photocopy", r.Type), "requests", i, "type")
		case r.Status != "" && r.Status != RequestPending && r.Status != RequestPosted:
			return ferr(fmt.Sprintf("status %q: want pending or posted", r.Status), "requests", i, "status")
		case r.SubLibrary != "" && !known(r.SubLibrary):
			return ferr(fmt.Sprintf("sub_library %q is not one of sub_libraries %v", r.SubLibrary, st.SubLibraries), "requests", i, "sub_library")
		}
		if len(r.PatronAddress) > 4 {
			return ferr("at most four lines (z302-address-1…-4)", "requests", i, "patron_address")
		}
		ids[r.ID] = true
		if r.RequestDate != "" {
			if _, err := time.Parse(dateLayout, r.RequestDate); err != nil || len(r.RequestDate) != 8 {
				return ferr(fmt.Sprintf("%q is not a date YYYYMMDD", r.RequestDate), "requests", i, "request_date")
			}
		}
	}
	pids := map[string]bool{}
	for i, p := range st.Patrons {
		switch {
		case p.ID == "":
			return ferr("id is required", "patrons", i, "id")
		case pids[p.ID]:
			return ferr(fmt.Sprintf("patron id %q appears twice", p.ID), "patrons", i, "id")
		}
		pids[p.ID] = true
	}
	return nil
}

// clone returns a deep copy, so the initial state survives changes.
func (st State) clone() State {
	out := State{
		SubLibraries:    slices.Clone(st.SubLibraries),
		SubLibraryNames: maps.Clone(st.SubLibraryNames),
		Items:           slices.Clone(st.Items),
		Requests:        slices.Clone(st.Requests),
		Patrons:         slices.Clone(st.Patrons),
	}
	for i := range out.Items {
		if l := out.Items[i].Loan; l != nil {
			c := *l
			out.Items[i].Loan = &c
		}
		if out.Items[i].Status == "" {
			out.Items[i].Status = StatusOnShelf
		}
	}
	for i := range out.Requests {
		out.Requests[i].PatronAddress = slices.Clone(out.Requests[i].PatronAddress)
		out.Requests[i].Items = slices.Clone(out.Requests[i].Items)
		if out.Requests[i].Type == "" {
			out.Requests[i].Type = RequestHold
		}
		if out.Requests[i].Status == "" {
			out.Requests[i].Status = RequestPending
		}
	}
	return out
}

// store is the live state behind a mutex; it implements simapi.Simulator.
type store struct {
	mu      sync.Mutex
	initial State
	cur     State
}

func newStore(initial State) *store {
	return &store{initial: initial.clone(), cur: initial.clone()}
}

// Snapshot implements simapi.Simulator.
func (s *store) Snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.clone()
}

// LoadState implements simapi.Simulator: a YAML or JSON State, strictly decoded.
func (s *store) LoadState(data []byte) error {
	st, err := parseState(data)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = st.clone()
	return nil
}

// parseState decodes and validates a state document; errors name the line.
func parseState(data []byte) (State, error) {
	var st State
	doc, err := strict.Decode("", data, &st)
	if err != nil {
		return State{}, fmt.Errorf("state: %w", err)
	}
	if err := st.validate(); err != nil {
		return State{}, fmt.Errorf("state: %w", placed(doc, err))
	}
	return st, nil
}

// ResetState implements simapi.Simulator.
func (s *store) ResetState() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = s.initial.clone()
}

// item returns the item with the barcode, or nil.
func (st *State) item(barcode string) *Item {
	for i := range st.Items {
		if st.Items[i].Barcode == barcode {
			return &st.Items[i]
		}
	}
	return nil
}

// patron returns the patron with the id, or nil.
func (st *State) patron(id string) *Patron {
	for i := range st.Patrons {
		if st.Patrons[i].ID == id {
			return &st.Patrons[i]
		}
	}
	return nil
}
