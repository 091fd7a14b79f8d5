package alma

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/internal/suggest"
)

// Item statuses.
const (
	StatusInPlace   = "in_place"
	StatusRequested = "requested"
	StatusInTransit = "in_transit"
	StatusOnLoan    = "on_loan"
	StatusMissing   = "missing"
)

// Request workflow steps.
const (
	StepPending     = "pending"
	StepExported    = "exported"
	StepTransitItem = "transit_item"
	StepCancelled   = "cancelled"
	StepCompleted   = "completed"
)

// RequestTypeMove is the request type of a move (location change) request;
// CheckInItem deletes move requests on the item (docs/libraries.md, ALMA).
const RequestTypeMove = "MOVE"

// ItemStatuses lists every item status, the values a state may give and
// scenarios may expect.
func ItemStatuses() []string {
	return []string{StatusInPlace, StatusRequested, StatusInTransit, StatusOnLoan, StatusMissing}
}

// RequestSteps lists every step of a request's workflow.
func RequestSteps() []string {
	return []string{StepPending, StepExported, StepTransitItem, StepCancelled, StepCompleted}
}

// State is what the mock ALMA knows: its institution, remote-storage
// integration profiles, libraries, users, items and requests. It is
// loaded from YAML or JSON (the same field names), and GET /_sim/state
// returns it in the same shape, so a snapshot can be PUT back.
type State struct {
	// Institution is the ALMA institution code, such as 01PRI_INST; it is
	// the ToAgencyId every facility message must carry.
	Institution string `yaml:"institution" json:"institution"`
	// InstitutionName is what the export writes as pickup/library of a
	// digitization request; "" reads as Institution.
	InstitutionName string `yaml:"institution_name,omitempty" json:"institution_name,omitempty"`
	// Profiles are the remote-storage integration profiles. Their codes are
	// what the facility sends as ApplicationProfileType, compared case-sensitively.
	Profiles  []Profile `yaml:"profiles" json:"profiles"`
	Libraries []Library `yaml:"libraries" json:"libraries"`
	Users     []User    `yaml:"users" json:"users"`
	Items     []Item    `yaml:"items" json:"items"`
	Requests  []Request `yaml:"requests" json:"requests"`
}

// Profile is a remote-storage integration profile and the locations it serves.
type Profile struct {
	Code      string        `yaml:"code" json:"code"`
	Locations []LocationRef `yaml:"locations" json:"locations"`
}

// LocationRef names a location of a library. As an in-transit target
// (transit_to) Location may name a circulation desk of the library, or be
// empty for the library itself.
type LocationRef struct {
	Library  string `yaml:"library" json:"library"`
	Location string `yaml:"location" json:"location"`
}

// Library is an ALMA library with its locations and circulation desks.
type Library struct {
	Code string `yaml:"code" json:"code"`
	// Name is what the export writes as pickup/library ("Rockefeller
	// Library"); "" reads as Code.
	Name      string     `yaml:"name,omitempty" json:"name"`
	Locations []Location `yaml:"locations" json:"locations"`
	Desks     []Desk     `yaml:"desks" json:"desks"`
}

// Desk is a circulation desk. In YAML a plain string is a desk code
// (`desks: [CIRC]`), so older state files still load.
type Desk struct {
	Code string `yaml:"code" json:"code"`
	// Name is what the export writes as pickup/desk ("Digitization
	// Department For Institution"); "" reads as Code.
	Name string `yaml:"name,omitempty" json:"name"`
}

// UnmarshalYAML reads a desk as a code alone or as {code, name}. Unknown
// keys are errors with their line, as everywhere else in a state file
// (a custom unmarshaler does not inherit the decoder's KnownFields).
func (d *Desk) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*d = Desk{Code: n.Value}
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var dst *string
			switch k.Value {
			case "code":
				dst = &d.Code
			case "name":
				dst = &d.Name
			default:
				msg := fmt.Sprintf("unknown field %q of a desk; a desk has code and name", k.Value)
				if s := suggest.Closest(k.Value, []string{"code", "name"}); s != "" {
					msg = fmt.Sprintf("unknown field %q of a desk (did you mean %q?)", k.Value, s)
				}
				return &strict.Error{Line: k.Line, Col: k.Column, Msg: msg}
			}
			if v.Kind != yaml.ScalarNode {
				return &strict.Error{Line: v.Line, Col: v.Column, Msg: fmt.Sprintf("desk %s: want a string, got a %s", k.Value, map[yaml.Kind]string{yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}[v.Kind])}
			}
			*dst = v.Value
		}
		return nil
	}
	return &strict.Error{Line: n.Line, Col: n.Column, Msg: "a desk is a code or {code, name}"}
}

// Location is a shelving location of a library.
type Location struct {
	Code          string `yaml:"code" json:"code"`
	RemoteStorage bool   `yaml:"remote_storage,omitempty" json:"remote_storage,omitempty"`
}

// User is a patron or the facility's circulation user.
type User struct {
	ID      string `yaml:"id" json:"id"`
	Blocked bool   `yaml:"blocked,omitempty" json:"blocked,omitempty"`
}

// Item is a physical item with the bibliographic data the export carries.
type Item struct {
	Barcode      string `yaml:"barcode" json:"barcode"`
	Library      string `yaml:"library" json:"library"`
	Location     string `yaml:"location" json:"location"`
	MaterialType string `yaml:"material_type,omitempty" json:"material_type,omitempty"`
	// MMSID and ItemID (the item PID) are exported with requests on the item.
	MMSID       string `yaml:"mms_id,omitempty" json:"mms_id,omitempty"`
	ItemID      string `yaml:"item_id,omitempty" json:"item_id,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Title       string `yaml:"title,omitempty" json:"title,omitempty"`
	Author      string `yaml:"author,omitempty" json:"author,omitempty"`
	ISBN        string `yaml:"isbn,omitempty" json:"isbn,omitempty"`
	ISSN        string `yaml:"issn,omitempty" json:"issn,omitempty"`
	// PlaceOfPublication and DateOfPublication are exported as written.
	PlaceOfPublication string `yaml:"place_of_publication,omitempty" json:"place_of_publication,omitempty"`
	DateOfPublication  string `yaml:"date_of_publication,omitempty" json:"date_of_publication,omitempty"`
	CallNumber         string `yaml:"call_number,omitempty" json:"call_number,omitempty"`
	// CallNumberType is ALMA's call_number_type code (0 = LC, 1 = Dewey, …).
	CallNumberType string `yaml:"call_number_type,omitempty" json:"call_number_type,omitempty"`
	// Status is one of in_place, requested, in_transit, on_loan, missing; "" reads as in_place.
	Status string `yaml:"status,omitempty" json:"status"`
	Loan   *Loan  `yaml:"loan,omitempty" json:"loan,omitempty"`
	// PendingLocation is a location change waiting for the item; CheckOutItem
	// puts the item in transit to it.
	PendingLocation *LocationRef `yaml:"pending_location,omitempty" json:"pending_location,omitempty"`
	// TransitTo is where an in_transit item is going.
	TransitTo *LocationRef `yaml:"transit_to,omitempty" json:"transit_to,omitempty"`
}

// Loan is an item's current loan.
type Loan struct {
	User string `yaml:"user" json:"user"`
	// Due is an xs:dateTime as ALMA writes it (2022-06-20T00:00:00.000Z).
	Due string `yaml:"due" json:"due"`
}

// Request is a patron or staff request on an item (or a title).
type Request struct {
	ID string `yaml:"id" json:"id"`
	// Type is the requestType ALMA exports (PATRON_PHYSICAL,
	// RESOURCE_SHARING_P2D_SHIPMENT, PHYSICAL_TO_DIGITIZATION,
	// STAFF_PHYSICAL_DIGITIZATION, GENERAL_DIGITIZATION; "" reads as
	// PATRON_PHYSICAL), or MOVE, which CheckInItem deletes. The legacy
	// export writes PATRON_PHYSICAL as HOLD.
	Type string `yaml:"type" json:"type"`
	// Barcode is empty for a title-level request; then MMSID names the title.
	Barcode string `yaml:"barcode,omitempty" json:"barcode,omitempty"`
	MMSID   string `yaml:"mms_id,omitempty" json:"mms_id,omitempty"`
	// Citation is what ALMA writes where the barcode goes for a title-level
	// request ("Volume 96; Issue 4; Publication Date 1989").
	Citation string `yaml:"citation,omitempty" json:"citation,omitempty"`
	// PickupLibrary is the pickup library's code; "" means the item's library.
	PickupLibrary string `yaml:"pickup_library,omitempty" json:"pickup_library,omitempty"`
	// PickupDesk is the code of the desk a digitization request is
	// delivered to (a desk of PickupLibrary, or of any library when that is empty).
	PickupDesk string `yaml:"pickup_desk,omitempty" json:"pickup_desk,omitempty"`
	// PersonalDelivery sends the item to the patron's address (pickup/library PERSONAL_DELIVERY).
	PersonalDelivery bool `yaml:"personal_delivery,omitempty" json:"personal_delivery,omitempty"`
	// PickupLocation is the pickup code of the legacy export shape only.
	PickupLocation string `yaml:"pickup_location,omitempty" json:"pickup_location,omitempty"`
	Patron         Patron `yaml:"patron,omitempty" json:"patron"`
	// Description is the legacy export's description; the real export
	// writes RequestedInfo.Description, or this, or the item's.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Note        string `yaml:"note,omitempty" json:"note,omitempty"`
	// RequestedInfo is what the requester asked for (requestedInfo).
	RequestedInfo *RequestedInfo `yaml:"requested_info,omitempty" json:"requested_info,omitempty"`
	// DigitizationDepartment is the digitizationDepartmentCode of a digitization request.
	DigitizationDepartment string `yaml:"digitization_department,omitempty" json:"digitization_department,omitempty"`
	// ShipAddress is where a personal delivery or resource-sharing shipment goes.
	ShipAddress *Address `yaml:"ship_address,omitempty" json:"ship_address,omitempty"`
	// Step is one of pending, exported, transit_item, cancelled, completed; "" reads as pending.
	Step string `yaml:"step,omitempty" json:"step"`
}

// RequestedInfo is requestedInfo's parts.
type RequestedInfo struct {
	Description    string `yaml:"description,omitempty" json:"description,omitempty"`
	PartToDigitize string `yaml:"part_to_digitize,omitempty" json:"part_to_digitize,omitempty"`
}

// Address is a shipAddress; an empty line is exported xsi:nil.
type Address struct {
	Line1         string `yaml:"line1,omitempty" json:"line1,omitempty"`
	Line2         string `yaml:"line2,omitempty" json:"line2,omitempty"`
	Line3         string `yaml:"line3,omitempty" json:"line3,omitempty"`
	Line4         string `yaml:"line4,omitempty" json:"line4,omitempty"`
	Line5         string `yaml:"line5,omitempty" json:"line5,omitempty"`
	City          string `yaml:"city,omitempty" json:"city,omitempty"`
	Country       string `yaml:"country,omitempty" json:"country,omitempty"`
	PostalCode    string `yaml:"postal_code,omitempty" json:"postal_code,omitempty"`
	StateProvince string `yaml:"state_province,omitempty" json:"state_province,omitempty"`
}

// Patron is the requester as the request file shows them.
type Patron struct {
	Name       string `yaml:"name,omitempty" json:"name,omitempty"`
	Identifier string `yaml:"identifier,omitempty" json:"identifier,omitempty"`
	Email      string `yaml:"email,omitempty" json:"email,omitempty"`
	// Address is exported on physical requests only (the legacy export: digitization only).
	Address string `yaml:"address,omitempty" json:"address,omitempty"`
}

// open reports whether the request still waits for its item.
func (r *Request) open() bool { return r.Step == StepPending || r.Step == StepExported }

// ParseState reads a state document (YAML or JSON; unknown fields are
// errors) and validates it. Errors name the line and the field at fault.
func ParseState(data []byte) (State, error) {
	var st State
	doc, err := strict.Decode("", data, &st)
	if err != nil {
		return State{}, err
	}
	st.normalise()
	if err := st.validate(doc); err != nil {
		return State{}, err
	}
	return st, nil
}

// normalise fills the documented defaults for empty fields.
func (st *State) normalise() {
	for i := range st.Libraries {
		l := &st.Libraries[i]
		l.Name = cmp.Or(l.Name, l.Code)
		for j := range l.Desks {
			l.Desks[j].Name = cmp.Or(l.Desks[j].Name, l.Desks[j].Code)
		}
	}
	for i := range st.Items {
		if st.Items[i].Status == "" {
			st.Items[i].Status = StatusInPlace
		}
	}
	for i := range st.Requests {
		if st.Requests[i].Step == "" {
			st.Requests[i].Step = StepPending
		}
		if st.Requests[i].Type == "" {
			st.Requests[i].Type = rsexport.TypePatronPhysical
		}
	}
}

// validate checks the references between the parts of the state, so a
// typo in a library or location code fails at load time with its line
// rather than as a puzzling Problem later.
func (st *State) validate(doc *strict.Doc) error {
	v := &stateCheck{st: st, doc: doc, libs: map[string]*Library{}}
	if st.Institution == "" {
		v.fail([]any{"institution"}, "the institution code is required, e.g. 01PRI_INST")
	}
	v.libraries()
	v.profiles()
	users := v.users()
	items := v.items(users)
	v.requests(items)
	if len(v.errs) > 0 {
		return errors.Join(v.errs...)
	}
	return nil
}

// stateCheck gathers validate's errors and the libraries it has seen, so
// each part of the state is checked by a method of its own.
type stateCheck struct {
	st   *State
	doc  *strict.Doc
	errs []error
	libs map[string]*Library
}

// fail records an error at the field the path names.
func (v *stateCheck) fail(path []any, format string, args ...any) {
	v.errs = append(v.errs, v.doc.Errorf(path, format, args...))
}

// hasDesk reports whether a configured library has that desk.
func (v *stateCheck) hasDesk(lib, desk string) bool {
	if l := v.libs[lib]; l != nil {
		return l.desk(desk) != nil
	}
	return false
}

// location finds a library's location; the bool reports whether the
// library itself is configured.
func (v *stateCheck) location(lib, loc string) (*Location, bool) {
	l := v.libs[lib]
	if l == nil {
		return nil, false
	}
	for k := range l.Locations {
		if l.Locations[k].Code == loc {
			return &l.Locations[k], true
		}
	}
	return nil, true
}

// libraries checks library, location and desk codes and records the libraries.
func (v *stateCheck) libraries() {
	for i := range v.st.Libraries {
		l := &v.st.Libraries[i]
		p := []any{"libraries", i, "code"}
		if l.Code == "" {
			v.fail(p, "a library needs a code")
		} else if v.libs[l.Code] != nil {
			v.fail(p, "library %q is configured twice", l.Code)
		}
		v.libs[l.Code] = l
		seen := map[string]bool{}
		for j, loc := range l.Locations {
			if loc.Code == "" || seen[loc.Code] {
				v.fail([]any{"libraries", i, "locations", j}, "location code %q is empty or repeated", loc.Code)
			}
			seen[loc.Code] = true
		}
		desks := map[string]bool{}
		for j, d := range l.Desks {
			if d.Code == "" || desks[d.Code] {
				v.fail([]any{"libraries", i, "desks", j}, "desk code %q is empty or repeated", d.Code)
			}
			desks[d.Code] = true
		}
	}
}

// profiles checks that each profile's locations exist and are remote storage.
func (v *stateCheck) profiles() {
	codes := map[string]bool{}
	for i, p := range v.st.Profiles {
		if p.Code == "" || codes[p.Code] {
			v.fail([]any{"profiles", i, "code"}, "profile code %q is empty or repeated", p.Code)
		}
		codes[p.Code] = true
		for j, ref := range p.Locations {
			loc, libOK := v.location(ref.Library, ref.Location)
			switch {
			case !libOK:
				v.fail([]any{"profiles", i, "locations", j, "library"}, "library %q is not configured", ref.Library)
			case loc == nil:
				v.fail([]any{"profiles", i, "locations", j, "location"}, "library %s has no location %q", ref.Library, ref.Location)
			case !loc.RemoteStorage:
				v.fail([]any{"profiles", i, "locations", j, "location"}, "location %s.%s is not marked remote_storage: true", ref.Library, ref.Location)
			}
		}
	}
}

// users checks user ids and returns the set of them.
func (v *stateCheck) users() map[string]bool {
	users := map[string]bool{}
	for i, u := range v.st.Users {
		if u.ID == "" || users[u.ID] {
			v.fail([]any{"users", i, "id"}, "user id %q is empty or repeated", u.ID)
		}
		users[u.ID] = true
	}
	return users
}

// items checks each item's barcode, place, status and loan, and returns
// the set of barcodes.
func (v *stateCheck) items(users map[string]bool) map[string]bool {
	items := map[string]bool{}
	for i, it := range v.st.Items {
		p := func(f string) []any { return []any{"items", i, f} }
		if it.Barcode == "" || items[it.Barcode] {
			v.fail(p("barcode"), "barcode %q is empty or repeated", it.Barcode)
		}
		items[it.Barcode] = true
		loc, libOK := v.location(it.Library, it.Location)
		switch {
		case !libOK:
			v.fail(p("library"), "library %q is not configured", it.Library)
		case loc == nil:
			v.fail(p("location"), "library %s has no location %q", it.Library, it.Location)
		}
		if !slices.Contains(ItemStatuses(), it.Status) {
			v.fail(p("status"), "status %q is not one of %s", it.Status, strings.Join(ItemStatuses(), ", "))
		}
		if it.Loan != nil && !users[it.Loan.User] {
			v.fail([]any{"items", i, "loan", "user"}, "user %q is not configured", it.Loan.User)
		}
		for _, ref := range []struct {
			name string
			r    *LocationRef
		}{{"pending_location", it.PendingLocation}, {"transit_to", it.TransitTo}} {
			if ref.r == nil {
				continue
			}
			loc, libOK := v.location(ref.r.Library, ref.r.Location)
			// An item in transit may be going to a pickup desk, or to a library as a whole.
			transitOK := ref.name == "transit_to" && libOK && (ref.r.Location == "" || v.hasDesk(ref.r.Library, ref.r.Location))
			if (!libOK || loc == nil) && !transitOK {
				v.fail([]any{"items", i, ref.name}, "location %s.%s is not configured", ref.r.Library, ref.r.Location)
			}
		}
	}
	return items
}

// requests checks each request's id, item or citation, pickup place and step.
func (v *stateCheck) requests(items map[string]bool) {
	reqs := map[string]bool{}
	for i, r := range v.st.Requests {
		p := func(f string) []any { return []any{"requests", i, f} }
		if r.ID == "" || reqs[r.ID] {
			v.fail(p("id"), "request id %q is empty or repeated", r.ID)
		}
		reqs[r.ID] = true
		if r.Barcode != "" && !items[r.Barcode] {
			v.fail(p("barcode"), "no item has barcode %q", r.Barcode)
		}
		if r.Barcode == "" && r.MMSID == "" {
			v.fail(p("barcode"), "a request needs a barcode or, title-level, an mms_id")
		}
		switch {
		case r.Citation != "" && r.Barcode != "":
			v.fail(p("citation"), "only a title-level request (no barcode) carries a citation")
		case r.Citation != "" && !strings.ContainsFunc(r.Citation, unicode.IsSpace):
			// Consumers tell a citation from a barcode by its spaces.
			v.fail(p("citation"), "citation %q has no space, so it would read as a barcode", r.Citation)
		}
		if r.PickupLibrary != "" && v.libs[r.PickupLibrary] == nil {
			v.fail(p("pickup_library"), "library %q is not configured", r.PickupLibrary)
		}
		if d := r.PickupDesk; d != "" {
			switch {
			case r.PickupLibrary != "" && v.libs[r.PickupLibrary] != nil && !v.hasDesk(r.PickupLibrary, d):
				v.fail(p("pickup_desk"), "library %s has no desk %q", r.PickupLibrary, d)
			case r.PickupLibrary == "" && !slices.ContainsFunc(v.st.Libraries, func(l Library) bool { return l.desk(d) != nil }):
				v.fail(p("pickup_desk"), "no library has desk %q", d)
			}
		}
		if !slices.Contains(RequestSteps(), r.Step) {
			v.fail(p("step"), "step %q is not one of %s", r.Step, strings.Join(RequestSteps(), ", "))
		}
	}
}

// desk returns the library's desk with that code, or nil.
func (l *Library) desk(code string) *Desk {
	for i := range l.Desks {
		if l.Desks[i].Code == code {
			return &l.Desks[i]
		}
	}
	return nil
}

// clone returns a deep copy, so a snapshot or a dry run never shares memory with the live state.
func (st State) clone() State {
	out := st
	out.Profiles = make([]Profile, len(st.Profiles))
	for i, p := range st.Profiles {
		p.Locations = slices.Clone(p.Locations)
		out.Profiles[i] = p
	}
	out.Libraries = make([]Library, len(st.Libraries))
	for i, l := range st.Libraries {
		l.Locations = slices.Clone(l.Locations)
		l.Desks = slices.Clone(l.Desks)
		out.Libraries[i] = l
	}
	out.Users = slices.Clone(st.Users)
	out.Items = make([]Item, len(st.Items))
	for i, it := range st.Items {
		if it.Loan != nil {
			l := *it.Loan
			it.Loan = &l
		}
		if it.PendingLocation != nil {
			l := *it.PendingLocation
			it.PendingLocation = &l
		}
		if it.TransitTo != nil {
			l := *it.TransitTo
			it.TransitTo = &l
		}
		out.Items[i] = it
	}
	out.Requests = slices.Clone(st.Requests)
	for i := range out.Requests {
		r := &out.Requests[i]
		if r.RequestedInfo != nil {
			ri := *r.RequestedInfo
			r.RequestedInfo = &ri
		}
		if r.ShipAddress != nil {
			a := *r.ShipAddress
			r.ShipAddress = &a
		}
	}
	return out
}

// world is the live state with indexes for the request path. Every slice
// change (load, deletion) is followed by reindex, so the pointers stay valid.
type world struct {
	st       State
	items    map[string]*Item
	requests map[string]*Request
	users    map[string]*User
	libs     map[string]*Library
	// remote maps a remote-storage location (LIBRARY.LOCATION) to its profile code.
	remote   map[LocationRef]string
	profiles map[string]*Profile
}

func newWorld(st State) *world {
	w := &world{st: st}
	w.reindex()
	return w
}

func (w *world) reindex() {
	w.items = make(map[string]*Item, len(w.st.Items))
	for i := range w.st.Items {
		w.items[w.st.Items[i].Barcode] = &w.st.Items[i]
	}
	w.requests = make(map[string]*Request, len(w.st.Requests))
	for i := range w.st.Requests {
		w.requests[w.st.Requests[i].ID] = &w.st.Requests[i]
	}
	w.users = make(map[string]*User, len(w.st.Users))
	for i := range w.st.Users {
		w.users[w.st.Users[i].ID] = &w.st.Users[i]
	}
	w.libs = make(map[string]*Library, len(w.st.Libraries))
	for i := range w.st.Libraries {
		w.libs[w.st.Libraries[i].Code] = &w.st.Libraries[i]
	}
	w.remote = map[LocationRef]string{}
	w.profiles = map[string]*Profile{}
	for i := range w.st.Profiles {
		p := &w.st.Profiles[i]
		w.profiles[p.Code] = p
		for _, l := range p.Locations {
			w.remote[l] = p.Code
		}
	}
}

func (w *world) clone() *world { return newWorld(w.st.clone()) }

// deleteRequests removes the requests for which drop is true.
func (w *world) deleteRequests(drop func(*Request) bool) {
	n := len(w.st.Requests)
	w.st.Requests = slices.DeleteFunc(w.st.Requests, func(r Request) bool { return drop(&r) })
	if len(w.st.Requests) != n {
		w.reindex()
	}
}

// deleteItem removes an item; it reports whether it existed.
func (w *world) deleteItem(barcode string) bool {
	n := len(w.st.Items)
	w.st.Items = slices.DeleteFunc(w.st.Items, func(it Item) bool { return it.Barcode == barcode })
	if len(w.st.Items) == n {
		return false
	}
	w.reindex()
	return true
}

// openRequest returns the request a retrieval of item serves: the one named
// by id if given, else the first open request on the barcode, else the first
// open title-level request on the item's title.
func (w *world) openRequest(it *Item, id string) *Request {
	if id != "" {
		if r := w.requests[id]; r != nil && r.open() {
			return r
		}
	}
	for i := range w.st.Requests {
		if r := &w.st.Requests[i]; r.open() && r.Barcode == it.Barcode {
			return r
		}
	}
	if it.MMSID != "" {
		for i := range w.st.Requests {
			if r := &w.st.Requests[i]; r.open() && r.Barcode == "" && r.MMSID == it.MMSID {
				return r
			}
		}
	}
	return nil
}

// remoteLocation is where CheckInItem places an item: its pending location
// if that is in remote storage, its current one if that is, else the first
// remote-storage location of the profile in the item's library, else of the profile.
func (w *world) remoteLocation(it *Item, profile string) (LocationRef, bool) {
	if p := it.PendingLocation; p != nil && w.remote[*p] != "" {
		return *p, true
	}
	cur := LocationRef{Library: it.Library, Location: it.Location}
	if w.remote[cur] != "" {
		return cur, true
	}
	if p := w.profiles[profile]; p != nil {
		for _, l := range p.Locations {
			if l.Library == it.Library {
				return l, true
			}
		}
		if len(p.Locations) > 0 {
			return p.Locations[0], true
		}
	}
	return LocationRef{}, false
}

// findDesk finds a desk by code, else by name: in library lib, or in any
// library when lib is "". It returns the desk and its library. Codes come
// first so that a desk named like another desk's code cannot shadow it.
func (w *world) findDesk(lib, desk string) (*Desk, *Library) {
	for _, byName := range []bool{false, true} {
		for i := range w.st.Libraries {
			l := &w.st.Libraries[i]
			if lib != "" && l.Code != lib {
				continue
			}
			for j := range l.Desks {
				if d := &l.Desks[j]; (!byName && d.Code == desk) || (byName && d.Name == desk) {
					return d, l
				}
			}
		}
	}
	return nil, nil
}

// deskName is the name the export writes for a request's pickup desk.
func (w *world) deskName(lib, code string) string {
	if code == "" {
		return ""
	}
	if d, _ := w.findDesk(lib, code); d != nil {
		return cmp.Or(d.Name, d.Code)
	}
	return code
}

// pickupOf is where a Scan In sends a requested item: the pickup desk
// (a digitization request's, or the legacy pickup location when it names a
// desk) or else the pickup library as a whole.
func (w *world) pickupOf(r *Request, it *Item) *LocationRef {
	lib := cmp.Or(r.PickupLibrary, it.Library)
	if r.PickupDesk != "" {
		if d, l := w.findDesk(r.PickupLibrary, r.PickupDesk); d != nil {
			return &LocationRef{Library: l.Code, Location: d.Code}
		}
	}
	if r.PickupLocation != "" {
		if d, _ := w.findDesk(lib, r.PickupLocation); d != nil {
			return &LocationRef{Library: lib, Location: d.Code}
		}
	}
	return &LocationRef{Library: lib}
}
