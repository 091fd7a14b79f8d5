package conform

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip"
)

// variant is one mutated message and how it was made.
type variant struct {
	name string
	text string
}

// span is the lines [start, end] (0-based, inclusive) an element occupies alone.
type span struct {
	el         *ncip.Element
	start, end int
}

// elementSpan finds the lines a pretty-printed element occupies, or false
// when it shares a line with another element.
func elementSpan(lines []string, el *ncip.Element) (span, bool) {
	q := qname(el.Prefix, el.Name)
	start := el.Line - 1
	if !strings.HasPrefix(strings.TrimSpace(lines[start]), "<"+q) {
		return span{}, false
	}
	first := strings.TrimSpace(lines[start])
	if strings.HasSuffix(first, "/>") && !strings.Contains(first, "</") {
		return span{el, start, start}, true
	}
	for i := start; i < len(lines); i++ {
		if strings.Contains(lines[i], "</"+q+">") {
			if !strings.HasSuffix(strings.TrimSpace(lines[i]), "</"+q+">") {
				return span{}, false
			}
			return span{el, start, i}, true
		}
	}
	return span{}, false
}

func splice(lines []string, parts ...[]string) string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return strings.Join(out, "\n")
}

// mutate builds the variants of one valid message: each child of the service
// element and of its children dropped, duplicated and swapped with its next
// sibling; the version attribute dropped; a Scheme attribute unprefixed; a bad
// DateDue; and a few envelope mistakes.
func mutate(t *testing.T, text string) []variant {
	t.Helper()
	doc, err := ncip.Parse([]byte(text), ncip.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text, "\n")
	service := ncip.ServiceElement(doc.Root)
	var targets [][]*ncip.Element // sibling groups to mutate
	targets = append(targets, service.Children)
	for _, c := range service.Children {
		targets = append(targets, c.Children)
	}
	var vs []variant
	for _, sibs := range targets {
		var spans []span
		for _, el := range sibs {
			sp, ok := elementSpan(lines, el)
			if !ok {
				spans = nil
				break
			}
			spans = append(spans, sp)
		}
		for i, sp := range spans {
			before, body, after := lines[:sp.start], lines[sp.start:sp.end+1], lines[sp.end+1:]
			where := fmt.Sprintf("%s (line %d)", sp.el.Name, sp.el.Line)
			vs = append(vs,
				variant{"drop " + where, splice(lines, before, after)},
				variant{"duplicate " + where, splice(lines, before, body, body, after)})
			if i+1 < len(spans) {
				nx := spans[i+1]
				vs = append(vs, variant{"swap " + where + " with " + nx.el.Name,
					splice(lines, before, lines[nx.start:nx.end+1], lines[sp.end+1:nx.start], body, lines[nx.end+1:])})
			}
		}
	}
	if v := regexp.MustCompile(`\s[\w]+:version="[^"]*"`); v.MatchString(text) {
		vs = append(vs, variant{"drop the version attribute", v.ReplaceAllString(text, "")})
		vs = append(vs, variant{"unqualify the version attribute", v.ReplaceAllStringFunc(text, func(s string) string {
			return " " + s[strings.Index(s, ":")+1:]
		})})
	}
	for i, m := range regexp.MustCompile(`\s\w+:Scheme=`).FindAllStringIndex(text, -1) {
		vs = append(vs, variant{fmt.Sprintf("unprefix Scheme attribute #%d", i+1),
			text[:m[0]] + " Scheme=" + text[m[1]:]})
	}
	if m := regexp.MustCompile(`(<[\w:]*DateDue>)[^<]*(</)`); m.MatchString(text) {
		for _, bad := range []string{"2010-02-30T10:00:00Z", "18/11/2010", "2010-11-18", ""} {
			vs = append(vs, variant{"DateDue " + bad, m.ReplaceAllString(text, "${1}"+bad+"${2}")})
		}
	}
	if sp, ok := elementSpan(lines, service); ok {
		s, e := sp.start, sp.end
		vs = append(vs,
			variant{"text in the service element", splice(lines, lines[:s+1], []string{"oops"}, lines[s+1:])},
			variant{"empty service element", splice(lines, lines[:s+1], lines[e:])},
			variant{"second service element", splice(lines, lines[:e+1], lines[s:e+1], lines[e+1:])},
		)
	}
	q := qname(service.Prefix, service.Name)
	vs = append(vs, variant{"attribute on the service element", strings.Replace(text, "<"+q+">", "<"+q+` id="1">`, 1)})
	if service.Prefix != "" {
		vs = append(vs, variant{"service element out of the namespace",
			strings.NewReplacer("<"+q+">", "<"+service.Name+">", "</"+q+">", "</"+service.Name+">").Replace(text)})
	}
	return vs
}

// TestMutationsAgreeWithXmllint: on every mutation of the modelled, valid
// corpus messages, the checker says "no errors" exactly when xmllint says "validates".
func TestMutationsAgreeWithXmllint(t *testing.T) {
	var sources []string
	for _, f := range corpusFiles(t, "v2") {
		if r := checkFile(t, f); r.Modelled && r.OK() {
			sources = append(sources, f)
		}
	}
	dir := t.TempDir()
	type job struct {
		source, name, path string
	}
	var jobs []job
	for _, src := range sources {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range mutate(t, string(data)) {
			p := filepath.Join(dir, fmt.Sprintf("%s-%03d.xml", strings.TrimSuffix(filepath.Base(src), ".xml"), i))
			if err := os.WriteFile(p, []byte(v.text), 0o644); err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, job{filepath.Base(src), v.name, p})
		}
	}
	paths := make([]string, len(jobs))
	for i, j := range jobs {
		paths[i] = j.path
	}
	verdicts := runXmllint(t, paths)
	invalid := 0
	for _, j := range jobs {
		v := verdicts[j.path]
		r := checkFile(t, j.path)
		if !v.valid {
			invalid++
		}
		if r.OK() != v.valid {
			var xe []string
			for _, e := range v.errors {
				xe = append(xe, fmt.Sprintf("line %d %s: %s", e.line, e.element, e.text))
			}
			t.Errorf("%s, %s: xmllint valid=%v, checker OK=%v\nxmllint: %s\nchecker:%s", j.source, j.name, v.valid, r.OK(),
				strings.Join(xe, "\n\t"), dump(r))
		}
	}
	t.Logf("compared %d variants of %d messages with xmllint (%d invalid, %d valid)", len(jobs), len(sources), invalid,
		len(jobs)-invalid)
}
