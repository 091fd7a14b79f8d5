package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/annexlab/annex/internal/strict"
)

// checker returns a checker that reports into probs at this file's locations.
func (d *decoded) checker(prefix string, probs *Problems) checker {
	return checker{file: d.file, loc: d.loc, prefix: prefix, probs: probs, failed: d.loc.Failed}
}

// parsedProfile is a profile with the checker that locates its fields, for
// the cross-reference checks made once every file is read.
type parsedProfile struct {
	p *Profile
	c checker
	// ok is false when the file could not be read as YAML at all.
	ok bool
}

func parseProfile(name string, data []byte) (Profile, parsedProfile, Problems) {
	var p Profile
	d := parse(name, data, &p)
	ok := !d.probs.HasErrors() || d.loc.Len() > 0
	probs := d.probs
	c := d.checker("", &probs)
	if d.loc.Len() > 0 {
		c.checkProfile(&p)
	}
	p.File, p.places = name, c.places()
	return p, parsedProfile{c: c, ok: ok}, probs
}

// ParseProfile reads one profile from YAML bytes; name is the file name used
// in the problems. It reports every problem at once, sorted by position.
func ParseProfile(name string, data []byte) (Profile, Problems) {
	p, _, probs := parseProfile(name, data)
	probs.Sort()
	return p, probs
}

// LoadProfile reads one profile YAML file. The error is Problems (use
// errors.As) when the file has errors, with its warnings included, or an
// I/O error; warnings alone give a nil error (ParseProfile returns them).
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("load profile: %w", err)
	}
	p, probs := ParseProfile(path, data)
	return p, probs.asError()
}

// ParseFacility reads a facility from YAML bytes, reads each profile file it
// names through readProfile (which gets the name as written and returns the
// name to use in problems, the bytes, or an error), checks everything and
// the cross-references between them, and returns the facility, the
// profiles (files first, then inline ones) and every problem.
func ParseFacility(name string, data []byte, readProfile func(rel string) (string, []byte, error)) (Facility, []Profile, Problems) {
	var f Facility
	d := parse(name, data, &f)
	f.File = name
	probs := d.probs
	fc := d.checker("", &probs)
	if d.loc.Len() == 0 {
		probs.Sort()
		return f, nil, probs
	}
	fc.checkFacility(&f)

	var parsed []parsedProfile
	var profiles []Profile
	seenFile := map[string]int{}
	for i, rel := range f.Profiles {
		field := strict.JoinIndex("profiles", i)
		if strings.TrimSpace(rel) == "" {
			fc.errorf(field, "is empty: give the profile file's path, relative to this file")
			continue
		}
		if first, dup := seenFile[rel]; dup {
			fc.errorf(field, "%s is already listed as profiles[%d]; list each profile once", rel, first)
			continue
		}
		seenFile[rel] = i
		if readProfile == nil {
			fc.errorf(field, "profile files cannot be read here; write the profile under inline_profiles")
			continue
		}
		pname, pdata, err := readProfile(rel)
		if err != nil {
			fc.errorf(field, "cannot read the profile file: %v", err)
			continue
		}
		p, pp, pprobs := parseProfile(pname, pdata)
		probs = append(probs, pprobs...)
		profiles = append(profiles, p)
		parsed = append(parsed, pp)
	}
	for i := range f.Inline {
		c := d.checker(strict.JoinIndex("inline_profiles", i), &probs)
		f.Inline[i].File, f.Inline[i].places = name, c.places()
		c.checkProfile(&f.Inline[i])
		profiles = append(profiles, f.Inline[i])
		parsed = append(parsed, parsedProfile{c: c, ok: true})
	}
	for i := range parsed {
		parsed[i].p = &profiles[i]
	}
	crossCheck(&f, &fc, parsed, &probs)
	probs.Sort()
	return f, profiles, probs
}

// LoadFacility reads a facility file and the profile files it names
// (relative to the facility file), and checks each and the references
// between them. The error is Problems when anything has errors, or an I/O
// error for the facility file itself; an unreadable profile file is a
// problem of the facility file, at the line naming it.
func LoadFacility(path string) (Facility, []Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Facility{}, nil, fmt.Errorf("load facility: %w", err)
	}
	f, ps, probs := ParseFacility(path, data, relativeReader(path))
	return f, ps, probs.asError()
}

// relativeReader reads profile files relative to the facility file's directory.
func relativeReader(facility string) func(string) (string, []byte, error) {
	return func(rel string) (string, []byte, error) {
		p := rel
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(facility), rel)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = fmt.Errorf("%s: %w", p, pe.Err)
			}
			return p, nil, err
		}
		return p, data, nil
	}
}

// Validate checks profile files given on their own (annex validate
// PROFILE…): each file, and the references between them (unique names,
// SFTP accounts and API keys). Without a facility the stop codes cannot be
// checked; each profile gets one warning saying so. err reports files that
// could not be read; the others are still checked.
func Validate(paths ...string) (profiles []Profile, problems Problems, err error) {
	parsed, profiles, problems, err := readProfiles(paths)
	crossCheck(nil, nil, parsed, &problems)
	problems.Sort()
	return profiles, problems, err
}

// ValidateWithFacility checks a facility file with its profiles, plus
// profile files given on their own against that facility (annex validate
// --facility FILE PROFILE…): their stops must be the facility's, and names,
// accounts and keys unique among all. Profile files the facility already
// names are checked once. err reports files that could not be read.
func ValidateWithFacility(facilityPath string, paths ...string) (Facility, []Profile, Problems, error) {
	data, err := os.ReadFile(facilityPath)
	if err != nil {
		return Facility{}, nil, nil, fmt.Errorf("validate: %w", err)
	}
	f, facilityProfiles, probs := ParseFacility(facilityPath, data, relativeReader(facilityPath))
	named := map[string]bool{}
	for _, p := range facilityProfiles {
		if abs, err := filepath.Abs(p.File); err == nil {
			named[abs] = true
		}
	}
	var extra []string
	given := map[string]bool{} // the facility's profiles named on the command line too
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil && named[abs] {
			given[abs] = true
			continue
		}
		extra = append(extra, p)
	}
	parsed, extraProfiles, extraProbs, err := readProfiles(extra)
	probs = append(probs, extraProbs...)
	facilityProfiles, probs = standIn(facilityProfiles, given, extraProfiles, probs)
	// The facility's profiles take part in the cross-check only to be
	// compared with: their own problems were reported by ParseFacility.
	all := make([]parsedProfile, 0, len(facilityProfiles)+len(parsed))
	var scratch Problems
	for i := range facilityProfiles {
		all = append(all, parsedProfile{p: &facilityProfiles[i], c: checker{failed: map[string]bool{}, loc: strict.NewPlaces(), probs: &scratch}, ok: true})
	}
	all = append(all, parsed...)
	crossCheckProfiles(&f, all, len(facilityProfiles), &probs)
	probs.Sort()
	return f, append(facilityProfiles, extraProfiles...), probs, err
}

// standIn drops the facility's profiles that a profile given on the command
// line names again, and their problems: the one given is an edited copy
// being checked in their place (README, "validate a library's profile"),
// not a second connection of the same name. A facility profile that was
// itself given (absolute path in named) stays, and the names clash.
func standIn(facilityProfiles []Profile, named map[string]bool, given []Profile, probs Problems) ([]Profile, Problems) {
	replaced := map[string]bool{}
	kept := facilityProfiles[:0:0]
	for _, fp := range facilityProfiles {
		abs, _ := filepath.Abs(fp.File)
		if fp.Name != "" && !named[abs] && slices.ContainsFunc(given, func(p Profile) bool { return p.Name == fp.Name }) {
			replaced[fp.File] = true
			continue
		}
		kept = append(kept, fp)
	}
	if len(replaced) == 0 {
		return facilityProfiles, probs
	}
	return kept, slices.DeleteFunc(probs, func(p Problem) bool { return replaced[p.File] })
}

func readProfiles(paths []string) ([]parsedProfile, []Profile, Problems, error) {
	var parsed []parsedProfile
	var profiles []Profile
	var probs Problems
	var errs []error
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("validate: %w", err))
			continue
		}
		p, pp, pprobs := parseProfile(path, data)
		probs = append(probs, pprobs...)
		profiles = append(profiles, p)
		parsed = append(parsed, pp)
	}
	for i := range parsed {
		parsed[i].p = &profiles[i]
	}
	return parsed, profiles, probs, errors.Join(errs...)
}

// checkFacility checks the facility's own settings.
func (c checker) checkFacility(f *Facility) {
	if f.Listen != "" {
		c.checkHostPort("listen", f.Listen, "the REST API address as host:port, e.g. 127.0.0.1:7700", false)
	}
	if c.required("api_key", f.APIKey, "the key facility staff send in X-API-Key to the engine's /api") && len(f.APIKey) < 16 {
		c.warnf("api_key", "is shorter than 16 characters; anyone who guesses it can drive the facility's API")
	}
	if len(f.Stops) == 0 {
		c.errorf("stops", "is required: the facility's circulation stops, each with a code; translation tables map requests to them")
	}
	seen := map[string]int{}
	for i, s := range f.Stops {
		field := strict.JoinIndex("stops", i) + ".code"
		if !c.required(field, s.Code, "the stop's code, e.g. MAIN-CIRC") {
			continue
		}
		if first, dup := seen[s.Code]; dup {
			c.errorf(field, "stop %s is already defined as stops[%d]; stop codes must be unique", s.Code, first)
			continue
		}
		seen[s.Code] = i
	}
	if len(f.Profiles) == 0 && len(f.Inline) == 0 {
		c.errorf("profiles", "is required: at least one library profile file (or inline_profiles)")
	}
	c.checkSMTP(f.SMTP)
}

// crossCheck checks what no single file can: stop codes (against the
// facility, or only noted when there is none), uniqueness across profiles,
// and the inventory.
func crossCheck(f *Facility, fc *checker, parsed []parsedProfile, probs *Problems) {
	crossCheckProfiles(f, parsed, 0, probs)
	if f == nil || fc == nil {
		return
	}
	produced := map[string]map[string]bool{}
	for _, pp := range parsed {
		cols := map[string]bool{}
		for _, v := range pp.p.Translation.Collections {
			cols[v] = true
		}
		if pp.p.Name != "" && produced[pp.p.Name] == nil {
			produced[pp.p.Name] = cols
		}
	}
	seen := map[string]int{}
	for i, it := range f.Inventory {
		field := strict.JoinIndex("inventory", i)
		if fc.required(field+".barcode", it.Barcode, "the item's barcode") {
			if first, dup := seen[it.Barcode]; dup {
				fc.errorf(field+".barcode", "%s is already in the inventory as inventory[%d]; barcodes are unique", it.Barcode, first)
			}
			seen[it.Barcode] = i
		}
		cols, known := produced[it.Profile]
		if fc.required(field+".profile", it.Profile, "the name of the profile (library connection) that owns the item") && !known {
			fc.errorf(field+".profile", "no profile is named %q (profiles: %s)", it.Profile, strings.Join(slices.Sorted(mapKeys(produced)), ", "))
		}
		if !fc.required(field+".collection", it.Collection, "the facility collection the item is stored in") || !known || cols[it.Collection] {
			continue
		}
		var others []string
		for name, cs := range produced {
			if cs[it.Collection] {
				others = append(others, name)
			}
		}
		if len(others) > 0 {
			slices.Sort(others)
			fc.warnf(field+".collection", "collection %s comes from the translation of %s, not of %s, which owns the item", it.Collection, strings.Join(others, ", "), it.Profile)
		} else {
			fc.errorf(field+".collection", "no profile's translation.collections produces collection %s, so no request can reach this item", it.Collection)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// crossCheckProfiles checks stop codes and uniqueness; the first skip
// profiles were checked before (they are compared with, not reported).
func crossCheckProfiles(f *Facility, parsed []parsedProfile, skip int, probs *Problems) {
	stops := map[string]*Stop{}
	if f != nil {
		for i := range f.Stops {
			if _, dup := stops[f.Stops[i].Code]; !dup {
				stops[f.Stops[i].Code] = &f.Stops[i]
			}
		}
	}
	names := map[string]string{}
	accounts := map[string]string{}
	keys := map[string]string{}
	for i, pp := range parsed {
		c := pp.c
		c.probs = probs
		if i < skip {
			c.probs = &Problems{}
		}
		p := pp.p
		where := p.File
		if c.prefix != "" {
			where += " " + c.prefix
		}
		if p.Name != "" {
			if first, dup := names[p.Name]; dup {
				c.errorf("name", "profile name %q is already used by %s; names must be unique", p.Name, first)
			} else {
				names[p.Name] = where
			}
		}
		if s := p.Intake.SFTP; s != nil && s.Account != "" && p.System != SystemALEPH {
			if first, dup := accounts[s.Account]; dup {
				c.errorf("intake.sftp.account", "SFTP account %q is already used by %s; each library connection needs its own account", s.Account, first)
			} else {
				accounts[s.Account] = where
			}
		}
		if k := p.Intake.APIKey; k != "" && p.System == SystemALEPH {
			switch first, dup := keys[k]; {
			case dup:
				c.errorf("intake.api_key", "the same key is already used by %s; the facility tells libraries apart by their key", first)
			case f != nil && k == f.APIKey:
				c.errorf("intake.api_key", "is the facility's own api_key; a library's key must not open the facility's API")
			default:
				keys[k] = where
			}
		}
		if f != nil && f.SMTP == nil && p.Alerts.Email != nil {
			c.errorf("alerts.email", "the profile emails its alerts but the facility has no smtp: section; add smtp: {host, port, security} to the facility file")
		}
		if !pp.ok {
			continue
		}
		refs := stopRefs(p)
		if f == nil {
			if len(refs) > 0 {
				codes := make([]string, len(refs))
				for j, r := range refs {
					codes[j] = r.stop
				}
				slices.Sort(codes)
				codes = slices.Compact(codes)
				c.warnf("translation.stops", "stop codes %s are not checked: they are defined in the facility file; run with --facility FILE to check them", strings.Join(codes, ", "))
			}
			continue
		}
		for _, r := range refs {
			s, ok := stops[r.stop]
			switch {
			case !ok:
				c.addAt(r.key, SeverityError, r.field, "stop %q is not one of the facility's stops (%s)", r.stop, strings.Join(stopCodes(f), ", "))
			case !s.Active:
				c.addAt(r.key, SeverityWarning, r.field, "stop %s is not active in the facility; requests for it are denied", r.stop)
			}
		}
	}
}

type stopRef struct {
	field, stop string
	// key is true when the stop code is the map key, not the value.
	key bool
}

// stopRefs lists every stop code a profile uses, with the field using it.
func stopRefs(p *Profile) []stopRef {
	var refs []stopRef
	for _, t := range p.Translation.Stops.Tables() {
		for _, k := range sortedKeys(t.Table) {
			if v := t.Table[k]; strings.TrimSpace(v) != "" {
				refs = append(refs, stopRef{strict.JoinKey("translation.stops."+t.Name, k), v, false})
			}
		}
	}
	if p.ALEPH != nil {
		for _, k := range sortedKeys(p.ALEPH.Users) {
			if strings.TrimSpace(k) != "" {
				refs = append(refs, stopRef{strict.JoinKey("aleph.users", k), k, true})
			}
		}
	}
	return refs
}

func stopCodes(f *Facility) []string {
	var codes []string
	for _, s := range f.Stops {
		codes = append(codes, s.Code)
	}
	if len(codes) == 0 {
		return []string{"none defined"}
	}
	return codes
}

// Defaults returns the profile with every unset value filled in: retry
// 500ms doubling to 1m, 10s per attempt, 4 in flight; cancel request type
// Hold; 256 MiB per request file; text files in UTF-8. The receiver's
// sections are copied, not changed.
func (p Profile) Defaults() Profile {
	if p.ALMA != nil {
		a := *p.ALMA
		if a.CancelRequestType == "" {
			a.CancelRequestType = "Hold"
		}
		p.ALMA = &a
	}
	if p.Intake.MaxFileSize == 0 {
		p.Intake.MaxFileSize = maxFileSizeDefault
	}
	if p.Intake.TextLayout != nil {
		l := *p.Intake.TextLayout
		if l.Encoding == "" {
			l.Encoding = "UTF-8"
		}
		p.Intake.TextLayout = &l
	}
	r := &p.Retry
	if r.Initial == 0 {
		r.Initial = Duration(500 * time.Millisecond)
	}
	if r.Max == 0 {
		r.Max = Duration(time.Minute)
	}
	if r.Timeout == 0 {
		r.Timeout = Duration(10 * time.Second)
	}
	if r.Concurrency == 0 {
		r.Concurrency = 4
	}
	return p
}

// DefaultListen is the engine's REST API address when Facility.Listen is empty (the README's CLI reference).
const DefaultListen = "127.0.0.1:7700"

// Defaults returns the facility with Listen filled in and its inline
// profiles' defaults applied.
func (f Facility) Defaults() Facility {
	if f.Listen == "" {
		f.Listen = DefaultListen
	}
	if f.Inline != nil {
		inline := make([]Profile, len(f.Inline))
		for i, p := range f.Inline {
			inline[i] = p.Defaults()
		}
		f.Inline = inline
	}
	return f
}
