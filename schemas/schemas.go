// Package schemas holds the JSON Schemas (draft 2020-12) of annex's YAML
// files: profile.schema.json (one library connection), facility.schema.json
// (the engine's configuration) and scenario.schema.json (a scenario file,
// with one branch per registered step kind). They are generated from the Go
// types the loaders decode into (schemas/internal/gen) and checked in;
// `go test ./schemas` fails when they drift from the types, and
// `go test ./schemas -run TestSchemasUpToDate -update` rewrites them.
//
// Editors that speak the YAML language server pick a schema from the first
// line of a file:
//
//	# yaml-language-server: $schema=../../schemas/profile.schema.json
package schemas

import (
	"embed"
	"fmt"
)

//go:embed *.json
var files embed.FS

// File names of the schemas.
const (
	ProfileFile  = "profile.schema.json"
	FacilityFile = "facility.schema.json"
	ScenarioFile = "scenario.schema.json"
)

// Scenario is the JSON Schema of a scenario file.
func Scenario() []byte { return mustRead(ScenarioFile) }

// Names lists the schema files.
func Names() []string { return []string{ProfileFile, FacilityFile, ScenarioFile} }

// Read returns the schema file called name.
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	return b, nil
}

func mustRead(name string) []byte {
	b, err := Read(name)
	if err != nil {
		panic(err) // embedded at build time: missing means a broken build
	}
	return b
}
