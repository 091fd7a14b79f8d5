package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/internal/suggest"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"

	"github.com/annexlab/annex/formats/caiasoft"
)

// idle waits for the outbox to drain, so what an expectation reads is settled.
func idle(ctx context.Context, env *scenario.Env, what string) error {
	if err := env.WaitIdle(ctx); err != nil {
		return scenario.Failf("%s: the engine did not settle: %v", what, err)
	}
	return nil
}

// ExpectNCIP checks the NCIP messages the engine sent to a mock: how many
// the mock received, the exact bytes of one against a golden file, and the
// kind of the mock's last reply.
type ExpectNCIP struct {
	// To is the mock that received the messages: alma or aleph.
	To string `yaml:"to"`
	// Service is the NCIP service, e.g. CheckOutItem.
	Service string `yaml:"service"`
	// Barcode narrows the messages to one item.
	Barcode string `yaml:"barcode"`
	// Count is how many such exchanges the mock must have seen (retries
	// included); not given means at least one.
	Count *int `yaml:"count"`
	// Nth picks the message (1-based, in outbox order) compared with XML.
	Nth int `yaml:"nth" default:"1"`
	// XML is the golden file (relative to the scenario file) the message must equal.
	XML string `yaml:"xml" scenario:"golden"`
	// Mode is how XML is compared: exact bytes, or canonical (prefixes, attribute order and whitespace between elements do not matter).
	Mode string `yaml:"mode" default:"exact"`
	// Reply is the kind of the mock's last reply: ok or problem.
	Reply string `yaml:"reply"`
	// Problem is a ProblemType the last reply must carry.
	Problem string `yaml:"problem"`
}

// Validate implements scenario.Validator.
func (x *ExpectNCIP) Validate() error {
	if err := oneOf("to", x.To, "alma", "aleph"); err != nil {
		return err
	}
	if x.Service == "" {
		return errors.New("service is required")
	}
	if x.Mode == "" {
		x.Mode = scenario.ModeExact
	}
	if err := oneOf("mode", x.Mode, scenario.ModeExact, scenario.ModeCanonical); err != nil {
		return err
	}
	if x.Reply != "" {
		if err := oneOf("reply", x.Reply, "ok", "problem"); err != nil {
			return err
		}
	}
	if x.Count != nil && *x.Count == 0 && (x.XML != "" || x.Reply != "" || x.Problem != "") {
		return errors.New("count: 0 leaves nothing to compare with xml, reply or problem")
	}
	if x.Nth == 0 {
		x.Nth = 1
	}
	return nil
}

func (x *ExpectNCIP) matches(env *scenario.Env, e journal.Exchange) bool {
	return e.Direction == "in" && e.Service == x.Service && !env.IsOwn(x.To, e.ID) &&
		(x.Barcode == "" || bytes.Contains(e.Request, []byte(">"+x.Barcode+"<")))
}

// Run implements scenario.Action.
func (x *ExpectNCIP) Run(ctx context.Context, env *scenario.Env) error {
	var j *journal.Journal
	switch {
	case x.To == "alma" && env.World.ALMA != nil:
		j = env.World.ALMA.Journal()
	case x.To == "aleph" && env.World.ALEPH != nil:
		j = env.World.ALEPH.Journal()
	default:
		return scenario.Failf("expect.ncip: mock %s is not running", x.To)
	}
	want := 1
	if x.Count != nil {
		want = *x.Count
	}
	filter := func(es []journal.Exchange) []journal.Exchange {
		var out []journal.Exchange
		for _, e := range es {
			if x.matches(env, e) {
				out = append(out, e)
			}
		}
		return out
	}
	all, err := j.Wait(ctx, func(es []journal.Exchange) bool { return len(filter(es)) >= want })
	if err != nil {
		return x.closest(env, all, fmt.Sprintf("expect.ncip: %s received %d %s%s, want %d (%v)", x.To, len(filter(all)), x.Service, x.forItem(), want, err))
	}
	// Retries may still come: count once the outbox has settled.
	if err := idle(ctx, env, "expect.ncip"); err != nil {
		return err
	}
	got := filter(j.All())
	if x.Count != nil && len(got) != *x.Count {
		return x.closest(env, j.All(), fmt.Sprintf("expect.ncip: %s received %d %s%s, want %d", x.To, len(got), x.Service, x.forItem(), *x.Count))
	}
	if len(got) == 0 {
		return nil
	}
	lastEx := got[len(got)-1]
	problem := len(lastEx.Problems) > 0
	switch {
	case x.Reply == "ok" && (problem || lastEx.Fault != "" || lastEx.Error != ""):
		return &scenario.Failure{Msg: fmt.Sprintf("expect.ncip: %s answered the last %s%s with %s, want a success reply",
			x.To, x.Service, x.forItem(), describeReply(lastEx)), ClosestMiss: lastEx.ClosestMiss}
	case x.Reply == "problem" && !problem:
		return scenario.Failf("expect.ncip: %s answered the last %s%s with %s, want a Problem", x.To, x.Service, x.forItem(), describeReply(lastEx))
	case x.Problem != "" && !strings.Contains(strings.Join(lastEx.Problems, "\n"), x.Problem):
		return scenario.Failf("expect.ncip: %s answered the last %s%s with Problems %v, want %q", x.To, x.Service, x.forItem(), lastEx.Problems, x.Problem)
	}
	if x.XML == "" {
		return nil
	}
	payload, err := x.payload(ctx, env)
	if err != nil {
		return err
	}
	return compareGolden(env, x.XML, x.Mode, payload)
}

func (x *ExpectNCIP) forItem() string {
	if x.Barcode == "" {
		return ""
	}
	return " for " + x.Barcode
}

// closest adds the closest miss: among the requests the mock received
// (newest first), one that differs from the expectation in a single field,
// named with both values; or, when the right requests came but not as many
// as wanted, their count. A request that matched and has the mock's own
// miss gives that. Requests that differ in more than one way are not near,
// so nothing unrelated is offered.
func (x *ExpectNCIP) closest(env *scenario.Env, all []journal.Exchange, msg string) error {
	f := &scenario.Failure{Msg: msg}
	var matched []string
	var near *journal.Miss
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		if e.Direction != "in" || e.Service == "" || env.IsOwn(x.To, e.ID) {
			continue
		}
		barcode := e.Barcode()
		sameItem := x.Barcode == "" || barcode == x.Barcode
		switch {
		case e.Service == x.Service && sameItem:
			matched = append(matched, strconv.FormatInt(e.ID, 10))
			if near == nil && e.Miss != nil {
				m := *e.Miss
				near = &m
			}
		case near != nil:
		case e.Service == x.Service:
			near = &journal.Miss{Exchange: e.ID, Field: "barcode", Want: x.Barcode, Got: barcode,
				Hint: fmt.Sprintf("%s answered it with %s", x.To, describeReply(e))}
		case sameItem && x.Barcode != "":
			near = &journal.Miss{Exchange: e.ID, Field: "service", Want: x.Service, Got: e.Service,
				Hint: fmt.Sprintf("%s answered it with %s", x.To, describeReply(e))}
		}
	}
	if near == nil && len(matched) > 0 {
		want := "1 or more"
		if x.Count != nil {
			want = strconv.Itoa(*x.Count)
		}
		slices.Reverse(matched)
		near = &journal.Miss{Field: "count", Want: want, Got: strconv.Itoa(len(matched)), Hint: "exchanges " + strings.Join(matched, ", ")}
	}
	if near != nil {
		f.ClosestMiss = near.String()
		if near.Exchange > 0 {
			f.ClosestMiss = fmt.Sprintf("%s exchange %d: %s", x.To, near.Exchange, f.ClosestMiss)
		}
	}
	return f
}

func describeReply(e journal.Exchange) string {
	switch {
	case e.Fault != "":
		return "fault " + e.Fault
	case e.Error != "":
		return "error " + e.Error
	case len(e.Problems) > 0:
		return "Problem " + strings.Join(e.Problems, ", ")
	}
	return "a success reply"
}

// payload is the nth message's exact bytes, from the engine's outbox.
func (x *ExpectNCIP) payload(ctx context.Context, env *scenario.Env) ([]byte, error) {
	rows, err := env.World.Engine.Outbox(ctx)
	if err != nil {
		return nil, scenario.Failf("expect.ncip: outbox: %v", err)
	}
	n := 0
	for _, m := range rows {
		if m.Service != x.Service || env.SystemOf(m.Profile) != x.To || (x.Barcode != "" && m.Barcode != x.Barcode) {
			continue
		}
		n++
		if n == x.Nth {
			return m.Payload, nil
		}
	}
	return nil, scenario.Failf("expect.ncip: the outbox holds %d %s%s for %s, want a #%d", n, x.Service, x.forItem(), x.To, x.Nth)
}

// compareGolden compares a message with its golden file, or rewrites the file under --update.
func compareGolden(env *scenario.Env, rel, mode string, actual []byte) error {
	path := env.Scenario.Path(rel)
	golden, err := os.ReadFile(path)
	if err != nil && !(env.Update && os.IsNotExist(err)) {
		return scenario.Failf("expect.ncip: golden %s: %v", rel, err)
	}
	var diff string
	if err == nil {
		if diff, err = scenario.MatchGolden(golden, actual, mode, rel); err != nil {
			return scenario.Failf("expect.ncip: %v", err)
		}
		if diff == "" {
			return nil
		}
	}
	if env.Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return scenario.Failf("expect.ncip: update %s: %v", rel, err)
		}
		if mode == scenario.ModeCanonical {
			// Whitespace between elements does not count here: write it for people.
			if indented, ok := scenario.Indent(actual); ok {
				actual = indented
			}
		}
		if err := os.WriteFile(path, actual, 0o644); err != nil {
			return scenario.Failf("expect.ncip: update %s: %v", rel, err)
		}
		env.NoteUpdated(path)
		return nil
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.ncip: the message differs from %s (%s)", rel, mode), Diff: diff}
}

// ExpectRequest checks a request as the engine recorded it.
type ExpectRequest struct {
	// ID is the library's request id, e.g. REQ-1.
	ID string `yaml:"id"`
	// Status is the request's state in the engine.
	Status string `yaml:"status"`
	// Reason is a substring of the recorded reason.
	Reason string `yaml:"reason"`
	// Code is the cause of a denial or cancellation, e.g. not_in_storage
	// (caiasoft.DenialCodes lists them); it names the cause where reason
	// only quotes its prose.
	Code string `yaml:"code"`
	// Stop is the circulation stop code the request was routed to.
	Stop string `yaml:"stop"`
	// Barcode is the item the request is for.
	Barcode string `yaml:"barcode"`
	// Profile narrows the lookup when two profiles share request ids.
	Profile string `yaml:"profile"`
	// Absent checks that the engine has no such request.
	Absent bool `yaml:"absent"`
}

// Validate implements scenario.Validator.
func (x *ExpectRequest) Validate() error {
	if x.ID == "" {
		return errors.New("id is required")
	}
	if x.Status != "" {
		if err := oneOf("status", x.Status, "received", "accepted", "denied", "retrieved", "refiled", "cancelled"); err != nil {
			return err
		}
	}
	if x.Code != "" && !slices.Contains(caiasoft.DenialCodes, caiasoft.DenialCode(x.Code)) {
		codes := make([]string, len(caiasoft.DenialCodes))
		for i, c := range caiasoft.DenialCodes {
			codes[i] = string(c)
		}
		msg := fmt.Sprintf("code: %q is not a denial code (%s)", x.Code, strings.Join(codes, ", "))
		if near := suggest.Closest(x.Code, codes); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		return errors.New(msg)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectRequest) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.request"); err != nil {
		return err
	}
	rows, err := env.World.Engine.Requests(ctx)
	if err != nil {
		return scenario.Failf("expect.request: %v", err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID+"="+r.Status)
		if r.ID != x.ID || (x.Profile != "" && r.Profile != x.Profile) {
			continue
		}
		if x.Absent {
			return scenario.Failf("expect.request %s: want no such request, got %s (%s)", x.ID, r.Status, r.Reason)
		}
		var bad []string
		check := func(field, want, got string, contains bool) {
			if want != "" && (got != want && !(contains && strings.Contains(got, want))) {
				bad = append(bad, fmt.Sprintf("%s is %q, want %q", field, got, want))
			}
		}
		check("status", x.Status, r.Status, false)
		check("reason", x.Reason, r.Reason, true)
		check("code", x.Code, string(r.Code), false)
		check("stop", x.Stop, r.Stop, false)
		check("barcode", x.Barcode, r.Barcode, false)
		if len(bad) > 0 {
			return &scenario.Failure{Msg: fmt.Sprintf("expect.request %s: %s", x.ID, strings.Join(bad, "; ")),
				Diff: fmt.Sprintf("request %s: status %s, code %q, stop %q, barcode %q, reason %q", r.ID, r.Status, r.Code, r.Stop, r.Barcode, r.Reason)}
		}
		return nil
	}
	if x.Absent {
		return nil
	}
	return scenario.Failf("expect.request: no request %s (the engine has: %s)", x.ID, strings.Join(ids, ", "))
}

// ExpectALMAItem checks an item in mock ALMA's state.
type ExpectALMAItem struct {
	// Barcode is the item in mock ALMA.
	Barcode string `yaml:"barcode"`
	// Status is the item's state in ALMA.
	Status string `yaml:"status"`
	// Library is the item's library code.
	Library string `yaml:"library"`
	// Location is the item's location code.
	Location string `yaml:"location"`
	// LoanUser is the user the item is on loan to.
	LoanUser string `yaml:"loan_user"`
	// Absent checks that ALMA has no such item (it was deleted).
	Absent bool `yaml:"absent"`
}

// Validate implements scenario.Validator.
func (x *ExpectALMAItem) Validate() error {
	if x.Barcode == "" {
		return errors.New("barcode is required")
	}
	if x.Status != "" {
		return oneOf("status", x.Status, alma.StatusInPlace, alma.StatusRequested, alma.StatusInTransit, alma.StatusOnLoan, alma.StatusMissing)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectALMAItem) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.ALMA == nil {
		return scenario.Failf("expect.alma.item: mock ALMA is not running")
	}
	if err := idle(ctx, env, "expect.alma.item"); err != nil {
		return err
	}
	for _, it := range env.World.ALMA.State().Items {
		if it.Barcode != x.Barcode {
			continue
		}
		if x.Absent {
			return scenario.Failf("expect.alma.item %s: want it deleted, it is %s", x.Barcode, it.Status)
		}
		loan := ""
		if it.Loan != nil {
			loan = it.Loan.User
		}
		var bad []string
		for _, c := range [][3]string{{"status", x.Status, it.Status}, {"library", x.Library, it.Library}, {"location", x.Location, it.Location}, {"loan user", x.LoanUser, loan}} {
			if c[1] != "" && c[1] != c[2] {
				bad = append(bad, fmt.Sprintf("%s is %q, want %q", c[0], c[2], c[1]))
			}
		}
		if len(bad) > 0 {
			return scenario.Failf("expect.alma.item %s: %s", x.Barcode, strings.Join(bad, "; "))
		}
		return nil
	}
	if x.Absent {
		return nil
	}
	return scenario.Failf("expect.alma.item: mock ALMA has no item %s", x.Barcode)
}

// ExpectALMARequest checks a request in mock ALMA's state.
type ExpectALMARequest struct {
	// ID is the ALMA request id.
	ID string `yaml:"id"`
	// Step is where the request stands in ALMA's workflow.
	Step string `yaml:"step"`
	// Absent checks that ALMA has no such request.
	Absent bool `yaml:"absent"`
}

// Validate implements scenario.Validator.
func (x *ExpectALMARequest) Validate() error {
	if x.ID == "" {
		return errors.New("id is required")
	}
	if x.Step != "" {
		return oneOf("step", x.Step, alma.StepPending, alma.StepExported, alma.StepTransitItem, alma.StepCancelled, alma.StepCompleted)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectALMARequest) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.ALMA == nil {
		return scenario.Failf("expect.alma.request: mock ALMA is not running")
	}
	if err := idle(ctx, env, "expect.alma.request"); err != nil {
		return err
	}
	for _, r := range env.World.ALMA.State().Requests {
		if r.ID != x.ID {
			continue
		}
		if x.Absent {
			return scenario.Failf("expect.alma.request %s: want it gone, it is %s", x.ID, r.Step)
		}
		if x.Step != "" && r.Step != x.Step {
			return scenario.Failf("expect.alma.request %s: step is %q, want %q", x.ID, r.Step, x.Step)
		}
		return nil
	}
	if x.Absent {
		return nil
	}
	return scenario.Failf("expect.alma.request: mock ALMA has no request %s", x.ID)
}

// ExpectALEPHItem checks an item in mock ALEPH's state.
type ExpectALEPHItem struct {
	// Barcode is the item in mock ALEPH.
	Barcode string `yaml:"barcode"`
	// Status is the item's state in ALEPH.
	Status string `yaml:"status"`
	// SubLibrary is the item's ALEPH sub-library code.
	SubLibrary string `yaml:"sub_library"`
	// LoanUser is the patron the item is on loan to.
	LoanUser string `yaml:"loan_user"`
}

// Validate implements scenario.Validator.
func (x *ExpectALEPHItem) Validate() error {
	if x.Barcode == "" {
		return errors.New("barcode is required")
	}
	if x.Status != "" {
		return oneOf("status", x.Status, aleph.StatusOnShelf, aleph.StatusOnLoan, aleph.StatusMissing, aleph.StatusNotCirculating)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectALEPHItem) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.ALEPH == nil {
		return scenario.Failf("expect.aleph.item: mock ALEPH is not running")
	}
	if err := idle(ctx, env, "expect.aleph.item"); err != nil {
		return err
	}
	var st aleph.State
	if err := env.SimJSON(ctx, http.MethodGet, env.World.ALEPH.URL()+"/_sim/state", nil, &st); err != nil {
		return scenario.Failf("expect.aleph.item: %v", err)
	}
	for _, it := range st.Items {
		if it.Barcode != x.Barcode {
			continue
		}
		loan := ""
		if it.Loan != nil {
			loan = it.Loan.User
		}
		var bad []string
		for _, c := range [][3]string{{"status", x.Status, it.Status}, {"sub_library", x.SubLibrary, it.SubLibrary}, {"loan user", x.LoanUser, loan}} {
			if c[1] != "" && c[1] != c[2] {
				bad = append(bad, fmt.Sprintf("%s is %q, want %q", c[0], c[2], c[1]))
			}
		}
		if len(bad) > 0 {
			return scenario.Failf("expect.aleph.item %s: %s", x.Barcode, strings.Join(bad, "; "))
		}
		return nil
	}
	return scenario.Failf("expect.aleph.item: mock ALEPH has no item %s", x.Barcode)
}

// ExpectFacilityItem checks an item of the facility's inventory.
type ExpectFacilityItem struct {
	// Barcode is the item in the facility's inventory.
	Barcode string `yaml:"barcode"`
	// Status is where the item is: in storage, out, or missing.
	Status string `yaml:"status"`
	// Absent checks that the inventory has no such item.
	Absent bool `yaml:"absent"`
}

// Validate implements scenario.Validator.
func (x *ExpectFacilityItem) Validate() error {
	if x.Barcode == "" {
		return errors.New("barcode is required")
	}
	if x.Status != "" {
		return oneOf("status", x.Status, caiasoft.StatusAtRest, caiasoft.StatusOutPhysical, caiasoft.StatusPulledERetrieval,
			caiasoft.StatusOutSHIP, caiasoft.StatusQueueRefile, caiasoft.StatusQueuePhysical, caiasoft.StatusQueueERetrieval,
			caiasoft.StatusQueueSHIP, caiasoft.StatusQueueDeaccession, caiasoft.StatusDeaccessioned, caiasoft.StatusWaitingAccession,
			caiasoft.StatusInAccession, caiasoft.StatusCommitted, caiasoft.StatusNotFound)
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectFacilityItem) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.facility.item"); err != nil {
		return err
	}
	it, err := env.World.Engine.ItemStatus(ctx, x.Barcode)
	switch {
	case errors.Is(err, engine.ErrUnknownItem) && x.Absent:
		return nil
	case err != nil:
		return scenario.Failf("expect.facility.item %s: %v", x.Barcode, err)
	case x.Absent:
		return scenario.Failf("expect.facility.item %s: want it gone, it is %s", x.Barcode, it.Status)
	case x.Status != "" && it.Status != x.Status:
		return scenario.Failf("expect.facility.item %s: status is %q, want %q", x.Barcode, it.Status, x.Status)
	}
	return nil
}

// ExpectAlert checks the engine's alerts.
type ExpectAlert struct {
	// Kind is one of store.AlertKinds: denial, fulfilment, ncip_problem, rejected_file, delivery_failure, held_file.
	Kind string `yaml:"kind"`
	// Contains is a substring of the alert's message.
	Contains string `yaml:"contains"`
	// Count is how many alerts must match (not given: at least one).
	Count *int `yaml:"count"`
	// Absent checks that no alert matches.
	Absent bool `yaml:"absent"`
}

// Validate implements scenario.Validator.
func (x *ExpectAlert) Validate() error {
	if x.Kind != "" {
		// Literal values, read by the schema generator; store.AlertKinds is the list they mirror.
		return oneOf("kind", x.Kind, "denial", "ncip_problem", "rejected_file", "fulfilment", "delivery_failure", "held_file")
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectAlert) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.alert"); err != nil {
		return err
	}
	alerts, err := env.World.Engine.Alerts(ctx)
	if err != nil {
		return scenario.Failf("expect.alert: %v", err)
	}
	var hit []string
	var all []string
	for _, a := range alerts {
		all = append(all, a.Kind+": "+a.Message)
		if (x.Kind == "" || a.Kind == x.Kind) && strings.Contains(a.Message, x.Contains) {
			hit = append(hit, a.Message)
		}
	}
	want := fmt.Sprintf("a %s alert containing %q", cmpOr(x.Kind, "any"), x.Contains)
	list := &scenario.Failure{Diff: "alerts:\n  " + strings.Join(all, "\n  ")}
	switch {
	case x.Absent && len(hit) > 0:
		list.Msg = fmt.Sprintf("expect.alert: want no %s, got %d", want, len(hit))
	case x.Absent:
		return nil
	case x.Count != nil && len(hit) != *x.Count:
		list.Msg = fmt.Sprintf("expect.alert: %d alerts match %s, want %d", len(hit), want, *x.Count)
	case x.Count == nil && len(hit) == 0:
		list.Msg = fmt.Sprintf("expect.alert: no %s", want)
	default:
		return nil
	}
	return list
}

// ExpectFile checks the request files the engine claimed.
type ExpectFile struct {
	// Status is processed or rejected.
	Status string `yaml:"status"`
	// Name is a substring of the file's original name.
	Name string `yaml:"name"`
	// Reason is a substring of the rejection reason.
	Reason string `yaml:"reason"`
	// Accepted is how many of the file's requests were accepted (not given: any).
	Accepted *int `yaml:"accepted"`
	// Denied is how many of the file's requests were denied (not given: any).
	Denied *int `yaml:"denied"`
	// Count is how many files must match (not given: at least one).
	Count *int `yaml:"count"`
}

// Validate implements scenario.Validator.
func (x *ExpectFile) Validate() error {
	if x.Status != "" {
		return oneOf("status", x.Status, "processed", "rejected")
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectFile) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.file"); err != nil {
		return err
	}
	files, err := env.World.Engine.Files(ctx)
	if err != nil {
		return scenario.Failf("expect.file: %v", err)
	}
	n := 0
	var seen []string
	for _, f := range files {
		seen = append(seen, fmt.Sprintf("%s: %s (accepted %d, denied %d) %s", f.Original, f.Status, f.Accepted, f.Denied, strings.ReplaceAll(strings.TrimSpace(f.Reason), "\n", "; ")))
		if (x.Status != "" && f.Status != x.Status) || !strings.Contains(f.Original, x.Name) || !strings.Contains(f.Reason, x.Reason) {
			continue
		}
		if (x.Accepted != nil && f.Accepted != *x.Accepted) || (x.Denied != nil && f.Denied != *x.Denied) {
			continue
		}
		n++
	}
	if (x.Count == nil && n > 0) || (x.Count != nil && n == *x.Count) {
		return nil
	}
	want := "at least 1"
	if x.Count != nil {
		want = fmt.Sprint(*x.Count)
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.file: %d files match (status %q, name %q, reason %q), want %s", n, x.Status, x.Name, x.Reason, want),
		Diff: "files:\n  " + strings.Join(seen, "\n  ")}
}

// ExpectOutbox checks the engine's outbox.
type ExpectOutbox struct {
	// Service is the NCIP service of the messages, e.g. CheckInItem.
	Service string `yaml:"service"`
	// Barcode narrows the messages to one item.
	Barcode string `yaml:"barcode"`
	// Status is pending, delivered or failed.
	Status string `yaml:"status"`
	// Attempts is the delivery attempts of every matching message.
	Attempts *int `yaml:"attempts"`
	// Count is how many messages must match (not given: at least one).
	Count *int `yaml:"count"`
	// NoWait checks at once instead of waiting for the outbox to settle
	// (to see a message still pending while its endpoint is down).
	NoWait bool `yaml:"no_wait"`
}

// Validate implements scenario.Validator.
func (x *ExpectOutbox) Validate() error {
	if x.Status != "" {
		return oneOf("status", x.Status, "pending", "delivered", "failed")
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectOutbox) Run(ctx context.Context, env *scenario.Env) error {
	if !x.NoWait {
		if err := idle(ctx, env, "expect.outbox"); err != nil {
			return err
		}
	}
	rows, err := env.World.Engine.Outbox(ctx)
	if err != nil {
		return scenario.Failf("expect.outbox: %v", err)
	}
	n := 0
	var seen []string
	for _, m := range rows {
		seen = append(seen, fmt.Sprintf("#%d %s %s: %s after %d attempts %s", m.ID, m.Service, m.Barcode, m.Status, m.Attempts, m.LastError))
		if (x.Service != "" && m.Service != x.Service) || (x.Barcode != "" && m.Barcode != x.Barcode) || (x.Status != "" && m.Status != x.Status) {
			continue
		}
		if x.Attempts != nil && m.Attempts != *x.Attempts {
			return &scenario.Failure{Msg: fmt.Sprintf("expect.outbox: %s %s took %d attempts, want %d", m.Service, m.Barcode, m.Attempts, *x.Attempts),
				Diff: "outbox:\n  " + strings.Join(seen, "\n  ")}
		}
		n++
	}
	if (x.Count == nil && n > 0) || (x.Count != nil && n == *x.Count) {
		return nil
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.outbox: %d messages match (service %q, barcode %q, status %q)", n, x.Service, x.Barcode, x.Status),
		Diff: "outbox:\n  " + strings.Join(seen, "\n  ")}
}

// ExpectJournalClean checks that no exchange the engine had with a mock
// drew a conformance finding of severity error.
type ExpectJournalClean struct {
	// On is alma or aleph; not given means both.
	On string `yaml:"on"`
}

// Validate implements scenario.Validator.
func (x *ExpectJournalClean) Validate() error {
	if x.On != "" {
		return oneOf("on", x.On, "alma", "aleph")
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectJournalClean) Run(ctx context.Context, env *scenario.Env) error {
	if err := idle(ctx, env, "expect.journal.clean"); err != nil {
		return err
	}
	var bad []string
	check := func(name string, j *journal.Journal) {
		for _, e := range j.All() {
			if env.IsOwn(name, e.ID) {
				continue
			}
			for _, f := range e.Findings {
				if f.Severity == ncip.Error {
					bad = append(bad, fmt.Sprintf("%s exchange %d (%s): %s", name, e.ID, e.Service, f))
				}
			}
		}
	}
	if (x.On == "" || x.On == "alma") && env.World.ALMA != nil {
		check("alma", env.World.ALMA.Journal())
	}
	if (x.On == "" || x.On == "aleph") && env.World.ALEPH != nil {
		check("aleph", env.World.ALEPH.Journal())
	}
	if len(bad) > 0 {
		return &scenario.Failure{Msg: fmt.Sprintf("expect.journal.clean: %d conformance errors", len(bad)), Diff: strings.Join(bad, "\n")}
	}
	return nil
}

// ExpectSFTPAudit checks the SFTP server's audit log. Refused logins are
// audited before the client hears the refusal, so no waiting is needed.
type ExpectSFTPAudit struct {
	// Event is an audit event such as "login refused" or "upload".
	Event string `yaml:"event"`
	// Account is the SFTP account of the entry.
	Account string `yaml:"account"`
	// Contains is a substring of the entry (event, account, address, path and detail).
	Contains string `yaml:"contains"`
	// Absent checks that no entry matches.
	Absent bool `yaml:"absent"`
}

// Validate implements scenario.Validator.
func (x *ExpectSFTPAudit) Validate() error {
	if x.Event == "" {
		return errors.New("event is required")
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectSFTPAudit) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.SFTP == nil {
		return scenario.Failf("expect.sftp.audit: the facility runs no SFTP server")
	}
	var seen []string
	found := false
	for _, a := range env.World.SFTP.Audit() {
		line := fmt.Sprintf("%s %s %s %s %s", a.Event, a.Account, a.RemoteAddr, a.Path, a.Detail)
		seen = append(seen, line)
		if a.Event == x.Event && (x.Account == "" || a.Account == x.Account) && strings.Contains(line, x.Contains) {
			found = true
		}
	}
	if found == !x.Absent {
		return nil
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.sftp.audit: %s entry %q containing %q: found %v, want %v", x.Event, x.Account, x.Contains, found, !x.Absent),
		Diff: "audit:\n  " + strings.Join(seen, "\n  ")}
}
