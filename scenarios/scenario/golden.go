package scenario

import (
	"fmt"
	"regexp"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/compare"
)

// Golden comparison modes.
const (
	// ModeExact compares bytes: the engine is deterministic (DESIGN §2.2).
	ModeExact = "exact"
	// ModeCanonical compares what the messages say (package ncip/compare):
	// prefixes, attribute order, whitespace and the declaration do not matter.
	ModeCanonical = "canonical"
)

// Placeholders a golden file may hold where a scenario cannot know the value.
const (
	// PlaceholderAny stands for any text of one element (no markup).
	PlaceholderAny = "{{any}}"
	// PlaceholderDateTime stands for an xs:dateTime.
	PlaceholderDateTime = "{{datetime}}"
)

const dateTimeRe = `-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?`

var placeholderRe = regexp.MustCompile(`\{\{(any|datetime)\}\}`)

// pattern turns a golden text with placeholders into an anchored regexp.
func pattern(golden string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	last := 0
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(golden, -1) {
		b.WriteString(regexp.QuoteMeta(golden[last:m[0]]))
		if golden[m[2]:m[3]] == "any" {
			b.WriteString(`[^<]*`)
		} else {
			b.WriteString(dateTimeRe)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(golden[last:]))
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// MatchGolden compares an actual message with a golden one in the given
// mode ("" means exact). It returns a unified diff (golden → actual) when
// they differ; err is for a message that cannot be parsed in canonical mode.
func MatchGolden(golden, actual []byte, mode, goldenLabel string) (diff string, err error) {
	exp, act := string(golden), string(actual)
	if mode == ModeCanonical {
		ed, err := ncip.Parse(golden, ncip.ParseOptions{})
		if err != nil {
			return "", fmt.Errorf("golden %s: %w", goldenLabel, err)
		}
		ad, err := ncip.Parse(actual, ncip.ParseOptions{})
		if err != nil {
			return "", fmt.Errorf("actual message: %w", err)
		}
		exp, act = compare.Canonical(ed), compare.Canonical(ad)
	}
	if exp == act {
		return "", nil
	}
	if placeholderRe.MatchString(exp) && pattern(exp).MatchString(act) {
		return "", nil
	}
	return Diff(exp, act, goldenLabel, "actual"), nil
}

// Diff is a unified diff of two XML texts. One-line messages are split at
// tag boundaries first, so the diff points at an element rather than at the
// whole message; lines of the golden text whose placeholders match the
// actual line are shown as unchanged.
func Diff(expected, actual, expectedLabel, actualLabel string) string {
	e, a := splitTags(expected), splitTags(actual)
	el, al := strings.SplitAfter(e, "\n"), strings.SplitAfter(a, "\n")
	for i := range el {
		if i < len(al) && placeholderRe.MatchString(el[i]) && pattern(strings.TrimSuffix(el[i], "\n")).MatchString(strings.TrimSuffix(al[i], "\n")) {
			el[i] = al[i]
		}
	}
	e = strings.Join(el, "")
	d := udiff.Unified(expectedLabel, actualLabel, e, a)
	if d == "" {
		// The texts differ only where the split hid it (line endings): say so.
		return fmt.Sprintf("--- %s\n+++ %s\n-%q\n+%q\n", expectedLabel, actualLabel, expected, actual)
	}
	return d
}

// splitTags puts one tag per line when a text has few lines.
func splitTags(s string) string {
	if strings.Count(s, "\n") > 2 {
		return ensureNL(s)
	}
	return ensureNL(strings.ReplaceAll(s, "><", ">\n<"))
}

func ensureNL(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
