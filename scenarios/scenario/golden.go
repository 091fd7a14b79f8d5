package scenario

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/compare"
)

// Golden comparison modes.
const (
	// ModeExact compares bytes: the engine's NCIP output is deterministic.
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

// Indent lays an XML message out one element per line, two spaces a level,
// for a golden file compared in canonical mode, where whitespace between
// elements does not count: a reviewer reads it and a diff points at a line.
// Text, prefixes and attributes are kept; an element holding text keeps its
// content on its line, as it is. ok is false when the message cannot be
// read (write it as is then).
func Indent(msg []byte) (out []byte, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(msg))
	d.Strict = true
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // bytes pass through as they are
	var b bytes.Buffer
	type open struct {
		name  string
		mixed bool // holds text: its content is written as it came
	}
	var stack []open // RawToken does not match end tags with start tags
	inMixed := func() bool { return len(stack) > 0 && stack[len(stack)-1].mixed }
	// inline: the last thing written was a start tag or text, so the end
	// tag that follows stays on the same line.
	inline, first := false, true
	// pending is whitespace after a start tag: text if the element ends
	// without a child (<a> </a>), layout if a child follows.
	var pending []byte
	newline := func() {
		if !first && !inMixed() {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", len(stack)))
		}
		first = false
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			pending = nil
			newline()
			b.WriteString("<" + qname(t.Name))
			for _, a := range t.Attr {
				b.WriteString(" " + qname(a.Name) + `="`)
				escape(&b, a.Value, true)
				b.WriteByte('"')
			}
			b.WriteByte('>')
			stack = append(stack, open{name: qname(t.Name), mixed: inMixed()})
			inline = true
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != qname(t.Name) {
				return nil, false
			}
			if inline && pending != nil {
				escape(&b, string(pending), false)
			}
			pending = nil
			if !inline {
				newline() // not inside an element that holds text: that one is written as it came
			}
			stack = stack[:len(stack)-1]
			b.WriteString("</" + qname(t.Name) + ">")
			inline = false
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 && !inMixed() {
				if inline && len(stack) > 0 {
					pending = append(pending, t...)
				}
				continue
			}
			if len(stack) == 0 {
				return nil, false // text outside the root element
			}
			stack[len(stack)-1].mixed = true
			escape(&b, string(t), false)
			inline = true
		case xml.ProcInst:
			newline()
			b.WriteString("<?" + t.Target + " " + string(t.Inst) + "?>")
		case xml.Directive:
			newline()
			b.WriteString("<!" + string(t) + ">")
		case xml.Comment:
			newline()
			b.WriteString("<!--" + string(t) + "-->")
		}
	}
	if len(stack) > 0 || first {
		return nil, false
	}
	b.WriteByte('\n')
	return b.Bytes(), true
}

// escape writes text with the markup characters escaped, and nothing else
// (xml.EscapeText would also turn line breaks into character references).
func escape(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case attr && r == '"':
			b.WriteString("&quot;")
		case attr && (r == '\n' || r == '\t' || r == '\r'):
			fmt.Fprintf(b, "&#x%X;", r)
		case r == '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
