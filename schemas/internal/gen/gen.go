// Package gen generates the JSON Schemas of annex's YAML files (profile,
// facility and scenario files) from the Go types the loaders decode them
// into. It reflects over the types, naming properties by their `yaml` tags,
// and reads the packages' sources for doc comments (descriptions) and for
// the enums and required keys that step kinds check in their Validate
// methods. The loaders reject unknown keys, so every object is closed
// (additionalProperties: false).
//
// Run `go test ./schemas -run TestSchemasUpToDate -update` to rewrite the
// checked-in schemas.
package gen

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"go/ast"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/faults"
)

// Draft is the JSON Schema dialect of the generated schemas.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Files are the generated schema files, in the order Generate makes them.
var Files = []string{"profile.schema.json", "facility.schema.json", "scenario.schema.json"}

// scenarioFile mirrors the scenario package's (unexported) rawScenario:
// the keys of a scenario file. checkMirror compares the two.
type scenarioFile struct {
	// Name is the scenario's one-line title (required).
	Name string `yaml:"name"`
	// Description is what real-world situation the scenario reproduces.
	Description string `yaml:"description"`
	// Labels select scenarios (`annex run --label 'alma && !faults'`).
	Labels []string `yaml:"labels"`
	// Profile is a profile or facility file (relative to the scenario file), or an inline profile; default: the demo facility.
	Profile profileRef `yaml:"profile"`
	// Given is the state the mock library systems and the facility start from; default: the demo states.
	Given givenFile `yaml:"given"`
	// Steps are the scenario's steps, run in order: each a mapping with one key, the step kind.
	Steps []stepRef `yaml:"steps"`
}

// givenFile mirrors the scenario package's rawGiven: `given.alma` and
// `given.aleph` are yaml.Nodes there, checked against ALMAGiven and ALEPHGiven.
type givenFile struct {
	ALMA     *scenario.ALMAGiven     `yaml:"alma"`
	ALEPH    *scenario.ALEPHGiven    `yaml:"aleph"`
	Facility *scenario.FacilityGiven `yaml:"facility"`
	// Retry overrides the delivery policy of every profile (scenarios default to 5ms/40ms/2s).
	Retry *profile.Retry `yaml:"retry"`
	// Mail sets the mail catcher's faults, domains, STARTTLS and AUTH (issue 15).
	Mail *scenario.MailGiven `yaml:"mail"`
}

// mirrorDocs describe the mirror types for users (their doc comments are
// for maintainers).
var mirrorDocs = map[reflect.Type]string{
	reflect.TypeFor[scenarioFile](): "A scenario file: a profile, the state the mocks and the facility start from, and the steps to run.",
	reflect.TypeFor[givenFile]():    "The state the mock library systems and the facility start from; each key given replaces the demo's.",
}

// profileRef is `profile:` (a path or an inline profile) and stepRef one
// step; both are written by hand below.
type (
	profileRef struct{}
	stepRef    struct{}
)

var (
	nodeType          = reflect.TypeFor[yaml.Node]()
	durationType      = reflect.TypeFor[time.Duration]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	profileRefType    = reflect.TypeFor[profileRef]()
	stepRefType       = reflect.TypeFor[stepRef]()
	durationPattern   = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
	positiveDurPatten = `^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`
)

type generator struct {
	src   *sources
	reg   *scenario.Registry
	defs  *Object
	names map[reflect.Type]string
	used  map[string]reflect.Type
	rules map[reflect.Type]*rules
	// extra adds keywords (if/then, anyOf…) to a struct's schema.
	extra map[reflect.Type]func(o *Object)
	// steps are the step kinds' structs: they take the common `timeout:` key.
	steps map[reflect.Type]bool
}

// Generate returns the schemas by file name, as they are checked in.
func Generate() (map[string][]byte, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	src := newSources(root)
	reg := steps.Registry()
	out := map[string][]byte{}
	for _, f := range Files {
		g := &generator{src: src, reg: reg, defs: Obj(), names: map[reflect.Type]string{}, used: map[string]reflect.Type{},
			steps: map[reflect.Type]bool{}}
		if err := g.tables(); err != nil {
			return nil, err
		}
		var doc *Object
		switch f {
		case "profile.schema.json":
			doc = g.document("annex profile", "One library connection of the facility (one ALMA integration or one ALEPH link): "+
				"what the facility sends, to whom, in which style, and how it reads the library's request files.", reflect.TypeFor[profile.Profile]())
		case "facility.schema.json":
			doc = g.document("annex facility", "The engine's own configuration (`annex up --config FILE`): where it listens, "+
				"its circulation stops and inventory, and which profiles it serves.", reflect.TypeFor[profile.Facility]())
		case "scenario.schema.json":
			if err := g.checkMirror(); err != nil {
				return nil, err
			}
			doc = g.document("annex scenario", "A scenario file: a profile, the state the mock library systems and the facility "+
				"start from, and the steps to run (scenarios/scenario).", reflect.TypeFor[scenarioFile]())
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[f] = b.Bytes()
	}
	return out, nil
}

// moduleRoot finds the module's directory: from this source file when the
// build kept its path, else from the working directory.
func moduleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if r, err := findModuleRoot(filepath.Dir(file)); err == nil {
			return r, nil
		}
	}
	return findModuleRoot(".")
}

// document is a schema file: its root is t's definition.
func (g *generator) document(title, desc string, t reflect.Type) *Object {
	root := g.schemaOf(t)
	g.defs.Set("duration", Obj("type", "string", "pattern", durationPattern,
		"description", "A Go duration: a number and a unit (ns, us, ms, s, m, h), e.g. 500ms, 5s or 1m30s."))
	g.defs.SortKeys()
	doc := Obj("$schema", Draft, "title", title, "description", desc)
	ref, _ := root.Get("$ref")
	doc.Set("$ref", ref)
	doc.Set("$defs", g.defs)
	return doc
}

func ref(name string) *Object { return Obj("$ref", "#/$defs/"+name) }

// defName names a struct's definition: its package's name and its own.
func (g *generator) defName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[scenarioFile]():
		return "scenario.File"
	case reflect.TypeFor[givenFile]():
		return "scenario.Given"
	}
	pkg := t.PkgPath()
	return pkg[strings.LastIndex(pkg, "/")+1:] + "." + t.Name()
}

// schemaOf is the schema of a value of type t.
func (g *generator) schemaOf(t reflect.Type) *Object {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	switch {
	case t == durationType || (t.Name() == "Duration" && pt.Implements(textUnmarshaler)):
		return ref("duration")
	case t == nodeType || t.Kind() == reflect.Interface:
		return Obj() // any value: decoded by its owner, or free-form (a JSON body)
	case t == profileRefType:
		return Obj("anyOf", []any{
			Obj("type", "string", "description", "A profile or facility file, relative to the scenario file."),
			g.schemaOf(reflect.TypeFor[profile.Profile]()),
		})
	case t == stepRefType:
		return g.stepSchema()
	case pt.Implements(textUnmarshaler):
		return Obj("type", "string")
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.def(t)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return Obj("type", "string")
		}
		return Obj("type", "array", "items", g.schemaOf(t.Elem()))
	case reflect.Map:
		return Obj("type", "object", "additionalProperties", g.schemaOf(t.Elem()))
	case reflect.String:
		return Obj("type", "string")
	case reflect.Bool:
		return Obj("type", "boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Obj("type", "integer")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Obj("type", "integer", "minimum", 0)
	case reflect.Float32, reflect.Float64:
		return Obj("type", "number")
	}
	panic(fmt.Sprintf("schemas: no schema for %s", t))
}

// def adds a struct's definition (once) and returns a reference to it.
func (g *generator) def(t reflect.Type) *Object {
	if n, ok := g.names[t]; ok {
		return ref(n)
	}
	name := g.defName(t)
	if other, dup := g.used[name]; dup {
		panic(fmt.Sprintf("schemas: %s and %s are both named %s", t, other, name))
	}
	g.names[t], g.used[name] = name, t
	o := Obj("type", "object")
	g.defs.Set(name, o)
	if d, ok := mirrorDocs[t]; ok {
		o.Set("description", d)
	} else if d := g.src.typeDoc(t.PkgPath(), t.Name()); d != "" {
		o.Set("description", d)
	}
	props := Obj()
	var required []string
	g.fields(t, props, &required)
	if g.steps[t] {
		props.Set("timeout", Obj("type", "string", "pattern", positiveDurPatten,
			"description", "Bounds the step (a positive duration such as 2s).", "default", scenario.DefaultTimeout.String()))
	}
	o.Set("properties", props)
	if len(required) > 0 {
		o.Set("required", required)
	}
	o.Set("additionalProperties", false)
	if f := g.extra[t]; f != nil {
		f(o)
	}
	return ref(name)
}

// fields adds t's fields to props, inline structs flattened, as the
// decoders see them; required collects the required keys.
func (g *generator) fields(t reflect.Type, props *Object, required *[]string) {
	r := g.rules[t]
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props, required)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		s := g.schemaOf(f.Type)
		if d := g.src.fieldDoc(t.PkgPath(), t.Name(), f.Name); d != "" {
			s.Set("description", d)
		}
		if d, ok := f.Tag.Lookup("default"); ok {
			s.Set("default", defaultValue(f.Type, d))
		}
		if r != nil {
			if vals, ok := r.enum[name]; ok {
				s.Set("enum", vals)
			}
			if p, ok := r.pattern[name]; ok {
				s.Set("pattern", p)
			}
		}
		props.Set(name, s)
	}
	if r != nil {
		for _, k := range r.required {
			if !slices.Contains(*required, k) {
				*required = append(*required, k)
			}
		}
	}
}

// defaultValue is a field's `default:"…"` tag as a JSON value of the
// field's type, so editors offer it as is.
func defaultValue(t reflect.Type, tag string) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, err := strconv.Atoi(tag); err == nil {
			return n
		}
	case reflect.Bool:
		return tag == "true"
	}
	return tag
}

// stepSchema is one step: a mapping with one key, the step kind, whose
// value holds the kind's fields (and the common timeout).
func (g *generator) stepSchema() *Object {
	var branches []any
	for _, k := range g.reg.Kinds() {
		t := reflect.TypeOf(k.New())
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		g.steps[t] = true
		val := g.schemaOf(t)
		if len(g.rulesFor(t).required) == 0 {
			// `- engine.restart:` (no value) is the empty mapping.
			val = Obj("anyOf", []any{val, Obj("type", "null")})
		}
		val.Set("description", k.Doc)
		branches = append(branches, Obj(
			"title", k.Name,
			"description", k.Doc,
			"type", "object",
			"properties", Obj(k.Name, val),
			"required", []string{k.Name},
			"additionalProperties", false,
		))
	}
	return Obj("oneOf", branches)
}

// rulesFor merges a struct's rules with those of the structs it inlines.
func (g *generator) rulesFor(t reflect.Type) *rules {
	out := &rules{}
	if r := g.rules[t]; r != nil {
		out.require(r.required...)
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if _, opts, _ := strings.Cut(f.Tag.Get("yaml"), ","); slices.Contains(strings.Split(opts, ","), "inline") {
			out.require(g.rulesFor(f.Type).required...)
		}
	}
	return out
}

// tables are the constraints the loaders check that reflection cannot see:
// required keys, enums from the code's constants, and the step kinds'
// Validate methods (read from source).
func (g *generator) tables() error {
	r := func(t reflect.Type) *rules {
		if g.rules[t] == nil {
			g.rules[t] = &rules{}
		}
		return g.rules[t]
	}
	g.rules = map[reflect.Type]*rules{}
	g.extra = map[reflect.Type]func(*Object){}

	// Profiles and facilities (integration/profile/check.go, load.go).
	p := r(reflect.TypeFor[profile.Profile]())
	p.require("name", "system", "translation", "intake")
	p.setEnum("system", []string{profile.SystemALMA, profile.SystemALEPH})
	g.extra[reflect.TypeFor[profile.Profile]()] = func(o *Object) {
		o.Set("allOf", []any{
			Obj("if", Obj("properties", Obj("system", Obj("const", profile.SystemALMA)), "required", []string{"system"}),
				"then", Obj("required", []string{"alma"}, "not", Obj("required", []string{"aleph"}),
					"properties", Obj("intake", Obj("required", []string{"sftp"}, "properties", Obj("format", Obj("const", profile.FormatRSExport)))))),
			Obj("if", Obj("properties", Obj("system", Obj("const", profile.SystemALEPH)), "required", []string{"system"}),
				"then", Obj("required", []string{"aleph"}, "not", Obj("required", []string{"alma"}),
					"properties", Obj("intake", Obj("required", []string{"api_key"}, "properties",
						Obj("format", Obj("enum", []string{profile.FormatALEPHPrint, profile.FormatALEPHText})))))),
		})
	}
	r(reflect.TypeFor[profile.ALMA]()).require("ncip_url", "from_agency", "to_agency", "profile_code", "checkout_user")
	g.extra[reflect.TypeFor[profile.ALMA]()] = func(o *Object) {
		o.Set("anyOf", []any{Obj("required", []string{"desk"}), Obj("required", []string{"desks"})})
	}
	r(reflect.TypeFor[profile.ALEPH]()).require("from_agency", "to_agency", "application_profile_type", "users")
	g.extra[reflect.TypeFor[profile.ALEPH]()] = func(o *Object) {
		o.Set("oneOf", []any{Obj("required", []string{"ncip_url"}), Obj("required", []string{"ncip_addr"})})
	}
	r(reflect.TypeFor[profile.Translation]()).require("collections", "stops")
	in := r(reflect.TypeFor[profile.Intake]())
	in.require("format")
	in.setEnum("format", []string{profile.FormatRSExport, profile.FormatALEPHPrint, profile.FormatALEPHText})
	g.extra[reflect.TypeFor[profile.Intake]()] = func(o *Object) {
		o.Set("if", Obj("properties", Obj("format", Obj("const", profile.FormatALEPHText)), "required", []string{"format"}))
		o.Set("then", Obj("required", []string{"text_layout"}))
	}
	r(reflect.TypeFor[profile.SFTPIntake]()).require("account", "directory", "allowed_networks")
	r(reflect.TypeFor[profile.TextLayout]()).require("columns")
	r(reflect.TypeFor[profile.TextColumn]()).require("field")
	g.extra[reflect.TypeFor[profile.TextColumn]()] = func(o *Object) {
		// Field names are read without regard to case or surrounding
		// spaces (profile.CanonicalTextField): the enum offers the names,
		// the pattern accepts what the loader accepts.
		names := append(profile.TextFields(), "pickup_location", "sub_library", "-", "ignore", "filler")
		props, _ := o.Get("properties")
		field, _ := props.(*Object).Get("field")
		field.(*Object).Set("anyOf", []any{Obj("enum", names), Obj("pattern", caseInsensitive(names))})
	}
	g.extra[reflect.TypeFor[profile.Retry]()] = func(o *Object) {
		props, _ := o.Get("properties")
		c, _ := props.(*Object).Get("concurrency")
		c.(*Object).Set("minimum", 0).Set("maximum", 64)
	}
	r(reflect.TypeFor[profile.Facility]()).require("api_key", "stops")
	g.extra[reflect.TypeFor[profile.Facility]()] = func(o *Object) {
		o.Set("anyOf", []any{Obj("required", []string{"profiles"}), Obj("required", []string{"inline_profiles"})})
	}
	r(reflect.TypeFor[profile.Stop]()).require("code")
	r(reflect.TypeFor[profile.InventoryItem]()).require("barcode", "collection")

	// Scenario files (scenarios/scenario).
	sf := r(reflect.TypeFor[scenarioFile]())
	sf.require("name", "steps")
	g.extra[reflect.TypeFor[scenarioFile]()] = func(o *Object) {
		props, _ := o.Get("properties")
		labels, _ := props.(*Object).Get("labels")
		pat, err := g.labelPattern()
		if err != nil {
			panic(err) // checked by checkMirror first
		}
		labels.(*Object).Set("items", Obj("type", "string", "pattern", pat))
		st, _ := props.(*Object).Get("steps")
		st.(*Object).Set("minItems", 1)
	}
	fg := r(reflect.TypeFor[scenario.FaultGiven]())
	fg.require("kind")
	fg.setEnum("kind", faults.Kinds())
	r(reflect.TypeFor[alma.Item]()).setEnum("status", append([]string{""}, alma.ItemStatuses()...))
	r(reflect.TypeFor[scenario.ALMAExport]()).setEnum("shape", []string{"", alma.ShapeReal, alma.ShapeLegacy})
	g.extra[reflect.TypeFor[alma.Desk]()] = func(o *Object) {
		// A desk is its code alone, or {code, name} (alma.Desk.UnmarshalYAML).
		o.Set("type", []string{"string", "object"})
	}
	r(reflect.TypeFor[alma.Request]()).setEnum("step", append([]string{""}, alma.RequestSteps()...))
	r(reflect.TypeFor[aleph.Item]()).setEnum("status", append([]string{""}, aleph.ItemStatuses()...))
	hr := r(reflect.TypeFor[aleph.HoldRequest]())
	hr.setEnum("type", []string{"", aleph.RequestHold, aleph.RequestPhotocopy})
	hr.setEnum("status", []string{"", aleph.RequestPending, aleph.RequestPosted})

	// Step kinds: what their Validate methods check.
	for _, k := range g.reg.Kinds() {
		t := reflect.TypeOf(k.New())
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		vr, err := g.src.validateRules(t.PkgPath(), t)
		if err != nil {
			return fmt.Errorf("step %s: %w", k.Name, err)
		}
		tr := r(t)
		tr.require(vr.required...)
		for key, vals := range vr.enum {
			tr.setEnum(key, vals)
		}
	}
	// REST.Validate: the path must start with "/".
	rest := r(reflect.TypeFor[steps.REST]())
	rest.require("path")
	rest.pattern = map[string]string{"path": "^/"}
	return nil
}

// enumLists are the module's exported lists of allowed values that
// Validate methods spread into oneOf (oneOf("status", x.Status,
// alma.ItemStatuses()...)), by import path and name; the schema takes the
// values from the list itself, so they are stated once.
func enumLists() map[string][]string {
	return map[string][]string{
		modulePath + "/simulators/alma.ItemStatuses":     alma.ItemStatuses(),
		modulePath + "/simulators/alma.RequestSteps":     alma.RequestSteps(),
		modulePath + "/simulators/aleph.ItemStatuses":    aleph.ItemStatuses(),
		modulePath + "/formats/caiasoft.StoredStatuses":  caiasoft.StoredStatuses,
		modulePath + "/formats/caiasoft.DenialCodeNames": caiasoft.DenialCodeNames(),
	}
}

// caseInsensitive is a pattern matching any of names in any case, with
// surrounding spaces.
func caseInsensitive(names []string) string {
	var alts []string
	for _, n := range names {
		var b strings.Builder
		for _, c := range n {
			lo, up := strings.ToLower(string(c)), strings.ToUpper(string(c))
			if lo != up {
				b.WriteString("[" + lo + up + "]")
			} else {
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		alts = append(alts, b.String())
	}
	return `^\s*(` + strings.Join(alts, "|") + `)\s*$`
}

// labelPattern reads the scenario package's labelName regexp.
func (g *generator) labelPattern() (string, error) {
	const pkg = modulePath + "/scenarios/scenario"
	fs, err := g.src.files(pkg)
	if err != nil {
		return "", err
	}
	for _, f := range fs {
		var pat string
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "labelName" || len(vs.Values) != 1 {
				return true
			}
			if c, ok := vs.Values[0].(*ast.CallExpr); ok && len(c.Args) == 1 {
				pat, _ = stringLit(c.Args[0])
			}
			return false
		})
		if pat != "" {
			return pat, nil
		}
	}
	return "", fmt.Errorf("%s: no `var labelName = regexp.MustCompile(…)`; update schemas/internal/gen", pkg)
}

// checkMirror compares scenarioFile and givenFile with the scenario
// package's rawScenario and rawGiven, key by key, so a key added to the
// scenario format fails the generator until the mirror has it too.
func (g *generator) checkMirror() error {
	if _, err := g.labelPattern(); err != nil {
		return err
	}
	const pkg = modulePath + "/scenarios/scenario"
	for raw, mirror := range map[string]reflect.Type{"rawScenario": reflect.TypeFor[scenarioFile](), "rawGiven": reflect.TypeFor[givenFile]()} {
		ts, _ := g.src.typeSpec(pkg, raw)
		if ts == nil {
			return fmt.Errorf("%s: no type %s; update schemas/internal/gen", pkg, raw)
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return fmt.Errorf("%s.%s is not a struct", pkg, raw)
		}
		var want []string
		for _, f := range st.Fields.List {
			tag := ""
			if f.Tag != nil {
				s, _ := stringLit(f.Tag)
				tag = reflect.StructTag(s).Get("yaml")
			}
			name, _, _ := strings.Cut(tag, ",")
			for _, n := range f.Names {
				if !ast.IsExported(n.Name) || name == "-" {
					continue
				}
				if name == "" {
					want = append(want, strings.ToLower(n.Name))
				} else {
					want = append(want, name)
				}
			}
		}
		var got []string
		for i := range mirror.NumField() {
			name, _, _ := strings.Cut(mirror.Field(i).Tag.Get("yaml"), ",")
			got = append(got, name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			return fmt.Errorf("scenario.%s has keys %v but schemas/internal/gen's mirror has %v; update the mirror", raw, want, got)
		}
	}
	return nil
}
