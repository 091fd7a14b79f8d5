package steps

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// jsonAt finds a dotted path (results.0.deny) in a decoded JSON document.
func jsonAt(doc any, path string) (any, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			x, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// sameJSON compares a YAML-given expectation with a JSON value. Types
// matter: CaiaSoft's counts are strings ("1") and success is a boolean, and
// a scenario that says `"1"` must not pass on 1.
func sameJSON(want, got any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case int, int64, float64, uint64:
		g, ok := got.(float64)
		return ok && fmt.Sprint(w) == strconv.FormatFloat(g, 'f', -1, 64)
	case nil:
		return got == nil
	}
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	return string(wb) == string(gb)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
