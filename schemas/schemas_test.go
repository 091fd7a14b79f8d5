package schemas_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/annexlab/annex/schemas"
	"github.com/annexlab/annex/schemas/internal/gen"
)

var update = flag.Bool("update", false, "rewrite the schema files from the Go types")

const updateHint = "go test ./schemas -run TestSchemasUpToDate -update"

// TestSchemasUpToDate regenerates the schemas from the Go types and
// compares them with the checked-in files byte for byte.
func TestSchemasUpToDate(t *testing.T) {
	got, err := gen.Generate()
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if !slices.Equal(gen.Files, schemas.Names()) {
		t.Fatalf("the generator makes %v, the package embeds %v", gen.Files, schemas.Names())
	}
	for _, name := range gen.Files {
		if *update {
			if err := os.WriteFile(name, got[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v; run `%s` to write it", name, err, updateHint)
			continue
		}
		if !bytes.Equal(have, got[name]) {
			t.Errorf("schemas/%s is out of date with the Go types (%s); run `%s` and review the diff",
				name, firstDiff(have, got[name]), updateHint)
		}
	}
}

// firstDiff says where two files first differ.
func firstDiff(have, want []byte) string {
	hl, wl := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(hl), len(wl)) {
		var h, w string
		if i < len(hl) {
			h = hl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if h != w {
			return fmt.Sprintf("line %d is %q, want %q", i+1, strings.TrimSpace(h), strings.TrimSpace(w))
		}
	}
	return "they differ"
}

// compile compiles the embedded schemas.
func compile(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, name := range schemas.Names() {
		b, err := schemas.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource("file:///schemas/"+name, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, name := range schemas.Names() {
		s, err := c.Compile("file:///schemas/" + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// yamlFile is a profile, facility or scenario file of the repository.
type yamlFile struct {
	path   string // relative to the module root
	schema string
}

// notValidated are files of the repository the schemas are not expected to
// accept, with the reason.
var notValidated = map[string]string{}

// repoFiles lists the repository's profile, facility and scenario files:
// fixtures/profiles (a file with a top-level system: key is a profile, any
// other a facility), fixtures/validate (profiles only: the others are mock
// library states for `annex validate --library`) and every YAML file under
// scenarios/ (fuzz corpora aside).
func repoFiles(t *testing.T) []yamlFile {
	t.Helper()
	var out []yamlFile
	for _, dir := range []string{"fixtures/profiles", "fixtures/validate"} {
		ms, err := filepath.Glob(filepath.Join("..", dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			rel, _ := filepath.Rel("..", m)
			switch {
			case hasSystemKey(t, m):
				out = append(out, yamlFile{filepath.ToSlash(rel), schemas.ProfileFile})
			case dir == "fixtures/profiles":
				out = append(out, yamlFile{filepath.ToSlash(rel), schemas.FacilityFile})
			}
		}
	}
	err := filepath.WalkDir(filepath.Join("..", "scenarios"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			rel, _ := filepath.Rel("..", p)
			out = append(out, yamlFile{filepath.ToSlash(rel), schemas.ScenarioFile})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("found only %d files; is the test running in schemas/?", len(out))
	}
	return out
}

// hasSystemKey reports whether a YAML file has a top-level system: key,
// which profiles have and facilities and library states do not.
func hasSystemKey(t *testing.T, path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var probe map[string]any
	_ = yaml.Unmarshal(data, &probe)
	_, ok := probe["system"]
	return ok
}

// toJSON reads YAML as the loaders see it (aliases and merge keys
// resolved) and returns it as a JSON document for the validator.
func toJSON(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// jsonable turns yaml.v3's map[any]any (non-string keys) into string-keyed maps.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonable(e)
		}
		return v
	case map[any]any:
		m := map[string]any{}
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonable(e)
		}
		return v
	}
	return v
}

// TestRepoFilesValidate checks every profile, facility and scenario file of
// the repository against its schema.
func TestRepoFilesValidate(t *testing.T) {
	sch := compile(t)
	for _, f := range repoFiles(t) {
		t.Run(f.path, func(t *testing.T) {
			if why, ok := notValidated[f.path]; ok {
				t.Skip(why)
			}
			data, err := os.ReadFile(filepath.Join("..", f.path))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := toJSON(data)
			if err != nil {
				t.Fatalf("read YAML: %v", err)
			}
			if err := sch[f.schema].Validate(doc); err != nil {
				t.Errorf("%s does not satisfy schemas/%s:\n%v", f.path, f.schema, err)
			}
		})
	}
}

// TestRepoFilesNameTheirSchema checks that every profile, facility and
// scenario file starts with the YAML language server's modeline naming its
// schema, so editors complete and check it.
func TestRepoFilesNameTheirSchema(t *testing.T) {
	for _, f := range repoFiles(t) {
		rel, err := filepath.Rel(filepath.Dir(filepath.Join("..", f.path)), filepath.Join("..", "schemas", f.schema))
		if err != nil {
			t.Fatal(err)
		}
		want := "# yaml-language-server: $schema=" + filepath.ToSlash(rel)
		data, err := os.ReadFile(filepath.Join("..", f.path))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if strings.TrimRight(first, "\r") != want {
			t.Errorf("%s: the first line is %q; make it\n%s", f.path, first, want)
		}
	}
}

// TestSchemasReject checks that the schemas catch what the loaders reject
// before anything runs, and accept the smallest files the loaders accept.
func TestSchemasReject(t *testing.T) {
	sch := compile(t)
	const prof = "name: p\nsystem: alma\nalma: {ncip_url: 'http://x/view/NCIPServlet', from_agency: A, to_agency: 01X_INST, profile_code: P, desk: D, checkout_user: U}\n" +
		"translation: {collections: {MAIN: C}, stops: {libraries: {MAIN: S}}}\n" +
		"intake: {format: alma-rsexport, sftp: {account: a, password: pw, allowed_networks: [10.0.0.0/8], directory: d}}\n"
	for _, tc := range []struct {
		name, schema, yaml string
		valid              bool
	}{
		{"a whole profile", schemas.ProfileFile, prof, true},
		{"unknown key", schemas.ProfileFile, prof + "colour: red\n", false},
		{"system in upper case", schemas.ProfileFile, strings.Replace(prof, "system: alma", "system: ALMA", 1), false},
		{"alma profile without alma section", schemas.ProfileFile, "name: p\nsystem: alma\ntranslation: {collections: {A: B}, stops: {}}\nintake: {format: alma-rsexport, sftp: {account: a, directory: d, allowed_networks: []}}\n", false},
		{"alma profile reading aleph files", schemas.ProfileFile, strings.Replace(prof, "format: alma-rsexport", "format: aleph-print", 1), false},
		{"bad retry duration", schemas.ProfileFile, prof + "retry: {initial: soon}\n", false},
		{"retry durations", schemas.ProfileFile, prof + "retry: {initial: 500ms, max: 1m30s, timeout: 10s, concurrency: 4}\n", true},
		{"facility without stops", schemas.FacilityFile, "name: f\napi_key: k\nprofiles: [p.yaml]\n", false},
		{"facility", schemas.FacilityFile, "name: f\napi_key: k\nstops: [{code: S, active: true}]\nprofiles: [p.yaml]\n", true},
		{"smallest scenario", schemas.ScenarioFile, "name: x\nsteps:\n  - engine.restart:\n", true},
		{"inline profile", schemas.ScenarioFile, "name: x\nprofile:\n" + indent(prof) + "steps:\n  - alma.export: {timeout: 2s}\n", true},
		{"no steps", schemas.ScenarioFile, "name: x\nsteps: []\n", false},
		{"no name", schemas.ScenarioFile, "steps:\n  - engine.restart: {}\n", false},
		{"unknown step kind", schemas.ScenarioFile, "name: x\nsteps:\n  - alma.exprot: {}\n", false},
		{"two kinds in one step", schemas.ScenarioFile, "name: x\nsteps:\n  - {engine.restart: {}, alma.export: {}}\n", false},
		{"typo in a step key", schemas.ScenarioFile, "name: x\nsteps:\n  - facility.retrieve: {barcod: \"1\"}\n", false},
		{"bad enum", schemas.ScenarioFile, "name: x\nsteps:\n  - fault: {on: almа, kind: reset}\n", false},
		{"bad fault kind", schemas.ScenarioFile, "name: x\nsteps:\n  - fault: {on: alma, kind: explode}\n", false},
		{"bad timeout", schemas.ScenarioFile, "name: x\nsteps:\n  - engine.restart: {timeout: soon}\n", false},
		{"missing required step key", schemas.ScenarioFile, "name: x\nsteps:\n  - expect.ncip: {to: alma}\n", false},
		{"bad label", schemas.ScenarioFile, "name: x\nlabels: [\"has space\"]\nsteps:\n  - engine.restart: {}\n", false},
		{"unknown given key", schemas.ScenarioFile, "name: x\ngiven:\n  alma: {itemz: []}\nsteps:\n  - engine.restart: {}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := toJSON([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = sch[tc.schema].Validate(doc)
			if tc.valid && err != nil {
				t.Errorf("rejected:\n%v", err)
			}
			if !tc.valid && err == nil {
				t.Errorf("accepted")
			}
		})
	}
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}
