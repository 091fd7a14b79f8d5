// Package suggest finds the known word closest to a mistyped one, for
// "did you mean" messages.
package suggest

import "strings"

// Closest returns the word of known nearest to word (case-insensitively)
// within two edits, or "" when none is that near.
func Closest(word string, known []string) string { return Within(word, known, 2) }

// Within returns the word of known nearest to word (case-insensitively)
// within edits edits, or "" when none is that near; of words equally near,
// the first in known's order, so the answer never varies from run to run.
func Within(word string, known []string, edits int) string {
	best, bestDist := "", edits+1
	for _, k := range known {
		if d := Distance(strings.ToLower(word), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// Distance is the Levenshtein distance of two short strings; long ones
// count as far apart, so a hostile input costs nothing.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 64
	}
	prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
