package steps

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/annexlab/annex/schemas"
)

// KindRef documents one step kind for users: `annex steps` prints it and
// the README's step reference is generated from it.
type KindRef struct {
	Name string
	// Doc is the registry's one line; More is the rest of the kind's doc comment.
	Doc, More string
	Fields    []FieldRef
}

// FieldRef documents one key of a step.
type FieldRef struct {
	Name     string
	Type     string // string, integer, number, boolean, duration, mapping, list of …, any
	Required bool
	Default  string // "" when the key has none
	Enum     []string
	Doc      string
}

// schemaProp is the part of a JSON Schema property the reference shows.
type schemaProp struct {
	Type        string          `json:"type"`
	Pattern     string          `json:"pattern"`
	Ref         string          `json:"$ref"`
	Items       *schemaProp     `json:"items"`
	Enum        []string        `json:"enum"`
	Description string          `json:"description"`
	Default     json.RawMessage `json:"default"`
}

type schemaDef struct {
	Description string                `json:"description"`
	Properties  map[string]schemaProp `json:"properties"`
	Required    []string              `json:"required"`
}

// Reference documents every registered step kind, sorted by name: the
// kinds and their docs come from Registry, the keys (in the struct's
// order), types, enums, defaults and docs from the scenario file's JSON
// Schema, which is generated from the same types and kept current by
// `go test ./schemas`.
func Reference() ([]KindRef, error) {
	var doc struct {
		Defs map[string]schemaDef `json:"$defs"`
	}
	if err := json.Unmarshal(schemas.Scenario(), &doc); err != nil {
		return nil, fmt.Errorf("step reference: %w", err)
	}
	var out []KindRef
	for _, k := range Registry().Kinds() {
		t := reflect.TypeOf(k.New())
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		def, ok := doc.Defs["steps."+t.Name()]
		if !ok {
			return nil, fmt.Errorf("step reference: %s: the scenario schema has no steps.%s; run `go test ./schemas -run TestSchemasUpToDate -update`", k.Name, t.Name())
		}
		ref := KindRef{Name: k.Name, Doc: k.Doc, More: afterFirstSentence(def.Description)}
		for _, f := range yamlFields(t) {
			p, ok := def.Properties[f.key]
			if !ok {
				return nil, fmt.Errorf("step reference: %s: the scenario schema lacks key %s; run `go test ./schemas -run TestSchemasUpToDate -update`", k.Name, f.key)
			}
			ref.Fields = append(ref.Fields, fieldRef(f.key, f.goName, p, def.Required))
		}
		if p, ok := def.Properties["timeout"]; ok {
			ref.Fields = append(ref.Fields, fieldRef("timeout", "", p, nil))
		}
		out = append(out, ref)
	}
	return out, nil
}

type yamlField struct{ key, goName string }

// yamlFields lists a step struct's keys in declaration order, inline
// structs flattened as the decoder sees them.
func yamlFields(t reflect.Type) []yamlField {
	var out []yamlField
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case slices.Contains(strings.Split(opts, ","), "inline"):
			out = append(out, yamlFields(f.Type)...)
		case name != "":
			out = append(out, yamlField{name, f.Name})
		}
	}
	return out
}

func fieldRef(key, goName string, p schemaProp, required []string) FieldRef {
	f := FieldRef{Name: key, Type: typeName(p), Enum: p.Enum, Doc: userDoc(p.Description, goName, key)}
	for _, r := range required {
		f.Required = f.Required || r == key
	}
	if len(p.Default) > 0 {
		var s string
		if json.Unmarshal(p.Default, &s) != nil {
			s = string(p.Default)
		}
		f.Default = s
	}
	return f
}

func typeName(p schemaProp) string {
	switch {
	// Durations are a $ref, or (timeout, which must be positive) a string with a unit pattern.
	case strings.HasSuffix(p.Ref, "/duration"), p.Type == "string" && strings.Contains(p.Pattern, "ms|s|m|h"):
		return "duration"
	case p.Type == "object":
		return "mapping"
	case p.Type == "array" && p.Items != nil:
		return "list of " + typeName(*p.Items)
	case p.Type == "":
		return "any"
	}
	return p.Type
}

// userDoc speaks of a key by its YAML name rather than its Go field name.
func userDoc(desc, goName, key string) string {
	if goName != "" {
		if rest, ok := strings.CutPrefix(desc, goName+" "); ok {
			return key + " " + rest
		}
	}
	return desc
}

var sentenceEnd = regexp.MustCompile(`\.\s+`)

func afterFirstSentence(s string) string {
	if loc := sentenceEnd.FindStringIndex(s); loc != nil {
		return s[loc[1]:]
	}
	return ""
}
