package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// userDocs are the files a user reads: the README, docs/, the JSON
// Schemas (their descriptions show in editors), the fixtures, and every Go
// source file outside tests (its doc comments are the packages' reference).
func userDocs(t *testing.T) map[string]string {
	t.Helper()
	root := "../.."
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "build" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case rel == "README.md", strings.HasPrefix(rel, "docs/"), strings.HasPrefix(rel, "schemas/") && strings.HasSuffix(rel, ".json"),
			strings.HasPrefix(rel, "fixtures/") && strings.HasSuffix(rel, ".yaml"),
			strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go"):
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocsStayInTheRepo: nothing a user reads sends them to a file outside
// the repository (the team's design notes are not shipped), and every
// relative link of the README and docs/ resolves.
func TestDocsStayInTheRepo(t *testing.T) {
	outside := regexp.MustCompile(`\.\./shared/|DESIGN(\.md| §)`)
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for f, text := range userDocs(t) {
		for i, line := range strings.Split(text, "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d points outside the repository: %s", f, i+1, strings.TrimSpace(line))
			}
		}
		if strings.HasSuffix(f, ".md") {
			for _, m := range link.FindAllStringSubmatch(text, -1) {
				if _, err := os.Stat(filepath.Join("../..", filepath.Dir(f), m[1])); err != nil {
					t.Errorf("%s links to %s, which does not exist", f, m[1])
				}
			}
		}
	}
}

// TestDocsCiteRealCommands: every `annex COMMAND …` quoted in the README,
// docs/, the JSON Schemas and the Go sources names a command that exists
// and only flags it has.
func TestDocsCiteRealCommands(t *testing.T) {
	cite := regexp.MustCompile("`annex ([a-z]+)([^`]*)`")
	flag := regexp.MustCompile(`(?:^|\s)--?([a-z][a-z-]*)`)
	for f, text := range userDocs(t) {
		for _, m := range cite.FindAllStringSubmatch(text, -1) {
			name := m[1]
			if name == "help" || name == "COMMAND" {
				continue
			}
			c, ok := lookupCommand(name)
			if !ok {
				t.Errorf("%s cites `annex %s%s`: there is no command %q", f, name, m[2], name)
				continue
			}
			syn := synopsis(context.Background(), c)
			for _, fm := range flag.FindAllStringSubmatch(m[2], -1) {
				if fm[1] != "h" && !strings.Contains(syn, "-"+fm[1]) {
					t.Errorf("%s cites `annex %s%s`: annex %s has no flag -%s", f, name, m[2], name, fm[1])
				}
			}
		}
	}
}
