package libcheck

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// locator finds where a profile field is written. The profile loader keeps
// its positions to itself, so the file is read again here; a field that is
// absent is located at its nearest written ancestor, where it would go.
type locator struct {
	file string
	root *yaml.Node
}

func newLocator(file string) *locator {
	l := &locator{file: file}
	if data, err := os.ReadFile(file); err == nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			l.root = doc.Content[0]
		}
	}
	return l
}

// at returns FILE:LINE:COL of the value at path (of its key when the value
// is a section), or "" when the file cannot be read.
func (l *locator) at(path ...string) string {
	if l.file == "" {
		return ""
	}
	if l.root == nil {
		return l.file
	}
	n, line, col := l.root, l.root.Line, l.root.Column
	for _, seg := range path {
		if n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == seg {
				next = n.Content[i+1]
				line, col = k.Line, k.Column
				if next.Kind == yaml.ScalarNode {
					line, col = next.Line, next.Column
				}
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return fmt.Sprintf("%s:%d:%d", l.file, line, col)
}

// plainKey matches map keys that read unambiguously in a dotted path.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_/-]+$`)

// fieldName writes a path the way the static checks name fields:
// translation.stops.pickup_locations["Main Library Circulation Desk"].
func fieldName(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		switch {
		case b.Len() == 0:
			b.WriteString(seg)
		case plainKey.MatchString(seg):
			b.WriteString("." + seg)
		default:
			b.WriteString("[" + strconv.Quote(seg) + "]")
		}
	}
	return b.String()
}
