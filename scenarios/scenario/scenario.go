// Package scenario is the language of annex's scenario files: YAML that
// names a profile, the state the mock library systems and the facility
// start from, and a list of steps (the README's Writing a scenario). Step kinds are small Go
// types registered by name in a Registry (the venom model) and decoded
// strictly: an unknown key, a wrong type or a missing fixture file is an
// error at FILE:LINE:COLUMN before anything runs.
//
// A scenario file:
//
//	name: ALMA patron request is retrieved, then refiled
//	description: what real-world situation this reproduces
//	labels: [alma, smoke]
//	profile: ../../fixtures/profiles/alma-demo.yaml   # a profile or facility file, or an inline profile; default: the demo facility
//	given:                                           # default: the demo states
//	  alma:     {items: […], requests: […], agencies: […], strict: true, export: {…}}
//	  aleph:    {items: […], requests: […], patrons: […], ports: […], poster: {…}}
//	  facility: {items: […], stops: […]}
//	  retry:    {initial: 5ms, max: 40ms, timeout: 2s}
//	  mail:     {faults: [{kind: reject, code: 451, count: 1}], domains: […], tls: true, username: …, password: …}
//	steps:
//	  - alma.export: {}
//	  - expect.request: {id: REQ-1, status: accepted, timeout: 2s}
package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/smtp"
)

// DefaultTimeout bounds one step unless it says `timeout:`.
const DefaultTimeout = 5 * time.Second

// Scenario is a decoded scenario file, ready to run.
type Scenario struct {
	// File is the path the scenario was read from; fixture paths are relative to its directory.
	File        string
	Name        string
	Description string
	Labels      []string
	// Facility and Profiles are the facility configuration the engine runs with.
	Facility profile.Facility
	Profiles []profile.Profile
	// ALMA and ALEPH configure the mocks; nil when no profile talks to that system.
	ALMA  *alma.Config
	ALEPH *aleph.Config
	// Mail configures the mail catcher; nil when no profile emails its alerts.
	Mail  *smtp.Config
	Steps []Step
}

// Step is one decoded step.
type Step struct {
	// Index is the step's number, from 1.
	Index int
	Kind  string
	// Line and Col locate the step in the file.
	Line, Col int
	Timeout   time.Duration
	Action    Action
}

// Where is FILE:LINE of the step, for failure messages.
func (s *Scenario) Where(st Step) string { return fmt.Sprintf("%s:%d", s.File, st.Line) }

// Dir is the directory fixture paths are relative to.
func (s *Scenario) Dir() string { return filepath.Dir(s.File) }

// Options change how scenarios are decoded.
type Options struct {
	// Update allows golden files to be missing, since the run will write them.
	Update bool
}

type rawScenario struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Labels      []string  `yaml:"labels"`
	Profile     yaml.Node `yaml:"profile"`
	Given       rawGiven  `yaml:"given"`
	Steps       []yaml.Node
}

type rawGiven struct {
	ALMA     yaml.Node      `yaml:"alma"`
	ALEPH    yaml.Node      `yaml:"aleph"`
	Facility *FacilityGiven `yaml:"facility"`
	Retry    *profile.Retry `yaml:"retry"`
	Mail     *MailGiven     `yaml:"mail"`
}

// MailGiven is the mail catcher's setting (issue 15): its faults, the
// domains it takes mail for, STARTTLS and AUTH.
type MailGiven struct {
	Faults   []smtp.Fault `yaml:"faults"`
	Domains  []string     `yaml:"domains"`
	TLS      bool         `yaml:"tls"`
	Username string       `yaml:"username"`
	Password string       `yaml:"password"`
}

// ALMAGiven is mock ALMA's starting point: the fields of alma.State (each
// one given replaces the demo's), plus the mock's partner agencies, strict
// conformance mode and export-job credentials.
type ALMAGiven struct {
	alma.State `yaml:",inline"`
	Agencies   []string     `yaml:"agencies"`
	Strict     bool         `yaml:"strict"`
	Export     *ALMAExport  `yaml:"export"`
	Faults     []FaultGiven `yaml:"faults"`
}

// ALMAExport overrides the export job's SFTP login (by default the first
// ALMA profile's SFTP account) and the file's shape.
type ALMAExport struct {
	Profile string `yaml:"profile"`
	// Shape is "real" (the default: what ALMA sites export) or "legacy"
	// (the assumed shape of earlier annex versions).
	Shape string `yaml:"shape"`
	// InstitutionCode writes institutionCode in every record, as some sites' ALMA does.
	InstitutionCode bool   `yaml:"institution_code"`
	User            string `yaml:"user"`
	Password        string `yaml:"password"`
	SourceAddr      string `yaml:"source_addr"`
	Dir             string `yaml:"dir"`
}

// ALEPHGiven is mock ALEPH's starting point: the fields of aleph.State
// (each one given replaces the demo's), its NCIP ports and its poster.
type ALEPHGiven struct {
	aleph.State `yaml:",inline"`
	Ports       []aleph.PortConfig `yaml:"ports"`
	Poster      *ALEPHPoster       `yaml:"poster"`
}

// ALEPHPoster overrides how mock ALEPH posts its request files.
type ALEPHPoster struct {
	APIKey      string            `yaml:"api_key"`
	Format      string            `yaml:"format"`
	ContentType string            `yaml:"content_type"`
	Text        *aleph.TextLayout `yaml:"text"`
}

// FaultGiven is a fault installed before the first step.
type FaultGiven struct {
	// Kind is what goes wrong.
	Kind string `yaml:"kind"`
	// Service limits the fault to one NCIP service, e.g. CheckOutItem; empty matches every message.
	Service string `yaml:"service"`
	// Count is how many matching messages the fault hits before it retires; 0 means every one.
	Count int `yaml:"count"`
	// Probability applies it to that fraction of matching messages (0 to 1); 0 means all of them.
	Probability float64 `yaml:"probability"`
	// Status is the HTTP status of a status fault.
	Status int `yaml:"status"`
	// Body is the reply body of a status or malformed fault.
	Body string `yaml:"body"`
	// ProblemType is the NCIP ProblemType of a problem fault.
	ProblemType string `yaml:"problem_type"`
	// ProblemDetail is the ProblemDetail of a problem fault.
	ProblemDetail string `yaml:"problem_detail"`
}

// Fault returns the simulators' fault rule, with a latency fault's delay
// and after_processing, which only a fault step gives.
func (f FaultGiven) Fault(latency time.Duration, afterProcessing bool) (faults.Fault, error) {
	fields := map[string]any{"kind": f.Kind}
	for k, v := range map[string]any{"service": f.Service, "count": f.Count, "probability": f.Probability,
		"status": f.Status, "body": f.Body, "problem_type": f.ProblemType, "problem_detail": f.ProblemDetail,
		"latency": faults.Duration(latency), "after_processing": afterProcessing} {
		if !reflect.ValueOf(v).IsZero() {
			fields[k] = v
		}
	}
	return faults.Builtin().FromFields(fields)
}

// FacilityGiven is the facility's starting inventory and stops; each one
// given replaces the facility file's (or the demo's).
type FacilityGiven struct {
	Items []profile.InventoryItem `yaml:"items"`
	Stops []profile.Stop          `yaml:"stops"`
}

// scenarioRetry is the delivery policy scenarios run with unless the profile
// or `given.retry` says otherwise: quick, so fault scenarios stay short.
func scenarioRetry() profile.Retry {
	return profile.Retry{Initial: profile.Duration(5 * time.Millisecond), Max: profile.Duration(40 * time.Millisecond),
		Timeout: profile.Duration(2 * time.Second), Concurrency: 2}
}

var labelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Load reads and decodes a scenario file.
func Load(path string, reg *Registry, opts Options) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return Decode(path, data, reg, opts)
}

// Decode decodes a scenario from YAML. file names it in errors and anchors
// the fixture paths. Every problem found is reported, one per line.
func Decode(file string, data []byte, reg *Registry, opts Options) (*Scenario, error) {
	c := &checker{file: file, dir: filepath.Dir(file), update: opts.Update}
	doc, err := strict.Parse(file, data)
	if err != nil {
		c.adopt(err)
		return nil, errors.Join(c.errs...)
	}
	if doc == nil {
		return nil, &PosError{File: file, Msg: "empty scenario file"}
	}
	c.check(doc, reflect.TypeFor[rawScenario]())
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	var raw rawScenario
	if err := doc.Decode(&raw); err != nil {
		return nil, yamlError(file, err)
	}
	sc := &Scenario{File: file, Name: strings.TrimSpace(raw.Name), Description: strings.TrimSpace(raw.Description), Labels: raw.Labels}
	if sc.Name == "" {
		c.errorf(doc, "name is required")
	}
	for i, l := range raw.Labels {
		if !labelName.MatchString(l) {
			c.errorf(field(doc, "labels").Content[i], "label %q: use letters, digits, '-', '_' and '.'", l)
		}
	}
	c.profiles(sc, &raw, doc)
	c.given(sc, &raw, doc)
	if len(raw.Steps) == 0 {
		c.errorf(doc, "steps: at least one step is required")
	}
	for i := range raw.Steps {
		if st, ok := c.step(reg, &raw.Steps[i]); ok {
			st.Index = i + 1
			sc.Steps = append(sc.Steps, st)
		}
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return sc, nil
}

// field returns the value node of key in a mapping, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// yamlError takes an error of yaml.v3's decoder, after the check let the
// document through, as one at a place in the file.
func yamlError(file string, err error) error {
	c := &checker{file: file}
	var se *strict.Error
	if !errors.As(err, &se) {
		err = &strict.Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c.adopt(err)
	return errors.Join(c.errs...)
}

// profiles resolves `profile:` into the facility and its profiles.
func (c *checker) profiles(sc *Scenario, raw *rawScenario, doc *yaml.Node) {
	fac, demo := profile.DemoFacility()
	n := &raw.Profile
	switch {
	case n.Kind == 0 || n.Tag == "!!null":
		sc.Facility, sc.Profiles = fac, demo
	case n.Kind == yaml.ScalarNode:
		path := n.Value
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.dir, path)
		}
		// A regular file only: a device or a FIFO would block the decoder.
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			if err == nil {
				err = errors.New("not a regular file")
			}
			c.errorf(n, "profile %s: %v", n.Value, unwrapPath(err))
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			c.errorf(n, "profile %s: %v", n.Value, unwrapPath(err))
			return
		}
		var probe map[string]any
		_ = yaml.Unmarshal(data, &probe)
		if _, ok := probe["system"]; ok {
			p, err := profile.LoadProfile(path)
			if err != nil {
				c.errorf(n, "profile %s: %v", n.Value, err)
				return
			}
			sc.Facility, sc.Profiles = fac, []profile.Profile{p}
			sc.Facility.Inventory = adoptInventory(fac.Inventory, demo, p)
			break
		}
		f, ps, err := profile.LoadFacility(path)
		if err != nil {
			c.errorf(n, "facility %s: %v", n.Value, err)
			return
		}
		sc.Facility, sc.Profiles = f, ps
	case n.Kind == yaml.MappingNode:
		data, err := yaml.Marshal(n)
		if err != nil {
			c.errorf(n, "inline profile: %v", err)
			return
		}
		p, probs := profile.ParseProfile(c.file+" (inline profile)", data)
		if probs.HasErrors() {
			c.errorf(n, "inline profile: %v", probs)
			return
		}
		sc.Facility, sc.Profiles = fac, []profile.Profile{p}
		sc.Facility.Inventory = adoptInventory(fac.Inventory, demo, p)
	default:
		c.errorf(n, "profile: want a file path or an inline profile, got %s", strict.Describe(n))
		return
	}
	sc.Facility.Profiles, sc.Facility.Inline = nil, nil
	if len(sc.Profiles) == 0 {
		c.errorf(doc, "profile: no profiles")
	}
	def := scenarioRetry()
	for i := range sc.Profiles {
		r := &sc.Profiles[i].Retry
		r.Initial = cmpDur(r.Initial, def.Initial)
		r.Max = cmpDur(r.Max, def.Max)
		r.Timeout = cmpDur(r.Timeout, def.Timeout)
		if r.Concurrency == 0 {
			r.Concurrency = def.Concurrency
		}
		if g := raw.Given.Retry; g != nil {
			r.Initial, r.Max, r.Timeout = cmpDur(g.Initial, r.Initial), cmpDur(g.Max, r.Max), cmpDur(g.Timeout, r.Timeout)
			if g.Concurrency != 0 {
				r.Concurrency = g.Concurrency
			}
		}
	}
}

func cmpDur(a, b profile.Duration) profile.Duration {
	if a != 0 {
		return a
	}
	return b
}

// adoptInventory gives a lone profile the demo items of the demo profile of
// its system, so a profile file alone runs against the demo inventory.
func adoptInventory(inv []profile.InventoryItem, demo []profile.Profile, p profile.Profile) []profile.InventoryItem {
	var from string
	for _, d := range demo {
		if d.System == p.System {
			from = d.Name
		}
	}
	var out []profile.InventoryItem
	for _, it := range inv {
		if it.Profile == from {
			it.Profile = p.Name
			out = append(out, it)
		}
	}
	return out
}

// given builds the mocks' configurations and the facility's inventory.
func (c *checker) given(sc *Scenario, raw *rawScenario, doc *yaml.Node) {
	var hasALMA, hasALEPH bool
	var almaProfile *profile.Profile
	for i, p := range sc.Profiles {
		switch p.System {
		case profile.SystemALMA:
			if !hasALMA {
				almaProfile = &sc.Profiles[i]
			}
			hasALMA = true
		case profile.SystemALEPH:
			hasALEPH = true
		}
	}
	g := field(doc, "given")
	c.givenFacility(sc, raw, doc, g)
	if n := &raw.Given.ALMA; n.Kind != 0 && n.Tag != "!!null" {
		if !hasALMA {
			c.errorf(n, "given.alma: no ALMA profile is configured")
		}
		c.check(n, reflect.TypeFor[ALMAGiven]())
	}
	if n := &raw.Given.ALEPH; n.Kind != 0 && n.Tag != "!!null" {
		if !hasALEPH {
			c.errorf(n, "given.aleph: no ALEPH profile is configured")
		}
		c.check(n, reflect.TypeFor[ALEPHGiven]())
	}
	if len(c.errs) > 0 {
		return
	}
	if hasALMA && !c.givenALMA(sc, raw, almaProfile) {
		return
	}
	if hasALEPH && !c.givenALEPH(sc, raw) {
		return
	}
	c.mail(sc, raw, g)
}

// givenFacility applies given.facility to the inventory and stops, and
// checks that every item belongs to a configured profile.
func (c *checker) givenFacility(sc *Scenario, raw *rawScenario, doc, g *yaml.Node) {
	if f := raw.Given.Facility; f != nil {
		if f.Items != nil {
			sc.Facility.Inventory = nil
			for _, it := range f.Items {
				if it.Profile == "" && len(sc.Profiles) > 0 {
					it.Profile = sc.Profiles[0].Name
				}
				sc.Facility.Inventory = append(sc.Facility.Inventory, it)
			}
		}
		if f.Stops != nil {
			sc.Facility.Stops = f.Stops
		}
	}
	for _, it := range sc.Facility.Inventory {
		if !slices.ContainsFunc(sc.Profiles, func(p profile.Profile) bool { return p.Name == it.Profile }) {
			c.errorf(cmpNode(field(field(g, "facility"), "items"), doc), "facility item %s belongs to profile %q, which the scenario does not configure", it.Barcode, it.Profile)
		}
	}
}

// givenALMA builds mock ALMA's configuration from the demo one, the first
// ALMA profile and given.alma. It reports false when given.alma does not
// decode, after which nothing further is checked.
func (c *checker) givenALMA(sc *Scenario, raw *rawScenario, almaProfile *profile.Profile) bool {
	cfg := alma.DemoConfig()
	if s := almaProfile.Intake.SFTP; s != nil {
		cfg.Export.User, cfg.Export.Password, cfg.Export.Dir = s.Account, s.Password, s.Directory
	}
	cfg.Facility.AgencyId = almaProfile.ALMA.FromAgency
	ag := ALMAGiven{State: cfg.State, Agencies: cfg.Agencies}
	if n := &raw.Given.ALMA; n.Kind == yaml.MappingNode {
		if err := n.Decode(&ag); err != nil {
			c.errs = append(c.errs, yamlError(c.file, err))
			return false
		}
		if out, err := yaml.Marshal(ag.State); err != nil {
			c.errorf(n, "given.alma: %v", err)
		} else if _, err := alma.ParseState(out); err != nil {
			c.errorf(n, "given.alma: invalid state: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	cfg.State, cfg.Agencies, cfg.Strict = ag.State, ag.Agencies, ag.Strict
	if e := ag.Export; e != nil {
		cfg.Export.Profile = cmpStr(e.Profile, cfg.Export.Profile)
		cfg.Export.User = cmpStr(e.User, cfg.Export.User)
		cfg.Export.Password = cmpStr(e.Password, cfg.Export.Password)
		cfg.Export.SourceAddr = cmpStr(e.SourceAddr, cfg.Export.SourceAddr)
		cfg.Export.Dir = cmpStr(e.Dir, cfg.Export.Dir)
		cfg.Export.Shape, cfg.Export.InstitutionCode = e.Shape, e.InstitutionCode
	}
	for i, f := range ag.Faults {
		rule, err := f.Fault(0, false)
		if err != nil {
			at := &raw.Given.ALMA
			if l := field(at, "faults"); l != nil && l.Kind == yaml.SequenceNode && i < len(l.Content) {
				at = l.Content[i]
			}
			c.errorf(at, "given.alma.faults[%d]: %v", i, err)
			continue
		}
		cfg.Faults = append(cfg.Faults, rule)
	}
	cfg.Export.Timeout = 5 * time.Second
	cfg.Facility.Timeout = 5 * time.Second
	sc.ALMA = &cfg
	return true
}

// givenALEPH builds mock ALEPH's configuration from the demo one, the first
// ALEPH profile with an API key and given.aleph. It reports false when
// given.aleph does not decode, after which nothing further is checked.
func (c *checker) givenALEPH(sc *Scenario, raw *rawScenario) bool {
	cfg := aleph.DemoConfig()
	ag := ALEPHGiven{State: cfg.State, Ports: cfg.Ports}
	if n := &raw.Given.ALEPH; n.Kind == yaml.MappingNode {
		if err := n.Decode(&ag); err != nil {
			c.errs = append(c.errs, yamlError(c.file, err))
			return false
		}
	}
	cfg.State, cfg.Ports = ag.State, ag.Ports
	for _, p := range sc.Profiles {
		if p.System == profile.SystemALEPH && p.Intake.APIKey != "" {
			cfg.Poster.APIKey = p.Intake.APIKey
			if p.Intake.Format == profile.FormatALEPHText {
				cfg.Poster.Format = "text"
			}
			break
		}
	}
	if p := ag.Poster; p != nil {
		cfg.Poster.APIKey = cmpStr(p.APIKey, cfg.Poster.APIKey)
		cfg.Poster.Format = cmpStr(p.Format, cfg.Poster.Format)
		cfg.Poster.ContentType = cmpStr(p.ContentType, cfg.Poster.ContentType)
		if p.Text != nil {
			cfg.Poster.Text = *p.Text
		}
	}
	cfg.ReadTimeout = 5 * time.Second
	sc.ALEPH = &cfg
	return true
}

// mail starts a catcher when a profile emails its alerts, with the
// faults and settings of given.mail, and quick mail retries.
func (c *checker) mail(sc *Scenario, raw *rawScenario, g *yaml.Node) {
	emails := slices.ContainsFunc(sc.Profiles, func(p profile.Profile) bool { return p.Alerts.Email != nil })
	m := raw.Given.Mail
	if m != nil && !emails {
		c.errorf(field(g, "mail"), "given.mail: no profile emails its alerts (alerts.email)")
		return
	}
	if !emails {
		return
	}
	cfg := &smtp.Config{}
	if m != nil {
		for i, f := range m.Faults {
			if err := f.Validate(); err != nil {
				c.errorf(field(g, "mail"), "given.mail.faults[%d]: %v", i, err)
			}
		}
		cfg.Faults, cfg.Domains, cfg.TLS, cfg.Username, cfg.Password = m.Faults, m.Domains, m.TLS, m.Username, m.Password
	}
	sc.Mail = cfg
	sc.Facility.SMTP = &profile.SMTP{RetryInitial: profile.Duration(5 * time.Millisecond), RetryMax: profile.Duration(40 * time.Millisecond),
		Timeout: profile.Duration(2 * time.Second)}
}

func cmpNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// step decodes one step: a mapping with one key, the kind, whose value holds
// the kind's fields and the common `timeout:`.
func (c *checker) step(reg *Registry, n *yaml.Node) (Step, bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		c.errorf(n, "a step is a mapping with one key, the step kind (e.g. `- alma.export: {}`), got %s", strict.Describe(n))
		return Step{}, false
	}
	k, v := n.Content[0], n.Content[1]
	st := Step{Kind: k.Value, Line: k.Line, Col: k.Column, Timeout: DefaultTimeout}
	kind, ok := reg.Lookup(k.Value)
	if !ok {
		msg := fmt.Sprintf("unknown step kind %q", k.Value)
		if s := reg.closest(k.Value); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		c.errorf(k, "%s", msg)
		return st, false
	}
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "") {
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	}
	if v.Kind != yaml.MappingNode {
		c.errorf(v, "%s: want a mapping of its fields, got %s", k.Value, strict.Describe(v))
		return st, false
	}
	// Take the common keys out before the kind's own strict decoding.
	fields := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, val := v.Content[i], v.Content[i+1]
		if key.Value == "timeout" {
			d, err := time.ParseDuration(val.Value)
			if val.Kind != yaml.ScalarNode || err != nil || d <= 0 {
				c.errorf(val, "timeout: %q is not a positive duration (want e.g. 2s)", val.Value)
				continue
			}
			st.Timeout = d
			continue
		}
		fields.Content = append(fields.Content, key, val)
	}
	act := kind.New()
	before := len(c.errs)
	c.check(fields, reflect.TypeOf(act))
	if len(c.errs) > before {
		return st, false
	}
	if err := fields.Decode(act); err != nil {
		c.errs = append(c.errs, yamlError(c.file, err))
		return st, false
	}
	if vd, ok := act.(Validator); ok {
		if err := vd.Validate(); err != nil {
			c.errorf(k, "%s: %v", k.Value, err)
			return st, false
		}
	}
	st.Action = act
	return st, true
}

// ReadFixture reads a fixture file named relative to the scenario.
func (s *Scenario) ReadFixture(rel string) ([]byte, error) {
	data, err := os.ReadFile(s.Path(rel))
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	return data, nil
}

// Path resolves a path relative to the scenario file.
func (s *Scenario) Path(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(s.Dir(), rel)
}
