package aleph

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
)

// NCIP 1 scheme URIs ALEPH writes (docs/libraries.md, ALEPH).
const (
	schemeBase          = "http://www.niso.org/ncip/v1_0/schemes/"
	SchemeAgency        = schemeBase + "agency.scm"
	SchemeCheckOutError = schemeBase + "processingerrortype/checkoutitemprocessingerror.scm"
	SchemeCheckInError  = schemeBase + "processingerrortype/checkinitemprocessingerror.scm"
	SchemeGeneralError  = schemeBase + "processingerrortype/generalprocessingerror.scm"
	// SchemeLookupItemError holds LookupItem's Problems (Unknown Item).
	SchemeLookupItemError = schemeBase + "processingerrortype/lookupitemprocessingerror.scm"
	SchemeMessagingErr    = schemeBase + "messagingerrortype/messagingerrortype.scm"
)

// The Problem values of each scheme, used to give an injected Problem fault its scheme.
var (
	checkOutValues = []string{"Item Does Not Circulate", "Maximum Check Outs Exceeded", "Resource Cannot Be Provided",
		"Unknown Item", "Unknown Request", "Unknown User", "User Authentication Failed", "User Blocked",
		"User Ineligible To Check Out This Item"}
	checkInValues   = []string{"Item Not Checked Out", "Unknown Item"}
	messagingValues = []string{"Invalid Message Syntax Error", "Protocol Error", "Unknown Element", "Unknown Scheme",
		"Unknown Service", "Unknown Value From Known Scheme"}
)

// dueLayout is how the NCIP 1 DateDue is written: an xs:dateTime in UTC without fractions.
const dueLayout = "2006-01-02T15:04:05Z"

// result is what the responder made of one message, before transport faults.
type result struct {
	reply    []byte
	service  string
	version  string
	problems []string
	findings []ncip.Finding
	// checkData is the message whose conformance check the journal runs
	// when the exchange is first read, keeping it out of the request path.
	checkData []byte
	miss      *journal.Miss
	fault     *faults.Fault
	// gone is why no reply is sent: the client left while the fault held the message.
	gone error
}

// hasProblem reports whether the reply is a Problem.
func (r *result) hasProblem() bool { return len(r.problems) > 0 }

// Services are the NCIP services the mock answers; anything else is
// "Unsupported Service", and a fault may name only these.
func Services() []string { return []string{"CheckOutItem", "CheckInItem", "LookupItem"} }

// FaultTarget is what a fault for this mock may aim at.
func FaultTarget() faults.Target { return faults.Target{Name: "mock ALEPH", Services: Services()} }

// respond answers one NCIP message for port p. It never fails: whatever
// arrives gets an NCIP 1 answer (or a fault's stand-in for one).
func (s *Server) respond(ctx context.Context, p PortConfig, data []byte, notes []ncip.Finding) result {
	r := result{findings: notes}
	doc, err := ncip.Parse(data, ncip.ParseOptions{MaxSize: MaxMessage})
	if err != nil {
		if !r.pick(ctx, s, "") {
			return r
		}
		r.finish(s, nil, messaging("Invalid Message Syntax Error", "NCIPMessage", err.Error()))
		return r
	}
	root := doc.Root
	svcEl := ncip.ServiceElement(root)
	if svcEl != nil {
		r.service = svcEl.Name
	}
	if !r.pick(ctx, s, r.service) {
		return r
	}
	if root.Name != "NCIPMessage" {
		r.miss = &journal.Miss{Field: "root element", Got: root.Name, Want: "NCIPMessage",
			Hint: fmt.Sprintf("an NCIP 1 message is <NCIPMessage version=%q> around the service", ncip.VersionV1_0)}
		r.finish(s, nil, messaging("Invalid Message Syntax Error", root.Name, "expected NCIPMessage"))
		return r
	}
	if ver, _, _ := ncip.VersionAttr(root); root.Space == ncip.Namespace || strings.Contains(ver, "/ncip/v2") {
		r.version = ncip.V2.String()
		r.miss = &journal.Miss{Field: "version", Got: "NCIP 2", Want: "NCIP 1",
			Hint: "ALEPH speaks NCIP 1 only: no namespace, a DOCTYPE, UniqueItemId/UniqueUserId/UniqueAgencyId with Scheme and Value"}
		r.finish(s, nil, messaging("Unknown Element", "NCIPMessage", cmpOr(root.Space, ver)))
		return r
	}
	r.version = ncip.V1.String()
	r.checkData = data
	r.findings = append(r.findings, toleranceNotes(doc)...)

	msg, _, err := ncip.DecodeDocument(doc)
	if err != nil {
		r.finish(s, nil, messaging("Invalid Message Syntax Error", "NCIPMessage", err.Error()))
		return r
	}
	f := r.fault
	a, answers := f.Answer()
	if answers && !f.AfterProcessing {
		r.finish(s, problemReply(p, msg, faultProblem(r.service, a)), nil)
		return r
	}
	if f.Withholds() && !f.AfterProcessing {
		return r
	}
	// A fault that spoils the reply on the way out stands for a library
	// that did not do the work, unless it says AfterProcessing.
	commit := f.Commits()
	var body ncip.Body
	switch req := msg.Body.(type) {
	case *ncip.CheckOutItem:
		body, r.miss = s.checkOut(p, req, commit)
	case *ncip.CheckInItem:
		body, r.miss = s.checkIn(p, req, commit)
	case *ncip.LookupItem:
		body, r.miss = s.lookup(p, req)
	default:
		body = &ncip.ProblemResponse{Problems: []ncip.Problem{{
			ProblemType:    ncip.SchemeValue{Scheme: SchemeGeneralError, Value: "Unsupported Service"},
			ProblemElement: r.service, ProblemValue: "ALEPH's facility NCIP server answers CheckOutItem, CheckInItem and LookupItem",
		}}}
	}
	reply := &ncip.Message{Version: ncip.V1, Body: body}
	if slices.Contains(ncip.KnownVersionStrings(ncip.V1), msg.VersionURI) {
		reply.VersionURI = msg.VersionURI
	}
	if answers {
		reply = problemReply(p, msg, faultProblem(r.service, a))
	}
	r.finish(s, reply, nil)
	return r
}

// pick draws the fault for a message of service and runs what it does
// before any work (a slow library holds the message first); false means
// the client left meanwhile, and nothing is to be sent.
func (r *result) pick(ctx context.Context, s *Server, service string) bool {
	r.fault = s.faults.Pick(service)
	r.gone = r.fault.Before(ctx)
	return r.gone == nil
}

// problemReply answers a service with one Problem in its response element,
// or at message level for a service ALEPH does not answer.
func problemReply(p PortConfig, req *ncip.Message, pr *ncip.Problem) *ncip.Message {
	var body ncip.Body
	switch m := req.Body.(type) {
	case *ncip.CheckOutItem:
		body = &ncip.CheckOutItemResponse{ResponseHeader: responseHeader(p, m.InitiationHeader), Problems: []ncip.Problem{*pr}}
	case *ncip.CheckInItem:
		body = &ncip.CheckInItemResponse{ResponseHeader: responseHeader(p, m.InitiationHeader), Problems: []ncip.Problem{*pr}}
	case *ncip.LookupItem:
		body = &ncip.LookupItemResponse{ResponseHeader: responseHeader(p, m.InitiationHeader), Problems: []ncip.Problem{*pr}}
	default:
		body = &ncip.ProblemResponse{Problems: []ncip.Problem{*pr}}
	}
	return &ncip.Message{Version: ncip.V1, Body: body}
}

// finish encodes the reply (or a message-level Problem) into r.
func (r *result) finish(s *Server, reply *ncip.Message, p *ncip.Problem) {
	if reply == nil {
		reply = &ncip.Message{Version: ncip.V1, Body: &ncip.ProblemResponse{Problems: []ncip.Problem{*p}}}
	}
	if r.fault.Withholds() && !r.fault.AfterProcessing {
		return
	}
	out, err := ncip.Encode(reply, ncip.Style{})
	if err != nil {
		// Every reply is built here, so this is a bug in the mock: answer
		// something a client can still read as a failure.
		s.log.Error("aleph: encode reply", "err", err)
		out, _ = ncip.Encode(&ncip.Message{Version: ncip.V1, Body: &ncip.ProblemResponse{Problems: []ncip.Problem{{
			ProblemType: ncip.SchemeValue{Scheme: SchemeGeneralError, Value: "Temporary Processing Failure"}}}}}, ncip.Style{})
	}
	for _, pr := range reply.Problems() {
		r.problems = append(r.problems, pr.ProblemType.Value)
	}
	if len(r.problems) == 0 && bytes.Contains(out, []byte("Problem")) {
		// Clients tell failure by searching for the word; an echoed value
		// containing it would make a success look like a failure.
		r.findings = append(r.findings, ncip.Finding{Rule: "reply.problem-word", Severity: ncip.Warning,
			Message: "the success reply contains the word \"Problem\" (in an echoed value); clients that search for it will read a failure"})
	}
	r.reply = out
}

func messaging(value, element, detail string) *ncip.Problem {
	return &ncip.Problem{ProblemType: ncip.SchemeValue{Scheme: SchemeMessagingErr, Value: value},
		ProblemElement: element, ProblemValue: detail, V1Messaging: true}
}

// faultProblem builds the Problem an injected fault asks for, in the scheme that holds its value.
func faultProblem(service string, a faults.Answerer) *ncip.Problem {
	typ, detail := a.Problem()
	p := &ncip.Problem{ProblemType: ncip.SchemeValue{Scheme: SchemeGeneralError, Value: typ}}
	switch {
	case service == "CheckInItem" && slices.Contains(checkInValues, typ):
		p.ProblemType.Scheme = SchemeCheckInError
	case service == "CheckOutItem" && slices.Contains(checkOutValues, typ):
		p.ProblemType.Scheme = SchemeCheckOutError
	case slices.Contains(messagingValues, typ):
		p.ProblemType.Scheme = SchemeMessagingErr
		p.V1Messaging = true
	}
	if detail != "" {
		p.ProblemElement = cmpOr(service, "NCIPMessage")
		p.ProblemValue = detail
	}
	return p
}

// toleranceNotes records what the real ALEPH tolerates but a conformant
// peer would not send, so a report can show it.
func toleranceNotes(doc *ncip.Document) []ncip.Finding {
	var out []ncip.Finding
	if doc.Decl == nil {
		out = append(out, ncip.Finding{Rule: "aleph.no-declaration", Severity: ncip.Info,
			Message: "no XML declaration; ALEPH reads the message as UTF-8"})
	}
	empty, line := emptySchemes(doc.Root)
	if empty > 0 {
		out = append(out, ncip.Finding{Rule: "aleph.empty-scheme", Severity: ncip.Info, Line: line,
			Message: fmt.Sprintf("%d empty <Scheme/> element(s); ALEPH accepts them and matches on Value alone", empty)})
	}
	return out
}

// emptySchemes counts empty <Scheme/> elements and gives the first one's
// line. (Element.Walk would build a path string per element, which the hot
// path does not need.)
func emptySchemes(el *ncip.Element) (n, line int) {
	if el.Name == "Scheme" && len(el.Children) == 0 && strings.TrimSpace(el.Text) == "" {
		return 1, el.Line
	}
	for _, c := range el.Children {
		if cn, cl := emptySchemes(c); cn > 0 {
			if n == 0 {
				line = cl
			}
			n += cn
		}
	}
	return n, line
}

func agencySV(a string) *ncip.SchemeValue { return &ncip.SchemeValue{Scheme: SchemeAgency, Value: a} }

// responseHeader mirrors the initiation header: from the port's agency to the sender.
func responseHeader(p PortConfig, h *ncip.InitiationHeader) *ncip.ResponseHeader {
	if h == nil {
		return nil
	}
	return &ncip.ResponseHeader{
		FromAgencyId: *agencySV(p.Agency),
		ToAgencyId:   ncip.SchemeValue{Scheme: SchemeAgency, Value: h.FromAgencyId.Value},
	}
}

// checkHeader checks the agencies, as an ALEPH NCIP server checks them against its tab_ncip.conf.
func (s *Server) checkHeader(p PortConfig, h *ncip.InitiationHeader) (*ncip.Problem, *journal.Miss) {
	general := func(value, element, got string) *ncip.Problem {
		return &ncip.Problem{ProblemType: ncip.SchemeValue{Scheme: SchemeGeneralError, Value: value},
			ProblemElement: element, ProblemValue: got}
	}
	if h == nil {
		return general("Needed Data Missing", "InitiationHeader", ""),
			&journal.Miss{Field: "InitiationHeader", Hint: "the message has none; ALEPH needs one with FromAgencyId and ToAgencyId"}
	}
	from, to := h.FromAgencyId.Value, h.ToAgencyId.Value
	if !slices.Contains(p.FromAgencies, from) {
		return general("Unknown Agency", "FromAgencyId/UniqueAgencyId/Value", from), s.agencyMiss("FromAgencyId", from, p.FromAgencies, p)
	}
	if to != p.Agency {
		return general("Unknown Agency", "ToAgencyId/UniqueAgencyId/Value", to), s.agencyMiss("ToAgencyId", to, []string{p.Agency}, p)
	}
	return nil, nil
}

// agencyMiss explains an agency (field FromAgencyId or ToAgencyId) that
// was almost right.
func (s *Server) agencyMiss(field, got string, want []string, p PortConfig) *journal.Miss {
	m := &journal.Miss{Field: field, Got: got, Want: strings.Join(want, " or "), Hint: "not configured"}
	for _, w := range want {
		if strings.EqualFold(w, got) {
			m.Want, m.Hint = w, "differs only in case; ALEPH matches agencies exactly"
			return m
		}
	}
	if field == "FromAgencyId" && got == p.Agency {
		m.Hint = "this server's own agency: FROM and TO look swapped"
		return m
	}
	for i, o := range s.cfg.Ports {
		if field == "ToAgencyId" && o.Agency == got {
			m.Hint = fmt.Sprintf("served by port %d, not this one", i)
			return m
		}
		if field == "FromAgencyId" && slices.Contains(o.FromAgencies, got) {
			m.Hint = fmt.Sprintf("accepted by port %d, not this one", i)
			return m
		}
	}
	if got == "" {
		m.Hint = "empty"
	}
	return m
}

// userMiss explains an unknown CheckOutItem user.
func (s *Server) userMiss(p PortConfig, user string) *journal.Miss {
	m := &journal.Miss{Field: "UserIdentifierValue", Got: user}
	for i, o := range s.cfg.Ports {
		for stop, users := range sortedUsers(o.Users) {
			for _, u := range users {
				switch {
				case u == user && o.Agency != p.Agency:
					m.Hint = fmt.Sprintf("configured for stop %s on port %d (agency %s), not on this port (agency %s)", stop, i, o.Agency, p.Agency)
					return m
				case u == user:
					m.Hint = fmt.Sprintf("configured for stop %s on port %d, not on this port", stop, i)
					return m
				case strings.EqualFold(u, user):
					m.Want, m.Hint = u, fmt.Sprintf("differs only in case (stop %s, port %d); ALEPH matches user ids exactly", stop, i)
					return m
				}
			}
		}
	}
	var all []string
	for _, users := range sortedUsers(p.Users) {
		all = append(all, users...)
	}
	m.Want, m.Hint = strings.Join(all, " or "), "not a circulation-stop user of this port"
	return m
}

// sortedUsers iterates a stop → users map in stop order, so explanations are deterministic.
func sortedUsers(m map[string][]string) func(func(string, []string) bool) {
	return func(yield func(string, []string) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

func portHasUser(p PortConfig, user string) bool {
	for _, users := range p.Users {
		if slices.Contains(users, user) {
			return true
		}
	}
	return false
}

// answer is a service's response and its Problems, so that refusing the
// message is one call.
type answer struct {
	resp     ncip.Body
	problems *[]ncip.Problem
}

// problem answers with pr alone.
func (a answer) problem(pr ncip.Problem, miss *journal.Miss) (ncip.Body, *journal.Miss) {
	*a.problems = []ncip.Problem{pr}
	return a.resp, miss
}

// fail answers with the Problem of that type, element and value.
func (a answer) fail(scheme, value, element, got string, miss *journal.Miss) (ncip.Body, *journal.Miss) {
	return a.problem(ncip.Problem{ProblemType: ncip.SchemeValue{Scheme: scheme, Value: value}, ProblemElement: element, ProblemValue: got}, miss)
}

// checkOut lends the item to the circulation-stop user: a loan "to the stop".
func (s *Server) checkOut(p PortConfig, req *ncip.CheckOutItem, commit bool) (ncip.Body, *journal.Miss) {
	resp := &ncip.CheckOutItemResponse{ResponseHeader: responseHeader(p, req.InitiationHeader)}
	a := answer{resp, &resp.Problems}
	if pr, miss := s.checkHeader(p, req.InitiationHeader); pr != nil {
		return a.problem(*pr, miss)
	}
	if req.UserId == nil || req.UserId.UserIdentifierValue == "" {
		return a.fail(SchemeGeneralError, "Needed Data Missing", "UniqueUserId/UserIdentifierValue", "",
			&journal.Miss{Field: "UniqueUserId", Hint: "CheckOutItem needs UniqueUserId with the circulation-stop user (e.g. CAIAUSER)"})
	}
	user := req.UserId.UserIdentifierValue
	barcode := req.ItemId.ItemIdentifierValue
	if !portHasUser(p, user) {
		return a.fail(SchemeCheckOutError, "Unknown User", "UniqueUserId/UserIdentifierValue", user, s.userMiss(p, user))
	}
	now := s.now()
	due := now.Add(s.cfg.LoanPeriod)
	var miss *journal.Miss
	if req.DesiredDateDue != "" {
		if t, err := ncip.ParseDateTime(req.DesiredDateDue); err == nil {
			due = t
		} else {
			miss = &journal.Miss{Field: "DesiredDateDue", Got: req.DesiredDateDue, Hint: "not an xs:dateTime; the loan-policy date was used"}
		}
	}

	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	if pt := s.state.cur.patron(user); pt != nil && pt.Blocked {
		return a.fail(SchemeCheckOutError, "User Blocked", "UniqueUserId/UserIdentifierValue", user,
			&journal.Miss{Field: "UserIdentifierValue", Got: user, Hint: "the patron is blocked in the state"})
	}
	it := s.state.cur.item(barcode)
	switch {
	case it == nil:
		return a.fail(SchemeCheckOutError, "Unknown Item", "UniqueItemId/ItemIdentifierValue", barcode, s.itemMiss(barcode))
	case it.Status == StatusNotCirculating:
		return a.fail(SchemeCheckOutError, "Item Does Not Circulate", "UniqueItemId/ItemIdentifierValue", barcode,
			&journal.Miss{Field: "ItemIdentifierValue", Got: barcode, Hint: "the item has status not_circulating"})
	case it.Status == StatusOnLoan && it.Loan != nil && it.Loan.User != user:
		return a.fail(SchemeCheckOutError, "Resource Cannot Be Provided", "UniqueItemId/ItemIdentifierValue", barcode,
			&journal.Miss{Field: "ItemIdentifierValue", Got: barcode, Hint: fmt.Sprintf("the item is on loan to %q", it.Loan.User)})
	}
	dueText := due.UTC().Format(dueLayout)
	if commit {
		it.Status = StatusOnLoan
		it.Loan = &Loan{User: user, Due: dueText}
	}
	resp.ItemId = &ncip.ItemId{AgencyId: agencySV(p.Agency), ItemIdentifierValue: barcode}
	resp.UserId = &ncip.UserId{AgencyId: agencySV(p.Agency), UserIdentifierValue: user}
	resp.DateDue = dueText
	return resp, miss
}

// itemMiss explains an unknown barcode. The caller holds the state lock.
func (s *Server) itemMiss(barcode string) *journal.Miss {
	trimmed := strings.TrimLeft(barcode, "0")
	for _, it := range s.state.cur.Items {
		if strings.TrimLeft(it.Barcode, "0") == trimmed || strings.EqualFold(it.Barcode, barcode) {
			return &journal.Miss{Field: "ItemIdentifierValue", Got: barcode, Want: it.Barcode,
				Hint: "not in the state, but this is: leading zeros or case differ"}
		}
	}
	return &journal.Miss{Field: "ItemIdentifierValue", Got: barcode, Hint: fmt.Sprintf("not in the state (%d items)", len(s.state.cur.Items))}
}

// checkIn closes the loan and leaves the item in the receiving sublibrary, on the shelf (no transit).
func (s *Server) checkIn(p PortConfig, req *ncip.CheckInItem, commit bool) (ncip.Body, *journal.Miss) {
	resp := &ncip.CheckInItemResponse{ResponseHeader: responseHeader(p, req.InitiationHeader)}
	a := answer{resp, &resp.Problems}
	if pr, miss := s.checkHeader(p, req.InitiationHeader); pr != nil {
		return a.problem(*pr, miss)
	}
	if want := p.ApplicationProfileType; want != "" {
		apt := req.InitiationHeader.ApplicationProfileType
		switch {
		case apt == nil || apt.Value == "":
			return a.fail(SchemeGeneralError, "Needed Data Missing", "InitiationHeader/ApplicationProfileType", "",
				&journal.Miss{Field: "ApplicationProfileType", Want: want, Hint: "CheckInItem needs it in the InitiationHeader"})
		case apt.Value != want:
			miss := &journal.Miss{Field: "ApplicationProfileType", Got: apt.Value, Want: want, Hint: "not the configured profile type"}
			if strings.EqualFold(apt.Value, want) {
				miss.Hint = "differs only in case; it is matched case-sensitively"
			}
			return a.fail(SchemeGeneralError, "Agency Authentication Failed", "ApplicationProfileType/Value", apt.Value, miss)
		}
	}
	barcode := req.ItemId.ItemIdentifierValue
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	it := s.state.cur.item(barcode)
	switch {
	case it == nil:
		return a.fail(SchemeCheckInError, "Unknown Item", "UniqueItemId/ItemIdentifierValue", barcode, s.itemMiss(barcode))
	case it.Status != StatusOnLoan:
		return a.fail(SchemeCheckInError, "Item Not Checked Out", "UniqueItemId/ItemIdentifierValue", "Item not on loan.",
			&journal.Miss{Field: "ItemIdentifierValue", Got: barcode, Hint: "the item has status " + it.Status})
	}
	if commit {
		it.Status = StatusOnShelf
		it.Loan = nil
		if p.SubLibrary != "" {
			it.SubLibrary = p.SubLibrary
		}
	}
	resp.ItemId = &ncip.ItemId{AgencyId: agencySV(p.Agency), ItemIdentifierValue: barcode}
	return resp, nil
}

// circulationStatus maps the mock's item statuses to NCIP 1 CirculationStatus values.
func circulationStatus(status string) string {
	switch status {
	case StatusOnLoan:
		return ncip.CirculationOnLoan
	case StatusMissing:
		return ncip.CirculationMissing
	case StatusNotCirculating:
		return ncip.CirculationNotAvailable
	}
	return ncip.CirculationAvailableOnShelf
}

// v1Coded is an NCIP 1 coded value element: Scheme and Value children.
func v1Coded(name, scheme, value string) *ncip.Element {
	return &ncip.Element{Name: name, Children: []*ncip.Element{{Name: "Scheme", Text: scheme}, {Name: "Value", Text: value}}}
}

// lookup answers LookupItem with the item's circulation status, and its
// borrower when asked (CurrentBorrowerDesired), as ALEPH's NCIP server
// does: this is how a client learns whether a check-out or check-in it
// sent took effect when the answer was lost. It reads the state only.
func (s *Server) lookup(p PortConfig, req *ncip.LookupItem) (ncip.Body, *journal.Miss) {
	resp := &ncip.LookupItemResponse{ResponseHeader: responseHeader(p, req.InitiationHeader)}
	a := answer{resp, &resp.Problems}
	if pr, miss := s.checkHeader(p, req.InitiationHeader); pr != nil {
		return a.problem(*pr, miss)
	}
	if req.ItemId == nil || req.ItemId.ItemIdentifierValue == "" {
		return a.fail(SchemeGeneralError, "Needed Data Missing", "UniqueItemId/ItemIdentifierValue", "",
			&journal.Miss{Field: "UniqueItemId", Hint: "this ALEPH looks items up by UniqueItemId (barcode) only"})
	}
	barcode := req.ItemId.ItemIdentifierValue
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	it := s.state.cur.item(barcode)
	if it == nil {
		return a.fail(SchemeLookupItemError, "Unknown Item", "UniqueItemId/ItemIdentifierValue", barcode, s.itemMiss(barcode))
	}
	resp.ItemId = &ncip.ItemId{AgencyId: agencySV(p.Agency), ItemIdentifierValue: barcode}
	if req.CurrentBorrowerDesired && it.Status == StatusOnLoan && it.Loan != nil {
		user := &ncip.Element{Name: "UniqueUserId", Children: []*ncip.Element{v1Coded("UniqueAgencyId", SchemeAgency, p.Agency),
			{Name: "UserIdentifierValue", Text: it.Loan.User}}}
		resp.ItemTransaction = &ncip.Element{Name: "ItemTransaction", Children: []*ncip.Element{{Name: "CurrentBorrower", Children: []*ncip.Element{user}}}}
	}
	resp.ItemOptionalFields = &ncip.Element{Name: "ItemOptionalFields", Children: []*ncip.Element{
		v1Coded("CirculationStatus", ncip.SchemeV1CirculationStatus, circulationStatus(it.Status))}}
	return resp, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
