package conform

import (
	"fmt"
	"strings"
	"testing"
)

func describe(issues []issue) string {
	var out []string
	for _, is := range issues {
		var s string
		switch is.kind {
		case issueMissing:
			s = fmt.Sprintf("missing%v before #%d", is.missing, is.child)
		case issueOrder:
			s = fmt.Sprintf("order%v before #%d", is.missing, is.child)
		case issueUnexpected:
			s = fmt.Sprintf("unexpected #%d expected%v repeated=%v inModel=%v", is.child, is.expected, is.repeated, is.inModel)
		case issueIncomplete:
			s = fmt.Sprintf("incomplete%v", is.missing)
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// collect keeps every issue, described in full.
type collect []issue

func (*collect) detailed() bool   { return true }
func (c *collect) issue(is issue) { *c = append(*c, is) }

func TestAutomaton(t *testing.T) {
	counted := seq("A", particle{kind: pElement, name: "B", min: 2, max: 3}, opt(choice("C", seq("D", "E"))), "F*")
	tests := []struct {
		model particle
		names string
		want  string
	}{
		{counted, "A B B", ""},
		{counted, "A B B B F F", ""},
		{counted, "A B B B B", "unexpected #4 expected[C D F] repeated=true inModel=true"},
		{counted, "A B", "incomplete[[B]]"},
		{counted, "", "incomplete[[A] [B] [B]]"},
		{counted, "A B B D", "incomplete[[E]]"},
		{counted, "A B B E", "missing[[D]] before #3"},
		{counted, "B A B", "order[[A]] before #0"},
		{counted, "A B B X F", "unexpected #3 expected[B C D F] repeated=false inModel=false"},
		{seq("H?", choice("U", "I+"), "T"), "H T", "missing[[U I]] before #1"},
		{seq("H?", choice("U", "I+"), "T"), "T", "missing[[U I]] before #0"},
		{seq("H?", choice("U", "I+"), "T", "R"), "H R", "missing[[U I] [T]] before #1"},
		{seq(wildcard()), "X Y X", ""},
		{seq("P+", "X?"), "P P X P", "unexpected #3 expected[] repeated=true inModel=true"},
	}
	for _, tc := range tests {
		var issues collect
		compile(tc.model).match(strings.Fields(tc.names), &issues)
		if got := describe(issues); got != tc.want {
			t.Errorf("%s on %q:\n got %s\nwant %s", render(tc.model), tc.names, got, tc.want)
		}
	}
	wild := compile(seq("A", wildcard())).match([]string{"A", "B"}, new(collect))
	if wild[0] || !wild[1] {
		t.Errorf("wild = %v", wild)
	}
}

func TestPhrase(t *testing.T) {
	for _, tc := range []struct {
		layers [][]string
		want   string
	}{
		{[][]string{{"ItemId"}}, "ItemId"},
		{[][]string{{"UserId", "AuthenticationInput"}}, "UserId or AuthenticationInput"},
		{[][]string{{"A", "B", "C"}}, "A, B or C"},
		{[][]string{{"UserId", "AuthenticationInput"}, {"ItemId"}}, "(UserId or AuthenticationInput) and ItemId"},
		{[][]string{{"A"}, {"B"}, {"C"}}, "A, B and C"},
	} {
		if got, _ := phrase(tc.layers); got != tc.want {
			t.Errorf("phrase(%v) = %q, want %q", tc.layers, got, tc.want)
		}
	}
}

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want valueProblem
	}{
		{"2010-11-18T16:17:03.291Z", valueOK},
		{"2010-11-18T16:17:03", valueOK},
		{"-2010-11-18T16:17:03", valueOK},
		{"12010-11-18T00:00:00", valueOK},
		{"2012-02-29T00:00:00", valueOK},
		{"2010-11-18T24:00:00", valueOK},
		{"2010-11-18T00:00:00+14:00", valueOK},
		{"2010-11-18T00:00:00-13:59", valueOK},
		{" 2010-11-18T16:17:03\n", valueUnportable},
		{"2010-11-18", valueInvalid},
		{"2010-02-30T00:00:00", valueInvalid},
		{"2011-02-29T00:00:00", valueInvalid},
		{"2010-11-18T24:00:01", valueInvalid},
		{"2010-11-18T23:59:60", valueInvalid},
		{"+2010-11-18T00:00:00", valueInvalid},
		{"0000-01-01T00:00:00", valueInvalid},
		{"02010-11-18T00:00:00", valueInvalid},
		{"2010-11-18T00:00:00+14:01", valueInvalid},
		{"2010-11-18T00:00:00.Z", valueInvalid},
		{"2010-11-18T1:00:00", valueInvalid},
		{"2010-11-18t10:00:00", valueInvalid},
		{"2010-11-18T10:00:00+0100", valueInvalid},
		{"2010-11-18 T10:00:00", valueInvalid},
	} {
		if got := checkDateTime(tc.v); got != tc.want {
			t.Errorf("checkDateTime(%q) = %d, want %d", tc.v, got, tc.want)
		}
	}
	for _, tc := range []struct {
		v    string
		min  int
		want valueProblem
	}{
		{"0", 0, valueOK}, {"-0", 0, valueOK}, {"+0", 0, valueOK}, {" 12 ", -1, valueOK}, {"+01", 1, valueOK},
		{"-5", -1, valueOK}, {"999999999999999999999999", 0, valueOK},
		{"9999999999999999999999999", 0, valueUnportable}, {"0000000000000000000000001", 1, valueOK},
		{"", -1, valueInvalid}, {"-", -1, valueInvalid}, {"1.0", -1, valueInvalid}, {"1 2", -1, valueInvalid},
		{"-1", 0, valueInvalid}, {"0", 1, valueInvalid}, {"-0", 1, valueInvalid}, {"000", 1, valueInvalid},
		{"１", -1, valueInvalid},
	} {
		if got := checkInteger(tc.v, tc.min); got != tc.want {
			t.Errorf("checkInteger(%q, %d) = %d, want %d", tc.v, tc.min, got, tc.want)
		}
	}
	for v, want := range map[string]valueProblem{
		"http://www.niso.org/ncip/v1_0/schemes/agency.scm": valueOK, "a b": valueOK, "": valueOK, "ü": valueOK,
		"%zz": valueInvalid, "http://[x": valueInvalid, "::": valueInvalid, "a#b#c": valueInvalid,
	} {
		if got := checkAnyURI(v); got != want {
			t.Errorf("checkAnyURI(%q) = %d, want %d", v, got, want)
		}
	}
}

// render writes a particle in one canonical form, for readable failures.
func render(p particle) string {
	var s string
	switch p.kind {
	case pElement:
		s = p.name
	case pWildcard:
		s = "any"
	default:
		sep := ", "
		if p.kind == pChoice {
			sep = " | "
		}
		parts := make([]string, len(p.items))
		for i, it := range p.items {
			parts[i] = render(it)
		}
		s = "(" + strings.Join(parts, sep) + ")"
	}
	if p.min != 1 || p.max != 1 {
		s += fmt.Sprintf("{%d,%d}", p.min, p.max)
	}
	return s
}

