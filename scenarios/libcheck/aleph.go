package libcheck

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/world"
)

// deriveALEPH builds the ALEPH a profile expects: one NCIP server
// answering for its TO agency, accepting its FROM agency and CAIAPROFILE,
// with its users per stop, and a poster sending its API key.
func deriveALEPH(p profile.Profile) *aleph.Config {
	a := p.ALEPH
	users := map[string][]string{}
	for stop, u := range a.Users {
		users[stop] = []string{u}
	}
	cfg := &aleph.Config{
		Ports: []aleph.PortConfig{{
			AllowedClients:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Agency:                 a.ToAgency,
			FromAgencies:           []string{a.FromAgency},
			ApplicationProfileType: a.ApplicationProfileType,
			Users:                  users,
		}},
		Poster: aleph.PosterConfig{APIKey: p.Intake.APIKey, Format: "xml"},
	}
	if l := p.Intake.TextLayout; p.Intake.Format == profile.FormatALEPHText && l != nil {
		cfg.Poster.Format = "text"
		cfg.Poster.Text = posterLayout(l)
	}
	return cfg
}

// posterLayout writes the profile's registered text layout as the layout
// ALEPH's job prints: the same columns in the same order (the two name
// pickup and sublibrary differently), a header line when the profile skips one.
func posterLayout(l *profile.TextLayout) aleph.TextLayout {
	out := aleph.TextLayout{Delimiter: l.Delimiter, Header: l.HeaderLines > 0}
	for _, c := range l.Columns {
		f := c.Field
		switch f {
		case "pickup":
			f = "pickup_location"
		case "sublibrary":
			f = "sub_library"
		}
		out.Columns = append(out.Columns, aleph.TextColumn{Field: f, Width: c.Width})
	}
	return out
}

// alephStop is one circulation stop the translation produces, with the
// hold slip that reaches it.
type alephStop struct {
	stop string
	// pickup is the slip's pickup name, sub its item's sublibrary; via is
	// the translation entry that maps it to the stop.
	pickup, sub string
	via         []string
	barcode, id string
}

// aleph runs the ALEPH scenarios: per circulation stop a hold slip posted,
// retrieved and refiled, then the conformance of every message sent.
func (r *run) aleph(ctx context.Context, lib aleph.Config) []Result {
	stops := alephStops(r.p)
	results := alephResults(r.p.ALEPH, stops)
	confIdx := len(results) - 1
	start := time.Now()
	defer func() {
		d := time.Since(start) / time.Duration(len(results))
		for i := range results {
			results[i].Duration = d
		}
	}()
	if len(stops) == 0 {
		results[confIdx].Status, results[confIdx].Problem = Skipped, "the translation produces no circulation stop, so no hold slip can be sent"
		return results
	}

	cfg, inv := alephWorldConfig(r.p, lib, stops)
	w, stop, ok := r.startWorld(ctx, results, inv, world.Options{Profiles: []profile.Profile{r.p}, ALEPH: &cfg})
	if !ok {
		return results
	}
	defer stop()
	if !r.alephPost(ctx, results, w, len(stops)) {
		return results
	}
	reqs, err := w.Engine.Requests(ctx)
	if err != nil {
		notRun(results, "cannot read the facility's requests: "+err.Error())
		return results
	}
	var port aleph.PortConfig
	if len(cfg.Ports) > 0 {
		port = cfg.Ports[0]
	}
	for i, s := range stops {
		r.alephCirculate(ctx, &results[i], w, reqs, s, port)
	}
	r.alephConformance(&results[confIdx], w)
	if ctx.Err() != nil {
		notRun(results, r.outOfTime())
	}
	return results
}

// alephStops lists the circulation stops the translation produces, each
// with the hold slip (pickup, sublibrary, barcode, request id) that reaches
// it, sorted by stop.
func alephStops(p profile.Profile) []*alephStop {
	subs := slices.Sorted(maps.Keys(p.Translation.Collections))
	defaultSub := "MAIN"
	if len(subs) > 0 {
		defaultSub = subs[0]
	}
	var stops []*alephStop
	seen := map[string]bool{}
	t := p.Translation.Stops
	// A hold slip prints its pickup as a name (z37-pickup-location), a
	// photocopy slip as a code: names are tried first, so a table listing
	// both checks each stop with the hold slip's form.
	names := slices.Sorted(maps.Keys(t.PickupLocations))
	slices.SortStableFunc(names, func(a, b string) int {
		return cmp.Compare(strings.Count(b, " "), strings.Count(a, " "))
	})
	for _, name := range names {
		if s := t.PickupLocations[name]; s != "" && !seen[s] {
			seen[s] = true
			stops = append(stops, &alephStop{stop: s, pickup: name, sub: defaultSub, via: []string{"translation", "stops", "pickup_locations", name}})
		}
	}
	for _, sub := range slices.Sorted(maps.Keys(t.Libraries)) {
		if s := t.Libraries[sub]; s != "" && !seen[s] {
			seen[s] = true
			// A pickup name no table knows, so the sublibrary decides the stop.
			stops = append(stops, &alephStop{stop: s, pickup: "Validation pickup at " + sub, sub: sub, via: []string{"translation", "stops", "libraries", sub}})
		}
	}
	slices.SortFunc(stops, func(x, y *alephStop) int { return strings.Compare(x.stop, y.stop) })
	for i, s := range stops {
		s.barcode, s.id = fmt.Sprintf("9900%05d", i+1), fmt.Sprintf("VALIDATE%03d", i+1)
	}
	return stops
}

// alephResults names the ALEPH scenarios: one per stop, then the
// conformance of every message sent (always last).
func alephResults(a *profile.ALEPH, stops []*alephStop) []Result {
	var results []Result
	for _, s := range stops {
		how := fmt.Sprintf("pickup %q", s.pickup)
		if s.via[2] == "libraries" {
			how = "sublibrary " + s.sub
		}
		results = append(results, Result{Name: fmt.Sprintf("stop %s: a hold slip for %s is accepted, and CheckOutItem as its CAIAUSER (%s) and CheckInItem with CAIAPROFILE (%s) get no Problem",
			s.stop, how, cmpOr(a.Users[s.stop], "none configured"), a.ApplicationProfileType)})
	}
	return append(results, Result{Name: "every NCIP message the facility sent to ALEPH is conformant NCIP 1"})
}

// alephWorldConfig is the library's ALEPH listening on free ports, posting
// with the profile's API key unless it sends its own, holding one item on
// shelf with a pending hold request per stop; inv is the facility's
// inventory of those items.
func alephWorldConfig(p profile.Profile, lib aleph.Config, stops []*alephStop) (aleph.Config, []profile.InventoryItem) {
	subs := slices.Sorted(maps.Keys(p.Translation.Collections))
	cfg := lib
	cfg.Listen = ""
	cfg.Ports = slices.Clone(cfg.Ports)
	for i := range cfg.Ports {
		cfg.Ports[i].Listen = ""
	}
	if cfg.Poster.APIKey == "" {
		cfg.Poster.APIKey = p.Intake.APIKey
	}
	st := cfg.State
	st.SubLibraries = slices.Clone(st.SubLibraries)
	st.Items = slices.Clone(st.Items)
	st.Requests = slices.Clone(st.Requests)
	var inv []profile.InventoryItem
	for _, s := range stops {
		if len(st.SubLibraries) > 0 && !slices.Contains(st.SubLibraries, s.sub) {
			st.SubLibraries = append(st.SubLibraries, s.sub)
		}
		st.Items = append(st.Items, aleph.Item{Barcode: s.barcode, SubLibrary: s.sub, Collection: "ANNEX", Status: aleph.StatusOnShelf})
		st.Requests = append(st.Requests, aleph.HoldRequest{ID: s.id, Barcode: s.barcode, PatronID: "VALIDATE-PATRON", PatronName: "Patron, Validation",
			PickupLocation: s.pickup, SubLibrary: s.sub, Title: "Conformance check", RequestDate: "20250314", Type: aleph.RequestHold, Status: aleph.RequestPending})
		col := p.Translation.Collections[s.sub]
		if col == "" && len(subs) > 0 {
			col = p.Translation.Collections[subs[0]]
		}
		inv = append(inv, profile.InventoryItem{Barcode: s.barcode, Collection: cmpOr(col, "VALIDATE"), Profile: p.Name})
	}
	cfg.State = st
	return cfg, inv
}

// alephPost has ALEPH post its hold slips to the facility; it reports
// whether the facility took the file. On false every undecided result
// (the first nStops being the per-stop ones) says why.
func (r *run) alephPost(ctx context.Context, results []Result, w *world.World, nStops int) bool {
	post, err := w.ALEPH.PostRequests(ctx)
	switch {
	case err != nil:
		notRun(results, "ALEPH could not post its hold slips: "+err.Error())
		return false
	case post.Status == http.StatusUnauthorized || post.Status == http.StatusForbidden:
		for i := range nStops {
			r.fail(&results[i], fmt.Sprintf("the facility refused ALEPH's request file with HTTP %d", post.Status), "ALEPH sends a different X-API-Key",
				fix{[]string{"intake", "api_key"}, "set intake.api_key to the key ALEPH's request-file job sends"})
		}
		skipRest(results, "no request reached the facility")
		return false
	case post.Status/100 != 2:
		notRun(results, fmt.Sprintf("the facility answered ALEPH's request file with HTTP %d: %s", post.Status, strings.TrimSpace(post.Body)))
		return false
	}
	return true
}

// alephCirculate decides one stop's scenario: the facility accepted its
// hold request, then retrieval's CheckOutItem and refile's CheckInItem
// reached ALEPH without a Problem.
func (r *run) alephCirculate(ctx context.Context, res *Result, w *world.World, reqs []store.Request, s *alephStop, port aleph.PortConfig) {
	eng := w.Engine
	q, ok := findRequest(reqs, s.id)
	switch {
	case !ok:
		why, f := fileProblem(ctx, eng.Files, fix{[]string{"intake", "format"}, "the format must be the layout ALEPH posts"})
		r.fail(res, fmt.Sprintf("the facility has no record of hold request %s", s.id), why, f)
		return
	case q.Status != store.RequestAccepted && q.Code == caiasoft.DenialNoALEPHUser:
		r.fail(res, fmt.Sprintf("the facility denied the hold request for stop %s", s.stop), q.Reason, r.missingUserFix(s.stop, port))
		return
	case q.Status != store.RequestAccepted:
		r.fail(res, fmt.Sprintf("the facility denied the hold request for stop %s", s.stop), q.Reason, denialFix(s.sub, q.Code))
		return
	}
	if !r.moved(ctx, res, eng, "retrieve", s.barcode) || !r.checkALEPH(ctx, res, w, "CheckOutItem", s, port) {
		return
	}
	if r.moved(ctx, res, eng, "refile", s.barcode) && r.checkALEPH(ctx, res, w, "CheckInItem", s, port) {
		res.Status = Passed
	}
}

// alephConformance decides the conformance scenario from every NCIP
// message ALEPH received: the first with an error-level finding fails it.
func (r *run) alephConformance(rconf *Result, w *world.World) {
	r.conformance(rconf, w.ALEPH.Journal(), "ALEPH", "NCIP 1", func(ex journal.Exchange) string {
		var errs []string
		for _, f := range ex.Findings {
			if f.Severity == ncip.Error {
				errs = append(errs, f.String())
			}
		}
		return strings.Join(errs, "; ")
	}, fix{[]string{"style"}, "the profile's style section shapes the messages (declaration, DOCTYPE, version): remove the setting that breaks NCIP 1"})
}

// missingUserFix: the translation sends requests to a stop aleph.users
// does not list, so no CheckOutItem can name a user for them.
func (r *run) missingUserFix(stop string, port aleph.PortConfig) fix {
	path := []string{"aleph", "users", stop}
	if u := port.Users[stop]; len(u) > 0 {
		return fix{path, fmt.Sprintf("add %s: %s under aleph.users (ALEPH's user for that stop)", stop, u[0])}
	}
	return fix{path, fmt.Sprintf("add %s with its CAIAUSER under aleph.users, or map the pickup to a stop that has one", stop)}
}

// checkALEPH checks the last message of a service about the stop's item
// had no Problem; it reports whether it passed.
func (r *run) checkALEPH(ctx context.Context, res *Result, w *world.World, service string, s *alephStop, port aleph.PortConfig) bool {
	ex, ok := lastExchange(w.ALEPH.Journal(), service, s.barcode)
	if !ok {
		r.fail(res, fmt.Sprintf("the facility sent no %s for item %s", service, s.barcode), outboxError(ctx, w, service, s.barcode), fix{})
		return false
	}
	if len(ex.Problems) == 0 {
		return true
	}
	problem, f := r.alephProblem(ex, s, port)
	r.fail(res, problem, why(ex), f)
	return false
}

// alephProblem says what ALEPH answered and maps it to the profile field.
func (r *run) alephProblem(ex journal.Exchange, s *alephStop, port aleph.PortConfig) (string, fix) {
	msg, _, err := ncip.Decode(ex.Response, ncip.ParseOptions{})
	if err != nil || len(msg.Problems()) == 0 {
		return fmt.Sprintf("ALEPH answered %s with Problem %q", ex.Service, strings.Join(ex.Problems, ", ")), fix{}
	}
	pr := msg.Problems()[0]
	problem := fmt.Sprintf("ALEPH answered %s with Problem %q", ex.Service, pr.ProblemType.Value)
	if pr.ProblemValue != "" {
		problem += fmt.Sprintf(" for %s %q", pr.ProblemElement, pr.ProblemValue)
	}
	switch el := pr.ProblemElement; {
	case strings.HasPrefix(el, "FromAgencyId"):
		return problem, fix{[]string{"aleph", "from_agency"}, fmt.Sprintf("set aleph.from_agency to a FROM agency ALEPH accepts (%s), or add %q to ALEPH's tab_ncip.conf", strings.Join(port.FromAgencies, ", "), pr.ProblemValue)}
	case strings.HasPrefix(el, "ToAgencyId"):
		return problem, fix{[]string{"aleph", "to_agency"}, fmt.Sprintf("set aleph.to_agency to %q, the agency ALEPH's NCIP server answers for", port.Agency)}
	case strings.Contains(el, "ApplicationProfileType"):
		return problem, fix{[]string{"aleph", "application_profile_type"}, fmt.Sprintf("set aleph.application_profile_type to %q", port.ApplicationProfileType)}
	case strings.HasPrefix(el, "UniqueUserId"):
		path := []string{"aleph", "users", s.stop}
		if u := port.Users[s.stop]; len(u) > 0 {
			return problem, fix{path, fmt.Sprintf("set aleph.users.%s to %q (ALEPH's user for that stop)", s.stop, u[0])}
		}
		return problem, fix{path, fmt.Sprintf("set it to the stop's user in ALEPH, or add user %q for stop %s in ALEPH", pr.ProblemValue, s.stop)}
	}
	return problem, fix{}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
