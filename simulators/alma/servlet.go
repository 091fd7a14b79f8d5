package alma

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/conform"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

// Style is how ALMA writes NCIP: one line, standalone="yes", the ns1
// prefix and the v2_0 imp1 version whatever the request declared.
func Style() ncip.Style { return ncip.Style{Standalone: true, Version: ncip.VersionV2_0Imp1} }

// ReplyContentType is the Content-Type of ALMA's NCIP replies.
const ReplyContentType = "text/xml; charset=UTF-8"

// Problem types ALMA answers with (docs/libraries.md, ALMA; the NCIP schemes for the rest).
const (
	ProblemSyntax             = "Invalid Message Syntax Error"
	ProblemUnsupportedService = "Unsupported Service"
	ProblemUnknownAgency      = "Unknown Agency"
	// ProblemUnknownPartner answers a wrong ApplicationProfileType. ASSUMED
	// wording: public clients only report that it "reads like" this.
	ProblemUnknownPartner = "Unknown partner"
	ProblemNeededData     = "Needed Data Missing"
	ProblemUnknownItem    = "Unknown Item"
	ProblemUnknownUser    = "User Unknown"
	ProblemUserIneligible = "User Ineligible To Check Out This Item"
	ProblemUnknownRequest = "Unknown Request"
	// ProblemUnknownDesk answers a desk that is not one of the item's
	// library. ASSUMED: an unknown OnBehalfOfAgency is an unknown agency.
	ProblemUnknownDesk = "Unknown Agency"
	// ProblemServiceNotKnown is what ALMA answered when non-ASCII text
	// arrived in another charset than the one declared (docs/libraries.md, ALMA).
	ProblemServiceNotKnown = "Service is not known"
)

// Services are the NCIP services the mock answers; anything else is
// "Unsupported Service", and a fault may name only these.
func Services() []string {
	return []string{"CheckInItem", "CheckOutItem", "CancelRequestItem", "LookupItem"}
}

// FaultTarget is what a fault for this mock may aim at.
func FaultTarget() faults.Target { return faults.Target{Name: "mock ALMA", Services: Services()} }

// served reports whether the mock answers a service.
func served(service string) bool { return slices.Contains(Services(), service) }

// exchange is one NCIP request on its way through the servlet.
type exchange struct {
	msg      *ncip.Message
	service  string
	version  string
	findings []ncip.Finding
	// checkLater: the conformance check is left to the journal, which runs
	// it when the exchange is first read, so it costs nothing per request.
	checkLater bool
	// early is the reply decided before state is consulted (unreadable, wrong version, unsupported).
	early *ncip.Message
	miss  *journal.Miss
	// charset says the declared charset disagrees with the bytes, "" if it does not.
	charset string
}

func (s *Server) serveNCIP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	ex := journal.Exchange{Simulator: "alma", Transport: "http", Direction: "in", RemoteAddr: r.RemoteAddr,
		Method: r.Method, URL: r.URL.String(), RequestHeaders: r.Header.Clone(), Request: body}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(interface{ String() string }); ok {
		ex.LocalAddr = la.String()
	}
	x := s.analyse(body, err, r.Header.Get("Content-Type"))
	ex.Service, ex.Version, ex.Findings = x.service, x.version, x.findings
	if s.cfg.Strict && ncip.HasErrors(x.findings) {
		ex.ConformanceFailure = strictFailure(x.findings)
	}
	if x.checkLater {
		ex.CheckLater(func() []ncip.Finding {
			rep, err := conform.Check(body)
			if err != nil {
				return nil // the request was parsed once already; cannot happen
			}
			return rep.Findings
		})
	}

	f, hasFault := s.faults.Pick(x.service)
	var fault *faults.Fault
	var reply *ncip.Message
	switch {
	case !hasFault:
		reply = s.respond(x, true)
	case f.Kind == faults.Problem:
		reply = faultProblem(x, f)
	case f.Kind == faults.Latency && !f.AfterProcessing:
		// A slow ALMA that still works: the delay comes first, and a client
		// that gave up meanwhile leaves the state untouched.
		if err := faults.Wait(r.Context(), f.Latency); err != nil {
			ex.Fault, ex.Error = f.Kind, "client gone during latency: "+err.Error()
			ex.Duration = time.Since(start)
			s.journal.Add(ex)
			return
		}
		reply = s.respond(x, true)
	case f.Kind == faults.WrongCharset:
		// The reply arrives and is readable, so the work must have been done.
		reply, fault = s.respond(x, true), &f
	default:
		reply, fault = s.respond(x, f.AfterProcessing), &f
	}
	if hasFault {
		ex.Fault = f.Kind
	}
	// The charset note is kept apart from the miss; the journal writes both.
	ex.Miss, ex.ClosestMiss = x.miss, x.charset
	out, err := ncip.Encode(reply, Style())
	if err != nil {
		// Every reply the servlet builds is complete; this is a bug, answered still as ALMA would.
		s.log.Error("encode reply", "service", x.service, "err", err)
		out, _ = ncip.Encode(problemMessage(ncip.Problem{ProblemType: ncip.SV("Temporary Processing Failure"), ProblemDetail: err.Error()}), Style())
	}
	ex.Problems = problemTypes(reply)
	status, sent, werr := faults.WriteHTTP(r.Context(), w, ReplyContentType, out, fault)
	ex.Status, ex.Response = status, sent
	ex.ResponseHeaders = w.Header().Clone()
	if werr != nil && ex.Error == "" {
		ex.Error = werr.Error()
	}
	ex.Duration = time.Since(start)
	s.journal.Add(ex)
}

func strictFailure(fs []ncip.Finding) string {
	var errs []string
	for _, f := range fs {
		if f.Severity == ncip.Error {
			errs = append(errs, f.String())
		}
	}
	return fmt.Sprintf("request is not conformant (%d errors): %s", len(errs), strings.Join(errs, "; "))
}

func problemTypes(m *ncip.Message) []string {
	var out []string
	for _, p := range m.Problems() {
		out = append(out, p.ProblemType.Value)
	}
	return out
}

// analyse reads the request without touching state: what it is, what is
// wrong with it, and the reply when it cannot be served at all.
func (s *Server) analyse(body []byte, readErr error, contentType string) *exchange {
	x := &exchange{}
	if readErr != nil {
		x.early = problemMessage(syntaxProblem("the request body could not be read: " + readErr.Error()))
		return x
	}
	if len(body) > MaxBody {
		x.early = problemMessage(syntaxProblem(fmt.Sprintf("the message is over the %d-byte limit", MaxBody)))
		return x
	}
	doc, err := ncip.Parse(body, ncip.ParseOptions{MaxSize: MaxBody})
	if err != nil {
		x.early = problemMessage(syntaxProblem(err.Error()))
		return x
	}
	v, _ := ncip.DetectVersion(doc)
	x.version = v.String()
	switch svc := ncip.ServiceElement(doc.Root); {
	case svc != nil:
		x.service = svc.Name
	case doc.Root.Child("Problem") != nil:
		x.service = "Problem"
	}
	// Strict mode judges the request now; lenient mode only reports, later.
	if s.cfg.Strict {
		x.findings = conform.CheckDocument(doc).Findings
	} else {
		x.checkLater = true
	}
	if msg := charsetMismatch(body, doc, contentType); msg != "" {
		x.findings = append(x.findings, ncip.Finding{Rule: "alma.charset", Severity: ncip.Warning, Line: 1, Message: msg})
		if s.cfg.Strict {
			// ALMA reads such a message as garbage and cannot tell which service it is.
			x.charset = msg + "; ALMA answers Service is not known (strict mode)"
			x.early = problemMessage(ncip.Problem{ProblemType: ncip.SV(ProblemServiceNotKnown), ProblemDetail: ProblemServiceNotKnown})
			return x
		}
		x.charset = msg + "; processed anyway (lenient mode; strict mode answers Service is not known)"
	}
	if v == ncip.V1 {
		x.miss = &journal.Miss{Field: "version", Got: "NCIP 1", Want: "NCIP 2", Hint: "this looks like ALEPH's NCIP 1; ALMA speaks NCIP 2 only"}
		x.early = problemMessage(ncip.Problem{ProblemType: ncip.SV(ProblemSyntax), ProblemDetail: "NCIP version 1 is not supported",
			ProblemElement: "//NCIPMessage", ProblemValue: versionOf(doc.Root)})
		return x
	}
	if doc.Root.Space != ncip.Namespace {
		x.miss = &journal.Miss{Field: "namespace", Got: doc.Root.Space, Want: ncip.Namespace,
			Hint: "ALMA reads only elements in the NCIP 2 namespace, prefixed or by a default xmlns"}
		x.early = problemMessage(ncip.Problem{ProblemType: ncip.SV(ProblemSyntax), ProblemDetail: "Invalid Message Syntax Error",
			ProblemElement: "//" + doc.Root.Name, ProblemValue: doc.Root.Space})
		return x
	}
	msg, _, err := ncip.DecodeDocument(doc)
	if err != nil {
		x.early = problemMessage(syntaxProblem(err.Error()))
		return x
	}
	x.msg = msg
	if !served(x.service) {
		x.early = problemMessage(ncip.Problem{ProblemType: ncip.SV(ProblemUnsupportedService), ProblemDetail: "Service is not known",
			ProblemElement: "//" + x.service, ProblemValue: x.service})
	}
	return x
}

func versionOf(root *ncip.Element) string {
	v, _, _ := ncip.VersionAttr(root)
	return v
}

func syntaxProblem(detail string) ncip.Problem {
	return ncip.Problem{ProblemType: ncip.SV(ProblemSyntax), ProblemDetail: detail}
}

func problemMessage(p ...ncip.Problem) *ncip.Message {
	return &ncip.Message{Version: ncip.V2, Body: &ncip.ProblemResponse{Problems: p}}
}

// faultProblem is the reply of a problem fault: the service's response
// with the configured Problem, or a message-level Problem.
func faultProblem(x *exchange, f faults.Fault) *ncip.Message {
	p := ncip.Problem{ProblemType: ncip.SV(f.ProblemType), ProblemDetail: f.ProblemDetail}
	if p.ProblemDetail == "" {
		p.ProblemDetail = f.ProblemType
	}
	if x.early != nil || x.msg == nil {
		return problemMessage(p)
	}
	return serviceProblem(x.msg, p)
}

// serviceProblem answers a served service with Problems, echoing its agencies.
func serviceProblem(req *ncip.Message, ps ...ncip.Problem) *ncip.Message {
	h := responseHeader(header(req))
	var b ncip.Body
	switch req.Body.(type) {
	case *ncip.CheckInItem:
		b = &ncip.CheckInItemResponse{ResponseHeader: h, Problems: ps}
	case *ncip.CheckOutItem:
		b = &ncip.CheckOutItemResponse{ResponseHeader: h, Problems: ps}
	case *ncip.CancelRequestItem:
		b = &ncip.CancelRequestItemResponse{ResponseHeader: h, Problems: ps}
	case *ncip.LookupItem:
		b = &ncip.LookupItemResponse{ResponseHeader: h, Problems: ps}
	default:
		return problemMessage(ps...)
	}
	return &ncip.Message{Version: ncip.V2, Body: b}
}

func header(m *ncip.Message) *ncip.InitiationHeader {
	switch b := m.Body.(type) {
	case *ncip.CheckInItem:
		return b.InitiationHeader
	case *ncip.CheckOutItem:
		return b.InitiationHeader
	case *ncip.CancelRequestItem:
		return b.InitiationHeader
	case *ncip.LookupItem:
		return b.InitiationHeader
	}
	return nil
}

// responseHeader echoes the agencies the way ALMA does: From is the
// request's To, To is the request's From. No header in, none out.
func responseHeader(h *ncip.InitiationHeader) *ncip.ResponseHeader {
	if h == nil {
		return nil
	}
	return &ncip.ResponseHeader{FromAgencyId: ncip.SV(h.ToAgencyId.Value), ToAgencyId: ncip.SV(h.FromAgencyId.Value)}
}

// respond computes the reply. With commit false it works on a copy of the
// state, for faults that replace processing but still need a reply to corrupt.
func (s *Server) respond(x *exchange, commit bool) *ncip.Message {
	if x.early != nil {
		return x.early
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if !commit {
		w = w.clone()
	}
	c := &call{s: s, w: w, req: x.msg, x: x}
	return c.run()
}

// call is one served request against the state.
type call struct {
	s   *Server
	w   *world
	req *ncip.Message
	x   *exchange
	svc string
	// desk is the circulation desk the message acts at, "" if none named.
	desk string
}

func (c *call) problem(typ, element, value, detail string) *ncip.Message {
	if detail == "" {
		detail = typ
	}
	p := ncip.Problem{ProblemType: ncip.SV(typ), ProblemDetail: detail, ProblemValue: value}
	if element != "" {
		p.ProblemElement = "//" + c.svc + "/" + element
	}
	return serviceProblem(c.req, p)
}

func (c *call) run() *ncip.Message {
	c.svc = c.req.Body.ServiceName()
	if p := c.checkHeader(header(c.req)); p != nil {
		return p
	}
	switch b := c.req.Body.(type) {
	case *ncip.CheckInItem:
		return c.checkIn(b)
	case *ncip.CheckOutItem:
		return c.checkOut(b)
	case *ncip.CancelRequestItem:
		return c.cancel(b)
	case *ncip.LookupItem:
		return c.lookup(b)
	}
	return problemMessage(ncip.Problem{ProblemType: ncip.SV(ProblemUnsupportedService), ProblemDetail: "Service is not known"})
}

// codeMiss names a header field whose code is none of the known ones:
// want is the one it matches except for case (ALMA compares codes
// case-sensitively), else every known code, and the hint says which.
func codeMiss(field, got string, known []string, otherwise string) *journal.Miss {
	for _, k := range known {
		if strings.EqualFold(k, got) {
			return &journal.Miss{Field: field, Got: got, Want: k, Hint: "differs only in case; ALMA compares codes case-sensitively"}
		}
	}
	return &journal.Miss{Field: field, Got: got, Want: strings.Join(known, " or "), Hint: otherwise}
}

// checkHeader applies ALMA's partner checks: the institution, a partner
// agency, the integration profile (case-sensitively).
func (c *call) checkHeader(h *ncip.InitiationHeader) *ncip.Message {
	if h == nil {
		return c.problem(ProblemNeededData, "InitiationHeader", "", "")
	}
	inst := c.w.st.Institution
	switch to := h.ToAgencyId.Value; {
	case to == "":
		return c.problem(ProblemNeededData, "InitiationHeader/ToAgencyId", "", "")
	case to != inst:
		c.x.miss = codeMiss("ToAgencyId", to, []string{inst}, "not the institution code")
		return c.problem(ProblemUnknownAgency, "InitiationHeader/ToAgencyId", to, "")
	}
	partners := append([]string{inst}, c.s.cfg.Agencies...)
	switch from := h.FromAgencyId.Value; {
	case from == "":
		return c.problem(ProblemNeededData, "InitiationHeader/FromAgencyId", "", "")
	case !slices.Contains(partners, from):
		c.x.miss = codeMiss("FromAgencyId", from, partners, "not a partner agency")
		return c.problem(ProblemUnknownAgency, "InitiationHeader/FromAgencyId", from, "")
	}
	if h.ApplicationProfileType == nil || h.ApplicationProfileType.Value == "" {
		return c.problem(ProblemNeededData, "InitiationHeader/ApplicationProfileType", "", "")
	}
	code := h.ApplicationProfileType.Value
	if c.w.profiles[code] == nil {
		var codes []string
		for _, p := range c.w.st.Profiles {
			codes = append(codes, p.Code)
		}
		c.x.miss = codeMiss("ApplicationProfileType", code, codes, "not a remote-storage integration profile")
		return c.problem(ProblemUnknownPartner, "InitiationHeader/ApplicationProfileType", code, "Unknown partner")
	}
	if h.OnBehalfOfAgency != nil {
		c.desk = h.OnBehalfOfAgency.Value
	}
	return nil
}

// checkDesk accepts DESK and LIBRARY.DESK naming a desk of the item's
// library, by its code or its name.
func (c *call) checkDesk(it *Item) *ncip.Message {
	if c.desk == "" {
		return nil
	}
	if d, _ := c.w.findDesk(it.Library, c.desk); d != nil {
		return nil
	}
	lib, desk := it.Library, c.desk
	if i := strings.IndexByte(c.desk, '.'); i >= 0 {
		lib, desk = c.desk[:i], c.desk[i+1:]
	}
	if d, _ := c.w.findDesk(it.Library, desk); lib == it.Library && d != nil {
		return nil
	}
	var desks []string
	if l := c.w.libs[it.Library]; l != nil {
		for _, d := range l.Desks {
			// In the form the facility wrote, so "MAIN.CIRC" is set beside "LAW.CIRC", not "CIRC".
			if strings.Contains(c.desk, ".") {
				desks = append(desks, it.Library+"."+d.Code)
			} else {
				desks = append(desks, d.Code)
			}
		}
	}
	c.x.miss = &journal.Miss{Field: "OnBehalfOfAgency", Got: c.desk, Want: strings.Join(desks, " or "),
		Hint: fmt.Sprintf("not a circulation desk of the item's library %s", it.Library)}
	if d, l := c.w.findDesk("", desk); d != nil && l.Code != it.Library {
		c.x.miss.Hint = fmt.Sprintf("circulation desk %s belongs to library %s, not to the item's library %s", desk, l.Code, it.Library)
	}
	return c.problem(ProblemUnknownDesk, "InitiationHeader/OnBehalfOfAgency", c.desk, "Unknown circulation desk")
}

func (c *call) item(id *ncip.ItemId) (*Item, *ncip.Message) {
	if id == nil || id.ItemIdentifierValue == "" {
		return nil, c.problem(ProblemNeededData, "ItemId", "", "")
	}
	it := c.w.items[id.ItemIdentifierValue]
	if it == nil {
		return nil, c.problem(ProblemUnknownItem, "ItemId", id.ItemIdentifierValue, "")
	}
	return it, nil
}

func itemID(barcode string) *ncip.ItemId { return &ncip.ItemId{ItemIdentifierValue: barcode} }

func userOf(u *ncip.UserId, ai []ncip.AuthenticationInput) string {
	if u != nil {
		return u.UserIdentifierValue
	}
	for _, a := range ai {
		if a.AuthenticationInputData != "" {
			return a.AuthenticationInputData
		}
	}
	return ""
}

// checkIn places the item back in remote storage; its loan and move
// requests are deleted (docs/libraries.md, ALMA).
func (c *call) checkIn(b *ncip.CheckInItem) *ncip.Message {
	it, p := c.item(&b.ItemId)
	if p != nil {
		return p
	}
	if p := c.checkDesk(it); p != nil {
		return p
	}
	profile := header(c.req).ApplicationProfileType.Value
	if loc, ok := c.w.remoteLocation(it, profile); ok {
		it.Library, it.Location = loc.Library, loc.Location
	}
	it.Status, it.Loan, it.PendingLocation, it.TransitTo = StatusInPlace, nil, nil, nil
	c.w.deleteRequests(func(r *Request) bool {
		return r.Barcode == it.Barcode && r.Type == RequestTypeMove && r.Step != StepCancelled && r.Step != StepCompleted
	})
	return c.reply(&ncip.CheckInItemResponse{ItemId: itemID(b.ItemId.ItemIdentifierValue)})
}

func (c *call) reply(b ncip.Body) *ncip.Message {
	h := responseHeader(header(c.req))
	switch r := b.(type) {
	case *ncip.CheckInItemResponse:
		r.ResponseHeader = h
	case *ncip.CheckOutItemResponse:
		r.ResponseHeader = h
	case *ncip.CancelRequestItemResponse:
		r.ResponseHeader = h
	case *ncip.LookupItemResponse:
		r.ResponseHeader = h
	}
	return &ncip.Message{Version: ncip.V2, Body: b}
}

// checkOut is a Scan In at the desk named in the message (Ex Libris'
// remote-storage profile, docs/libraries.md, ALMA): a requested item goes into transit
// to its pickup (request step transit_item), a pending location change into
// transit to the new location, and an item with neither is on hand in the
// desk's library: in place, with no loan. Scanning in an item already in
// transit changes nothing, so a retried CheckOutItem is harmless. The reply
// still carries the DateDue the schema requires.
func (c *call) checkOut(b *ncip.CheckOutItem) *ncip.Message {
	user := userOf(b.UserId, b.AuthenticationInput)
	if user == "" {
		return c.problem(ProblemNeededData, "UserId", "", "")
	}
	it, p := c.item(&b.ItemId)
	if p != nil {
		return p
	}
	u := c.w.users[user]
	if u == nil {
		return c.problem(ProblemUnknownUser, "UserId", user, "")
	}
	if u.Blocked {
		return c.problem(ProblemUserIneligible, "UserId", user, "User Blocked")
	}
	// checkDesk accepts only a desk of the item's library, so the desk's
	// library is the item's.
	if p := c.checkDesk(it); p != nil {
		return p
	}
	reply := func() *ncip.Message {
		return c.reply(&ncip.CheckOutItemResponse{ItemId: itemID(it.Barcode), UserId: &ncip.UserId{UserIdentifierValue: user},
			DateDue: c.dueDate(b.DesiredDateDue)})
	}
	if it.Status == StatusInTransit {
		return reply()
	}
	reqID := ""
	if b.RequestId != nil {
		reqID = b.RequestId.RequestIdentifierValue
	}
	switch r := c.w.openRequest(it, reqID); {
	case r != nil:
		r.Step = StepTransitItem
		if r.Barcode == "" {
			r.Barcode = it.Barcode
		}
		it.Status, it.Loan, it.TransitTo = StatusInTransit, nil, c.w.pickupOf(r, it)
	case it.PendingLocation != nil:
		it.Status, it.Loan = StatusInTransit, nil
		to := *it.PendingLocation
		it.TransitTo = &to
	default:
		it.Status, it.Loan, it.TransitTo = StatusInPlace, nil, nil
	}
	return reply()
}

// dueDate honours DesiredDateDue; otherwise it is midnight UTC LoanDays from today.
func (c *call) dueDate(desired string) string {
	if desired != "" {
		if t, err := ncip.ParseDateTime(desired); err == nil {
			return ncip.FormatDateTime(t)
		}
	}
	days := c.s.cfg.LoanDays
	if days <= 0 {
		days = DefaultLoanDays
	}
	now := c.s.clock().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return ncip.FormatDateTime(day.AddDate(0, 0, days))
}

// cancel marks the item missing and cancels the request (docs/libraries.md, ALMA).
func (c *call) cancel(b *ncip.CancelRequestItem) *ncip.Message {
	var r *Request
	var it *Item
	switch {
	case b.RequestId != nil && b.RequestId.RequestIdentifierValue != "":
		id := b.RequestId.RequestIdentifierValue
		if r = c.w.requests[id]; r == nil {
			return c.problem(ProblemUnknownRequest, "RequestId", id, "")
		}
		if b.ItemId != nil && b.ItemId.ItemIdentifierValue != "" {
			var p *ncip.Message
			if it, p = c.item(b.ItemId); p != nil {
				return p
			}
		} else if r.Barcode != "" {
			it = c.w.items[r.Barcode]
		}
	case b.ItemId != nil && b.ItemId.ItemIdentifierValue != "":
		var p *ncip.Message
		if it, p = c.item(b.ItemId); p != nil {
			return p
		}
		if r = c.w.openRequest(it, ""); r == nil {
			c.x.miss = &journal.Miss{Field: "ItemId", Got: it.Barcode, Hint: "the item has no open request to cancel"}
			return c.problem(ProblemUnknownRequest, "ItemId", it.Barcode, "")
		}
	default:
		return c.problem(ProblemNeededData, "ItemId", "", "")
	}
	if it != nil {
		if p := c.checkDesk(it); p != nil {
			return p
		}
		it.Status, it.TransitTo = StatusMissing, nil
	}
	r.Step = StepCancelled
	user := userOf(b.UserId, b.AuthenticationInput)
	if user == "" {
		user = r.Patron.Identifier
	}
	resp := &ncip.CancelRequestItemResponse{RequestId: &ncip.RequestId{RequestIdentifierValue: r.ID},
		UserId: &ncip.UserId{UserIdentifierValue: user}}
	if it != nil {
		resp.ItemId = itemID(it.Barcode)
	}
	return c.reply(resp)
}

// circulationStatus maps the mock's statuses to NCIP CirculationStatus values.
func circulationStatus(status string) string {
	switch status {
	case StatusOnLoan:
		return "On Loan"
	case StatusInTransit:
		return "In Transit Between Library Locations"
	case StatusMissing:
		return "Missing"
	}
	// A requested item is still on the shelf; HoldQueueLength tells it has requests.
	return "Available On Shelf"
}

func (c *call) lookup(b *ncip.LookupItem) *ncip.Message {
	var it *Item
	var resp ncip.LookupItemResponse
	if b.ItemId == nil && b.RequestId != nil {
		id := b.RequestId.RequestIdentifierValue
		r := c.w.requests[id]
		if r == nil || c.w.items[r.Barcode] == nil {
			return c.problem(ProblemUnknownRequest, "RequestId", id, "")
		}
		it = c.w.items[r.Barcode]
		resp.RequestId = &ncip.RequestId{RequestIdentifierValue: id}
	} else {
		var p *ncip.Message
		if it, p = c.item(b.ItemId); p != nil {
			return p
		}
	}
	queue := 0
	for _, r := range c.w.st.Requests {
		if r.Barcode == it.Barcode && (r.open() || r.Step == StepTransitItem) {
			queue++
		}
	}
	resp.ItemId = itemID(it.Barcode)
	if b.CurrentBorrowerDesired && it.Loan != nil {
		// The borrower, so a client can tell its own check-out from someone else's loan.
		resp.ItemTransaction = &ncip.Element{Name: "ItemTransaction", Children: []*ncip.Element{{Name: "CurrentBorrower",
			Children: []*ncip.Element{{Name: "UserId", Children: []*ncip.Element{{Name: "UserIdentifierValue", Text: it.Loan.User}}}}}}}
	}
	resp.ItemOptionalFields = &ncip.Element{Name: "ItemOptionalFields", Children: []*ncip.Element{
		{Name: "CirculationStatus", Text: circulationStatus(it.Status)},
		{Name: "HoldQueueLength", Text: strconv.Itoa(queue)},
	}}
	return c.reply(&resp)
}
