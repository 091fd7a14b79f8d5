package libcheck

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/world"
)

// deriveALMA builds the ALMA a profile expects: its institution, partner
// agency, integration profile serving every collection's location,
// libraries with the desks of the desk table, and the check-out user.
func deriveALMA(p profile.Profile) *alma.Config {
	a := p.ALMA
	var libs []alma.Library
	lib := func(code string) *alma.Library {
		for i := range libs {
			if libs[i].Code == code {
				return &libs[i]
			}
		}
		libs = append(libs, alma.Library{Code: code})
		return &libs[len(libs)-1]
	}
	var refs []alma.LocationRef
	remote := func(library, location string) {
		l := lib(library)
		if !slices.ContainsFunc(l.Locations, func(x alma.Location) bool { return x.Code == location }) {
			l.Locations = append(l.Locations, alma.Location{Code: location, RemoteStorage: true})
			refs = append(refs, alma.LocationRef{Library: library, Location: location})
		}
	}
	desk := func(library, d string) {
		if l := lib(library); !slices.ContainsFunc(l.Desks, func(x alma.Desk) bool { return x.Code == d }) {
			l.Desks = append(l.Desks, alma.Desk{Code: d})
		}
	}
	for _, key := range slices.Sorted(maps.Keys(p.Translation.Collections)) {
		l, loc := p.Translation.CollectionKey(key)
		switch {
		case l == "":
			continue // a location alone: its libraries come from the other keys
		case loc == "":
			loc = "ANNEX"
		}
		remote(l, loc)
	}
	for _, l := range slices.Sorted(maps.Keys(a.Desks)) {
		remote(l, "ANNEX")
		dl, d := splitDesk(a.Desks[l], l)
		desk(dl, d)
	}
	for _, l := range slices.Sorted(maps.Keys(p.Translation.Stops.Libraries)) {
		lib(l)
	}
	if a.Desk != "" {
		if dl, d, ok := strings.Cut(a.Desk, "."); ok {
			desk(dl, d)
		} else {
			for i := range libs {
				desk(libs[i].Code, a.Desk)
			}
		}
	}
	nameLibraries(libs, p.Translation.Stops)
	cfg := &alma.Config{
		Agencies: []string{a.FromAgency},
		State: alma.State{
			Institution: a.ToAgency,
			Profiles:    []alma.Profile{{Code: a.ProfileCode, Locations: refs}},
			Libraries:   libs,
			Users:       []alma.User{{ID: a.CheckOutUser}},
		},
	}
	return cfg
}

// nameLibraries gives each derived library the name ALMA's export will
// write in pickup/library, so that a profile keyed by library names finds
// its stop: a library the profile does not key by code (libraries:) takes
// a pickup_libraries name not yet given, in sorted order.
func nameLibraries(libs []alma.Library, st profile.Stops) {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(st.PickupLibraries)) {
		if n != rsexport.PersonalDelivery {
			names = append(names, n)
		}
	}
	for i := range libs {
		if st.Libraries[libs[i].Code] != "" || len(names) == 0 {
			continue
		}
		libs[i].Name, names = names[0], names[1:]
	}
}

// perLibraryDesks writes an alma.desks table for libraries, in flow style:
// each library's desk d if ALMA has one of that code there, else its first
// desk, else a placeholder saying a desk must be created.
func perLibraryDesks(st alma.State, libraries []string, d string) string {
	entries := make([]string, 0, len(libraries))
	for _, code := range libraries {
		desk := "DESK (library " + code + " has no desk in ALMA: create one)"
		if i := slices.IndexFunc(st.Libraries, func(l alma.Library) bool { return l.Code == code }); i >= 0 && len(st.Libraries[i].Desks) > 0 {
			desks := st.Libraries[i].Desks
			desk = desks[0].Code
			if slices.ContainsFunc(desks, func(x alma.Desk) bool { return x.Code == d }) {
				desk = d
			}
		}
		entries = append(entries, code+": "+code+"."+desk)
	}
	return "{" + strings.Join(entries, ", ") + "}"
}

// splitDesk reads "LIBRARY.DESK" or "DESK" (a desk of library).
func splitDesk(v, library string) (string, string) {
	if l, d, ok := strings.Cut(v, "."); ok {
		return l, d
	}
	return library, v
}

// almaTarget is one item the ALMA scenarios request, retrieve and refile.
type almaTarget struct {
	key               string // the translation.collections key, "" for a desk-only library
	library, location string
	barcode, request  string
	// setup says why the item cannot exist in this ALMA ("" when it can).
	setup    string
	setupFix fix
	accepted bool
}

// almaPlan is what the ALMA scenarios work on: ALMA's libraries, the
// integration profile exporting, the targets, the library list the desk
// scenarios run over, and where each scenario's result sits.
type almaPlan struct {
	libs       map[string]*alma.Library
	libCodes   []string
	exportCode string
	served     map[alma.LocationRef]bool
	n          int // targets made so far, numbering barcodes and requests
	targets    []*almaTarget
	deskLibs   []string
	byLibrary  map[string]*almaTarget
	// missing is the item the facility does not hold, for CancelRequestItem.
	missing           *almaTarget
	retrieval, refile map[string]int
	cancelIdx         int
	confIdx           int
}

// alma runs the ALMA scenarios: the export of a request per collection,
// retrieval and refile per desk library, the cancel of an item the
// facility does not hold, then the conformance of every message sent.
func (r *run) alma(ctx context.Context, lib alma.Config) []Result {
	p := r.p
	pl := newALMAPlan(p, lib)
	r.deskLibs = pl.deskLibs
	results := pl.results(p)
	start := time.Now()
	defer func() {
		d := time.Since(start) / time.Duration(len(results))
		for i := range results {
			results[i].Duration = d
		}
	}()

	if p.Intake.SFTP == nil {
		r.fail(&results[0], "the profile has no SFTP account, so ALMA cannot upload its request files", "",
			fix{[]string{"intake", "sftp"}, "add intake.sftp with the account, password or key and directory ALMA's integration profile uploads with"})
		skipRest(results, "no request reached the facility")
		return results
	}

	cfg, prof, inv := almaWorldConfig(p, lib, pl)
	w, stop, ok := r.startWorld(ctx, results, inv, world.Options{Profiles: []profile.Profile{prof}, ALMA: &cfg})
	if !ok {
		return results
	}
	defer stop()

	// 1. Export, intake, decision.
	exp, ok := r.almaExport(ctx, results, w, pl, cfg.Export.Dir)
	if !ok {
		return results
	}
	if err := w.Engine.WaitIdle(ctx); err != nil {
		notRun(results, "the facility's outbox did not settle: "+err.Error())
		return results
	}
	// 2 and 3. Retrieval and refile per desk library.
	for _, l := range pl.deskLibs {
		r.almaDeskLibrary(ctx, &results[pl.retrieval[l]], &results[pl.refile[l]], w, pl.byLibrary[l], lib)
	}
	// 4. The item the facility does not hold.
	r.almaCancel(ctx, &results[pl.cancelIdx], w, pl.missing, exp, lib)
	// 5. Conformance of everything sent.
	r.almaConformance(&results[pl.confIdx], w)
	if ctx.Err() != nil {
		notRun(results, r.outOfTime())
	}
	return results
}

// newALMAPlan picks the targets: an item per translation.collections key
// (at the location the export profile serves when the key names only a
// library), one more for each desk library no collection covers, and the
// item the facility will not hold.
func newALMAPlan(p profile.Profile, lib alma.Config) *almaPlan {
	st := lib.State
	pl := &almaPlan{libs: map[string]*alma.Library{}, served: map[alma.LocationRef]bool{}, byLibrary: map[string]*almaTarget{}}
	for i := range st.Libraries {
		pl.libs[st.Libraries[i].Code] = &st.Libraries[i]
	}
	pl.libCodes = slices.Sorted(maps.Keys(pl.libs))
	pl.exportCode = lib.Export.Profile
	if pl.exportCode == "" && len(st.Profiles) > 0 {
		pl.exportCode = st.Profiles[0].Code
	}
	for _, pr := range st.Profiles {
		if pr.Code == pl.exportCode {
			for _, l := range pr.Locations {
				pl.served[l] = true
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(p.Translation.Collections)) {
		l, loc := p.Translation.CollectionKey(key)
		switch {
		case l == "":
			continue // a location alone finds the library keys' items; it adds no target of its own
		case loc == "":
			loc = pl.remoteOf(l)
		}
		pl.targets = append(pl.targets, pl.newTarget(key, l, loc, fix{path: []string{"translation", "collections", key}}))
	}
	// The desk scenarios run once per library of the desk table, so a desk
	// wrong for one library is found; without a table, once per collection library.
	pl.deskLibs = slices.Sorted(maps.Keys(p.ALMA.Desks))
	if len(pl.deskLibs) == 0 {
		for _, t := range pl.targets {
			if !slices.Contains(pl.deskLibs, t.library) {
				pl.deskLibs = append(pl.deskLibs, t.library)
			}
		}
	}
	for _, t := range pl.targets {
		if t.setup == "" && pl.byLibrary[t.library] == nil {
			pl.byLibrary[t.library] = t
		}
	}
	for _, l := range pl.deskLibs {
		if pl.byLibrary[l] == nil {
			t := pl.newTarget("", l, pl.remoteOf(l), fix{path: []string{"alma", "desks", l}})
			pl.targets = append(pl.targets, t)
			pl.byLibrary[l] = t
		}
	}
	for _, t := range pl.targets {
		if t.setup == "" {
			pl.missing = pl.newTarget(t.key, t.library, t.location, fix{})
			break
		}
	}
	return pl
}

// remoteOf is the first location of library the export profile serves, ""
// when it serves none.
func (pl *almaPlan) remoteOf(library string) string {
	var locs []string
	for l := range pl.served {
		if l.Library == library {
			locs = append(locs, l.Location)
		}
	}
	slices.Sort(locs)
	if len(locs) == 0 {
		return ""
	}
	return locs[0]
}

// newTarget numbers a target and says, with the fix at where, why its item
// cannot exist in this ALMA, if it cannot.
func (pl *almaPlan) newTarget(key, library, location string, where fix) *almaTarget {
	pl.n++
	n := pl.n
	t := &almaTarget{key: key, library: library, location: location,
		barcode: fmt.Sprintf("390150990%05d", n), request: fmt.Sprintf("VALIDATE-%d", n)}
	l := pl.libs[library]
	switch {
	case l == nil:
		t.setup = fmt.Sprintf("ALMA has no library %q (libraries: %s)", library, strings.Join(pl.libCodes, ", "))
		t.setupFix = fix{where.path, "use the library's code as ALMA writes it (codes are case-sensitive), or remove the entry"}
	case location == "":
		t.setup = fmt.Sprintf("ALMA's integration profile %q serves no location of library %s, so no request from it reaches the facility", pl.exportCode, library)
		t.setupFix = fix{where.path, fmt.Sprintf("add a remote-storage location of library %s to integration profile %s in ALMA, or remove the entry", library, pl.exportCode)}
	case !slices.ContainsFunc(l.Locations, func(x alma.Location) bool { return x.Code == location }):
		var locs []string
		for _, x := range l.Locations {
			locs = append(locs, x.Code)
		}
		t.setup = fmt.Sprintf("ALMA's library %s has no location %q (locations: %s)", library, location, strings.Join(locs, ", "))
		t.setupFix = fix{where.path, "use the location's code as ALMA writes it, or remove the entry"}
	}
	return t
}

// results names the ALMA scenarios in order (export first, conformance
// last) and records where the per-library, cancel and conformance ones sit.
func (pl *almaPlan) results(p profile.Profile) []Result {
	account := ""
	if s := p.Intake.SFTP; s != nil {
		account = s.Account
	}
	var keys []string
	for _, t := range pl.targets {
		if t.key != "" {
			keys = append(keys, t.key)
		}
	}
	results := []Result{{Name: fmt.Sprintf("ALMA's export of a request for an item in each remote-storage collection (%s) over SFTP as account %q, each accepted by the facility",
		strings.Join(keys, ", "), account)}}
	pl.retrieval = map[string]int{}
	for _, l := range pl.deskLibs {
		pl.retrieval[l] = len(results)
		results = append(results, Result{Name: fmt.Sprintf("retrieval from library %s: CheckOutItem gets no Problem and ALMA puts the item in transit", l)})
	}
	pl.refile = map[string]int{}
	for _, l := range pl.deskLibs {
		pl.refile[l] = len(results)
		results = append(results, Result{Name: fmt.Sprintf("refile for library %s: CheckInItem gets no Problem and ALMA has the item back in place", l)})
	}
	pl.cancelIdx = len(results)
	cancelName := "an item the facility does not hold"
	if pl.missing != nil {
		cancelName = fmt.Sprintf("an item of library %s the facility does not hold", pl.missing.library)
	}
	results = append(results, Result{Name: cancelName + ": CancelRequestItem gets no Problem and ALMA cancels the request"})
	pl.confIdx = len(results)
	return append(results, Result{Name: "every NCIP message the facility sent to ALMA is conformant (mock ALMA in strict mode)"})
}

// almaWorldConfig is the library's ALMA in strict mode with no faults,
// exporting over the profile's SFTP account unless it has its own, and
// holding one item with a pending request per target that can exist in it;
// inv is the facility's inventory of them (all but the missing one), prof
// the profile with SFTP open to this machine.
func almaWorldConfig(p profile.Profile, lib alma.Config, pl *almaPlan) (cfg alma.Config, prof profile.Profile, inv []profile.InventoryItem) {
	st := cloneALMAState(lib.State)
	material := "BOOK"
	if m := slices.Sorted(maps.Keys(p.Translation.Materials)); len(m) > 0 {
		material = m[0]
	}
	add := func(t *almaTarget, inStorage bool) {
		pickup := ""
		if l := pl.libs[t.library]; l != nil && len(l.Desks) > 0 {
			pickup = l.Desks[0].Code
		}
		st.Items = append(st.Items, alma.Item{Barcode: t.barcode, Library: t.library, Location: t.location, MaterialType: material, Status: alma.StatusRequested})
		st.Requests = append(st.Requests, alma.Request{ID: t.request, Type: "PATRON_PHYSICAL", Barcode: t.barcode, PickupLibrary: t.library, PickupLocation: pickup,
			Patron: alma.Patron{Name: "Validation Patron", Identifier: "VALIDATE-PATRON"}, Step: alma.StepPending})
		if inStorage {
			inv = append(inv, profile.InventoryItem{Barcode: t.barcode, Collection: collectionOf(p, t), Material: material, Profile: p.Name})
		}
	}
	for _, t := range pl.targets {
		if t.setup == "" {
			add(t, true)
		}
	}
	if pl.missing != nil {
		add(pl.missing, false)
	}
	cfg = lib
	cfg.Listen, cfg.Strict, cfg.State, cfg.Faults, cfg.Export.Every = "", true, st, nil, 0
	cfg.Export.SFTPAddr, cfg.Export.HostKey, cfg.Export.SourceAddr = "", "", "127.0.0.1"
	s := p.Intake.SFTP
	if cfg.Export.User == "" {
		cfg.Export.User = s.Account
	}
	if cfg.Export.Password == "" && cfg.Export.PrivateKey == "" && cfg.Export.PrivateKeyFile == "" {
		cfg.Export.Password = s.Password
	}
	if cfg.Export.Dir == "" {
		cfg.Export.Dir = s.Directory
	}
	prof = p
	sftpCopy := *s
	// The mocks run on this machine: the allow-list of ALMA's real
	// addresses cannot be exercised here (the static checks read it).
	sftpCopy.AllowedNetworks = []string{"127.0.0.0/8", "::1/128"}
	prof.Intake.SFTP = &sftpCopy
	return cfg, prof, inv
}

// almaExport runs ALMA's export job and decides the export scenario
// (results[0]) from what the facility made of each target's request,
// marking the accepted ones; dir is where the job writes. It reports false
// when the facility's requests cannot be read (then nothing else can run).
func (r *run) almaExport(ctx context.Context, results []Result, w *world.World, pl *almaPlan, dir string) (alma.ExportResult, bool) {
	eng := w.Engine
	res0 := &results[0]
	exp, err := w.ALMA.Export(ctx)
	if err != nil {
		r.fail(res0, fmt.Sprintf("ALMA's export job failed: %v", err), "",
			fix{[]string{"intake", "sftp"}, "the account, password (or key) and directory must be the ones ALMA's integration profile uploads with"})
		return exp, true
	}
	reqs, err := eng.Requests(ctx)
	if err != nil {
		notRun(results, "cannot read the facility's requests: "+err.Error())
		return exp, false
	}
	for _, t := range pl.targets {
		if t.setup != "" {
			if res0.Status == "" {
				r.fail(res0, t.setup, "", t.setupFix)
			}
			continue
		}
		if !slices.Contains(exp.IDs, t.request) {
			if res0.Status == "" {
				where := t.key
				if where == "" {
					where = t.library + "/" + t.location
				}
				r.fail(res0, fmt.Sprintf("ALMA did not export the request for the item in %s/%s", t.library, t.location),
					fmt.Sprintf("location %s/%s is not served by ALMA's integration profile %q, so ALMA never sends its requests to the facility", t.library, t.location, pl.exportCode),
					fix{[]string{"translation", "collections", where}, fmt.Sprintf("add %s/%s to integration profile %s in ALMA, or remove the entry", t.library, t.location, pl.exportCode)})
			}
			continue
		}
		q, ok := findRequest(reqs, t.request)
		switch {
		case !ok:
			if res0.Status == "" {
				why, f := fileProblem(ctx, eng.Files, fix{[]string{"intake", "sftp", "directory"}, fmt.Sprintf("the directory must be where ALMA's job writes (it wrote to %s)", dir)})
				r.fail(res0, fmt.Sprintf("the facility has no record of request %s: the file ALMA uploaded was not read", t.request), why, f)
			}
		case q.Status != store.RequestAccepted:
			if res0.Status == "" {
				r.fail(res0, fmt.Sprintf("the facility denied request %s for the item in %s/%s", t.request, t.library, t.location), q.Reason, denialFix(t.library, q.Code))
			}
		default:
			t.accepted = true
		}
	}
	if res0.Status == "" {
		res0.Status = Passed
	}
	return exp, true
}

// almaDeskLibrary decides one desk library's retrieval (ro) and refile
// (rf) scenarios with its target t: CheckOutItem leaves the item in
// transit, CheckInItem puts it back in place.
func (r *run) almaDeskLibrary(ctx context.Context, ro, rf *Result, w *world.World, t *almaTarget, lib alma.Config) {
	eng := w.Engine
	switch {
	case t.setup != "":
		r.fail(ro, t.setup, "", t.setupFix)
		r.fail(rf, t.setup, "", t.setupFix)
		return
	case !t.accepted:
		ro.Status, ro.Problem = Skipped, "no accepted request for an item of library "+t.library
		rf.Status, rf.Problem = Skipped, ro.Problem
		return
	}
	if r.moved(ctx, ro, eng, "retrieve", t.barcode) {
		r.checkALMA(ctx, ro, w, "CheckOutItem", t, alma.StatusInTransit, lib)
	}
	if r.moved(ctx, rf, eng, "refile", t.barcode) {
		r.checkALMA(ctx, rf, w, "CheckInItem", t, alma.StatusInPlace, lib)
	}
}

// almaCancel decides the scenario (rc) of the item the facility does not
// hold: its request, once exported and decided, brings a CancelRequestItem
// that leaves the item missing.
func (r *run) almaCancel(ctx context.Context, rc *Result, w *world.World, missing *almaTarget, exp alma.ExportResult, lib alma.Config) {
	switch {
	case missing == nil:
		rc.Status, rc.Problem = Skipped, "no collection of the profile exists in this ALMA"
	case !slices.Contains(exp.IDs, missing.request):
		rc.Status, rc.Problem = Skipped, "ALMA did not export the request"
	case !decided(ctx, w.Engine.Requests, missing.request):
		rc.Status, rc.Problem = Skipped, "the request did not reach the facility"
	default:
		r.checkALMA(ctx, rc, w, "CancelRequestItem", missing, alma.StatusMissing, lib)
	}
}

// almaConformance decides the conformance scenario from every NCIP message
// ALMA received: the first strict ALMA found not schema-valid fails it.
func (r *run) almaConformance(rconf *Result, w *world.World) {
	r.conformance(rconf, w.ALMA.Journal(), "ALMA", "NCIP 2", func(ex journal.Exchange) string { return ex.ConformanceFailure },
		fix{[]string{"style"}, "the profile's style section shapes the messages (namespace, prefix, version, declaration): remove the setting that breaks the schema"})
}

// checkALMA checks the last message of a service about the target's item:
// ALMA answered it without a Problem, and the item now has the status want
// (for a cancel: missing, with the request cancelled).
func (r *run) checkALMA(ctx context.Context, res *Result, w *world.World, service string, t *almaTarget, want string, lib alma.Config) {
	ex, ok := lastExchange(w.ALMA.Journal(), service, t.barcode)
	if !ok {
		r.fail(res, fmt.Sprintf("the facility sent no %s for item %s", service, t.barcode), outboxError(ctx, w, service, t.barcode), fix{})
		return
	}
	if len(ex.Problems) > 0 {
		problem, f := r.almaProblem(ex, t, lib)
		r.fail(res, problem, why(ex), f)
		return
	}
	st := w.ALMA.State()
	i := slices.IndexFunc(st.Items, func(it alma.Item) bool { return it.Barcode == t.barcode })
	if i < 0 || st.Items[i].Status != want {
		got := "gone"
		if i >= 0 {
			got = st.Items[i].Status
		}
		r.fail(res, fmt.Sprintf("ALMA answered without a Problem, but the item is %s, not %s", got, want), ex.ClosestMiss, fix{})
		return
	}
	if service == "CancelRequestItem" {
		j := slices.IndexFunc(st.Requests, func(q alma.Request) bool { return q.ID == t.request })
		if j < 0 || st.Requests[j].Step != alma.StepCancelled {
			r.fail(res, "ALMA answered without a Problem, but the request is not cancelled", "", fix{})
			return
		}
	}
	res.Status = Passed
}

// almaProblem says what ALMA answered, and maps the Problem's element to
// the profile field that produced it and to what to change.
func (r *run) almaProblem(ex journal.Exchange, t *almaTarget, lib alma.Config) (string, fix) {
	msg, _, err := ncip.Decode(ex.Response, ncip.ParseOptions{})
	if err != nil || len(msg.Problems()) == 0 {
		return fmt.Sprintf("ALMA answered Problem %q", strings.Join(ex.Problems, ", ")), fix{}
	}
	pr := msg.Problems()[0]
	element := pr.ProblemElement
	// "//CheckOutItem/InitiationHeader/ApplicationProfileType" → the part after the service.
	if rest, ok := strings.CutPrefix(element, "//"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok {
			element = after
		}
	}
	name := element[strings.LastIndexByte(element, '/')+1:]
	problem := fmt.Sprintf("ALMA answered Problem %q", pr.ProblemType.Value)
	if pr.ProblemValue != "" {
		problem += fmt.Sprintf(" for %s %q", name, pr.ProblemValue)
	} else if name != "" {
		problem += " at " + element
	}
	st := lib.State
	a := r.p.ALMA
	switch {
	case strings.HasSuffix(element, "ApplicationProfileType"):
		var codes []string
		for _, pf := range st.Profiles {
			if strings.EqualFold(pf.Code, pr.ProblemValue) {
				return problem, fix{[]string{"alma", "profile_code"}, fmt.Sprintf("set alma.profile_code to %q", pf.Code)}
			}
			codes = append(codes, pf.Code)
		}
		return problem, fix{[]string{"alma", "profile_code"}, fmt.Sprintf("set alma.profile_code to ALMA's integration profile code (%s), or create integration profile %q in ALMA", strings.Join(codes, ", "), pr.ProblemValue)}
	case strings.HasSuffix(element, "ToAgencyId"):
		return problem, fix{[]string{"alma", "to_agency"}, fmt.Sprintf("set alma.to_agency to ALMA's institution code %q", st.Institution)}
	case strings.HasSuffix(element, "FromAgencyId"):
		return problem, fix{[]string{"alma", "from_agency"}, fmt.Sprintf("set alma.from_agency to the facility's Agency ID in ALMA (%s), or add %q as a partner agency in ALMA", strings.Join(lib.Agencies, ", "), pr.ProblemValue)}
	case strings.HasSuffix(element, "OnBehalfOfAgency"):
		path := []string{"alma", "desk"}
		if a.Desks[t.library] != "" {
			path = []string{"alma", "desks", t.library}
		}
		field := profile.FieldPath(path...)
		_, d := splitDesk(pr.ProblemValue, t.library)
		if len(a.Desks) == 0 && len(r.deskLibs) > 1 {
			// One desk for several libraries: naming the failing library's
			// desk would only break the others, so suggest the table.
			return problem, fix{path, fmt.Sprintf("one desk cannot serve libraries %s: replace alma.desk with alma.desks, a desk per library: %s",
				strings.Join(r.deskLibs, ", "), perLibraryDesks(st, r.deskLibs, d))}
		}
		for _, l := range st.Libraries {
			switch {
			case l.Code != t.library || len(l.Desks) == 0:
			case slices.ContainsFunc(l.Desks, func(x alma.Desk) bool { return x.Code == d }):
				// The desk exists in the item's library: only the library part is wrong.
				return problem, fix{path, fmt.Sprintf("set %s to %q", field, t.library+"."+d)}
			default:
				return problem, fix{path, fmt.Sprintf("set %s to %q (a desk of library %s in ALMA), or create desk %s in ALMA's library %s", field, t.library+"."+l.Desks[0].Code, t.library, d, t.library)}
			}
		}
		return problem, fix{path, fmt.Sprintf("set %s to a circulation desk of library %s in ALMA, or create desk %s there", field, t.library, d)}
	case strings.HasSuffix(element, "UserId"):
		if pr.ProblemDetail == "User Blocked" {
			return problem, fix{[]string{"alma", "checkout_user"}, fmt.Sprintf("unblock user %q in ALMA", pr.ProblemValue)}
		}
		return problem, fix{[]string{"alma", "checkout_user"}, fmt.Sprintf("set alma.checkout_user to the facility's user in ALMA, or create user %q in ALMA", pr.ProblemValue)}
	}
	return problem, fix{}
}

// lastExchange is the last request of a service a mock received about a barcode.
func lastExchange(j *journal.Journal, service, barcode string) (journal.Exchange, bool) {
	all := j.All()
	for i := len(all) - 1; i >= 0; i-- {
		ex := all[i]
		if ex.Direction == "in" && ex.Service == service && bytes.Contains(ex.Request, []byte(barcode)) {
			return ex, true
		}
	}
	return journal.Exchange{}, false
}

// outboxError says what the engine's outbox knows of an undelivered message.
func outboxError(ctx context.Context, w *world.World, service, barcode string) string {
	rows, err := w.Engine.Outbox(ctx)
	if err != nil {
		return ""
	}
	for _, m := range slices.Backward(rows) {
		if m.Service == service && m.Barcode == barcode {
			return fmt.Sprintf("the outbox has it %s after %d attempts: %s", m.Status, m.Attempts, m.LastError)
		}
	}
	return "the facility owed no such message"
}

// fileProblem says what became of the request files the engine claimed,
// and which intake setting decides it.
func fileProblem(ctx context.Context, files func(context.Context) ([]store.File, error), dirFix fix) (string, fix) {
	fs, err := files(ctx)
	if err != nil || len(fs) == 0 {
		return "no request file reached the facility's inbox", dirFix
	}
	f := fs[len(fs)-1]
	reason := f.Reason
	// A rejection reason is a small report; its message line is the point.
	for line := range strings.SplitSeq(reason, "\n") {
		if m, ok := strings.CutPrefix(line, "message: "); ok {
			reason = m
		}
	}
	reason = strings.Join(strings.Fields(reason), " ")
	why := fmt.Sprintf("file %s was %s", f.Original, f.Status)
	if reason != "" {
		why += ": " + reason
	}
	if strings.Contains(reason, "limit") {
		return why, fix{[]string{"intake", "max_file_size"}, "raise intake.max_file_size above the size of the library's request files (or leave it out: 256 MiB)"}
	}
	return why, fix{[]string{"intake", "format"}, "the format (and text_layout) must be the layout the library sends"}
}

// decided reports whether the engine recorded a request.
func decided(ctx context.Context, list func(context.Context) ([]store.Request, error), id string) bool {
	reqs, err := list(ctx)
	if err != nil {
		return false
	}
	_, ok := findRequest(reqs, id)
	return ok
}

func findRequest(reqs []store.Request, id string) (store.Request, bool) {
	for _, q := range reqs {
		if q.ID == id {
			return q, true
		}
	}
	return store.Request{}, false
}

// denialFix maps the cause of a denial to the profile field that fixes it.
func denialFix(library string, code caiasoft.DenialCode) fix {
	switch code {
	case caiasoft.DenialNoStopTranslation:
		return fix{[]string{"translation", "stops", "libraries"}, fmt.Sprintf("add the pickup library %s with its circulation stop under translation.stops.libraries", library)}
	case caiasoft.DenialInactiveStop:
		return fix{[]string{"translation", "stops"}, "map the pickup to one of the facility's active stops"}
	case caiasoft.DenialNoALEPHUser:
		return fix{[]string{"aleph", "users"}, "add the stop's CAIAUSER under aleph.users"}
	}
	return fix{}
}

// collectionOf is the facility collection an item of a target is stored in.
func collectionOf(p profile.Profile, t *almaTarget) string {
	c := p.Translation.Collections
	if v := c[t.library+"/"+t.location]; v != "" {
		return v
	}
	if v := c[t.library]; v != "" {
		return v
	}
	for _, k := range slices.Sorted(maps.Keys(c)) {
		return c[k]
	}
	return "VALIDATE"
}

// cloneALMAState copies the slices the scenarios append to, so the
// library's configuration is not changed under its caller.
func cloneALMAState(st alma.State) alma.State {
	st.Items = slices.Clone(st.Items)
	st.Requests = slices.Clone(st.Requests)
	return st
}
