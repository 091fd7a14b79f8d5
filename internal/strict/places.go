package strict

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Place is where something is written in a document (1-based).
type Place struct{ Line, Col int }

func at(n *yaml.Node) Place { return Place{n.Line, n.Column} }

// Places remembers where each decoded field path's key and value were
// written, so checks made after decoding can point at the right line and
// column.
type Places struct {
	// Root is where the document starts; a path written nowhere, not even
	// its ancestors, is reported there.
	Root   Place
	keys   map[string]Place
	values map[string]Place
	// blocks are the paths whose value is a section, a list or nothing:
	// problems about them point at their key, where the reader looks.
	blocks map[string]bool
	// Failed holds the paths whose value could not be decoded (or whose key
	// is unknown or written twice), so later checks do not pile "is
	// required" on top of "must be a whole number".
	Failed map[string]bool
}

// NewPlaces returns an index that knows no places yet: every path is at 1:1.
func NewPlaces() *Places {
	return &Places{Root: Place{1, 1}, keys: map[string]Place{}, values: map[string]Place{},
		blocks: map[string]bool{}, Failed: map[string]bool{}}
}

// record notes where path's value n is written, the first time it is seen
// (an alias's path is where the alias is, not where its anchor is).
func (p *Places) record(path string, n *yaml.Node) {
	if _, ok := p.values[path]; ok {
		return
	}
	p.values[path] = at(n)
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode || isNull(n) {
		p.blocks[path] = true
	}
}

// Len returns how many paths were decoded: 0 when nothing of the document
// could be read.
func (p *Places) Len() int { return len(p.values) }

// Written reports whether path was written in the document (even if empty).
func (p *Places) Written(path string) bool {
	_, ok := p.values[path]
	return ok
}

// Value returns where path's value is, or failing that where its nearest
// written ancestor's key is: a missing value is reported at the section
// that should hold it.
func (p *Places) Value(path string) Place {
	if at, ok := p.values[path]; ok && !p.blocks[path] {
		return at
	}
	return p.Section(path)
}

// Section returns where path's key is written, or its nearest ancestor's.
func (p *Places) Section(path string) Place {
	for path != "" {
		if at, ok := p.keys[path]; ok {
			return at
		}
		if at, ok := p.values[path]; ok {
			return at
		}
		path = ParentPath(path)
	}
	return p.Root
}

// ParentPath cuts the last ".name" segment off a path. Paths built for
// absent fields end in plain names, which is all this needs to handle; a
// path ending in an index or a quoted key was recorded when decoded.
func ParentPath(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i < 0 || strings.ContainsAny(path[i:], `["]`) {
		return ""
	}
	return path[:i]
}

// join appends a struct field name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// plainKey matches map keys that read unambiguously in a dotted path.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_/-]+$`)

// JoinKey appends a map key to a path, quoting keys that have spaces, dots
// or other punctuation so the path stays readable and unambiguous:
// translation.stops.pickup_locations["Main Library Circulation Desk"].
func JoinKey(path, key string) string {
	if plainKey.MatchString(key) {
		return join(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// JoinIndex appends a list index to a path: items[0].
func JoinIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
