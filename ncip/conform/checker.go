package conform

import (
	"fmt"
	"strings"

	"github.com/annexlab/annex/ncip"
)

// MaxFindings is how many findings a report lists; the rest are counted in
// one last finding. A support person reads the first few, and a hostile
// message of 1 MiB with a finding per element must not cost seconds and
// hundreds of megabytes to describe (issue 11, item 3).
const MaxFindings = 100

// checker walks one message and collects findings.
type checker struct {
	s        *schema
	findings []ncip.Finding
	root     *ncip.Element
	// omitted counts the findings past MaxFindings; worst is their highest
	// severity, so that a report's verdict never depends on the cap.
	omitted      int
	worst        ncip.Severity
	firstOmitted int // line of the first omitted finding
	// matching is the element whose children match is reading, at matchingPath.
	matching     *ncip.Element
	matchingPath string
}

func (c *checker) add(rule string, sev ncip.Severity, line int, path, format string, args ...any) {
	if c.over(sev, line) {
		return
	}
	c.findings = append(c.findings, ncip.Finding{Rule: c.s.rule + "." + rule, Severity: sev, Line: line,
		Path: path, Message: fmt.Sprintf(format, args...)})
}

// full reports whether the report already lists MaxFindings findings.
func (c *checker) full() bool { return len(c.findings) >= MaxFindings }

// over counts a finding of sev at line that the report has no room for,
// and reports whether it had none. Callers in loops over hostile input
// ask it before building a message, which costs more than the check.
func (c *checker) over(sev ncip.Severity, line int) bool {
	if !c.full() {
		return false
	}
	if c.omitted == 0 {
		c.firstOmitted = line
	}
	c.worst = max(c.worst, sev)
	c.omitted++
	return true
}

// more is the finding that stands for the omitted ones, if any.
func (c *checker) more() []ncip.Finding {
	if c.omitted == 0 {
		return nil
	}
	return []ncip.Finding{{Rule: c.s.rule + ".more", Severity: c.worst, Line: c.firstOmitted,
		Message: fmt.Sprintf("…and %d more findings, from line %d on, not listed (a report lists the first %d)",
			c.omitted, c.firstOmitted, MaxFindings)}}
}

// element checks one declared element and everything below it.
func (c *checker) element(el, parent *ncip.Element, path string) {
	c.namespace(el, parent, path)
	d := c.s.decls[el.Name]
	c.attributes(el, d.kind, path)
	switch d.kind {
	case kComplex:
		c.complex(el, d.model, path)
	case kOpaque:
	default:
		c.leaf(el, d.kind, path)
	}
}

// attributes checks an element's attributes per the version's rules.
func (c *checker) attributes(el *ncip.Element, k kind, path string) {
	if c.s.version == ncip.V1 {
		c.v1Attributes(el, path)
		return
	}
	c.v2Attributes(el, k, path)
}

// namespace reports an element outside the version's namespace, once per
// subtree: when a whole message lacks the namespace, one finding at the
// root says what to add, and the rest is still checked by local name.
func (c *checker) namespace(el, parent *ncip.Element, path string) {
	if el.Space == c.s.ns || (parent != nil && parent.Space == el.Space) || c.over(ncip.Error, el.Line) {
		return
	}
	if c.s.version == ncip.V1 {
		if el.Prefix != "" {
			c.add("namespace", ncip.Error, el.Line, path,
				"%s is in the namespace %q, but NCIP 1 messages have no namespace: write <%s> without the %s: prefix and remove its declaration",
				el.Name, el.Space, el.Name, el.Prefix)
			return
		}
		c.add("namespace", ncip.Error, el.Line, path,
			"%s is in the namespace %q, but NCIP 1 messages have no namespace: remove xmlns=%q", el.Name, el.Space, el.Space)
		return
	}
	decl := "xmlns"
	if el.Prefix != "" {
		decl = "xmlns:" + el.Prefix
	}
	if el.Space == "" {
		c.add("namespace", ncip.Error, el.Line, path,
			"%s is in no namespace, but NCIP 2 elements must be in the NCIP namespace: add %s=%q to it",
			el.Name, decl, c.s.ns)
		return
	}
	c.add("namespace", ncip.Error, el.Line, path,
		"%s is in the namespace %q, but NCIP 2 elements must be in the NCIP namespace: declare %s=%q",
		el.Name, el.Space, decl, c.s.ns)
}

// complex checks element content against a content model, then each child.
func (c *checker) complex(el *ncip.Element, a *automaton, path string) {
	c.stray(el, path)
	names := make([]string, len(el.Children))
	for i, ch := range el.Children {
		names[i] = ch.Name
	}
	// The checker is the sink (a pointer, so nothing is allocated per element).
	c.matching, c.matchingPath = el, path
	wild := a.match(names, c)
	for i, ch := range el.Children {
		cp := c.childPath(path, ch)
		_, declared := c.s.decls[ch.Name]
		switch {
		case wild[i]:
			c.wildcard(ch, el, cp)
		case declared:
			c.element(ch, el, cp)
		case el == c.root && c.s.services[ch.Name] && i == 0:
			// A service annex does not model: only the envelope is checked.
			c.namespace(ch, el, cp)
			c.add("not-modelled", ncip.Info, ch.Line, cp,
				"%s is not modelled by annex; only the envelope was checked", ch.Name)
		}
	}
}

// childPath is the path of a child for its findings; once the report is
// full no finding will show it, and hostile content is spared the copies.
func (c *checker) childPath(path string, ch *ncip.Element) string {
	if c.full() {
		return ""
	}
	return path + "/" + ch.Name
}

// stray reports character data in element-only content.
func (c *checker) stray(el *ncip.Element, path string) {
	if strings.Trim(el.Text, xmlSpace) == "" {
		return
	}
	line := el.TextLine
	if line == 0 {
		line = el.Line
	}
	c.add("text", ncip.Error, line, path, "%s: text %s is not allowed here; %s holds only elements",
		el.Name, snippet(el.Text), el.Name)
}

// snippet quotes the start of some text for a message.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// wildcard checks a child of NCIP 2's Ext, whose xs:any is strict: the child
// must be an element the schema declares, and is then valid per that declaration.
func (c *checker) wildcard(ch, parent *ncip.Element, path string) {
	if _, ok := c.s.decls[ch.Name]; ok && ch.Name != "NCIPMessage" {
		c.element(ch, parent, path)
		return
	}
	c.namespace(ch, parent, path)
	sev := ncip.Error
	if c.s.global[ch.Name] {
		sev = ncip.Info
	}
	if c.over(sev, ch.Line) {
		return
	}
	if sev == ncip.Info {
		c.add("unchecked", ncip.Info, ch.Line, path,
			"%s: the content of %s was not checked; annex models only the elements its services use", parent.Name, ch.Name)
		return
	}
	c.add("content", ncip.Error, ch.Line, path,
		"%s: %s is not an element of the NCIP 2 schema; %s may hold only elements the schema declares", parent.Name,
		ch.Name, parent.Name)
}

// detailed implements issueSink.
func (c *checker) detailed() bool { return !c.full() }

// issue implements issueSink for the element whose content is being matched.
func (c *checker) issue(is issue) { c.content(c.matching, c.matchingPath, is) }

// content turns a content-model issue into a finding.
func (c *checker) content(el *ncip.Element, path string, is issue) {
	line := el.Line
	if is.child >= 0 {
		line = el.Children[is.child].Line
	}
	if c.over(ncip.Error, line) {
		return
	}
	if is.kind == issueIncomplete {
		if el == c.root && el.Name == "NCIPMessage" {
			c.add("content", ncip.Error, el.Line, path,
				"NCIPMessage: a service element (such as CheckOutItem), message-level Problems or Ext is required")
			return
		}
		if is.missing == nil {
			c.add("content", ncip.Error, el.Line, path, "%s: its content is incomplete", el.Name)
			return
		}
		what, plural := phrase(is.missing)
		c.add("content", ncip.Error, el.Line, path, "%s: %s %s required", el.Name, what, verb(plural))
		return
	}
	ch := el.Children[is.child]
	cp := path + "/" + ch.Name
	switch is.kind {
	case issueMissing:
		what, plural := phrase(is.missing)
		c.add("content", ncip.Error, ch.Line, cp, "%s: %s %s required before %s", el.Name, what, verb(plural), ch.Name)
	case issueOrder:
		what, _ := phrase(is.missing)
		c.add("content", ncip.Error, ch.Line, cp, "%s: %s must come before %s", el.Name, what, ch.Name)
	default:
		c.add("content", ncip.Error, ch.Line, cp, "%s", c.unexpected(el, ch, is))
	}
}

func (c *checker) unexpected(el, ch *ncip.Element, is issue) string {
	var prev string
	if is.child > 0 {
		prev = el.Children[is.child-1].Name
	}
	if el == c.root && el.Name == "NCIPMessage" {
		if !is.inModel {
			return fmt.Sprintf("NCIPMessage: %s is not an NCIP message; the body must be one service element "+
				"such as CheckOutItem, or message-level Problems", ch.Name)
		}
		if is.repeated {
			return fmt.Sprintf("NCIPMessage: a second %s is not allowed; a message holds exactly one service element", ch.Name)
		}
		return fmt.Sprintf("NCIPMessage: %s is not allowed after %s; a message holds exactly one service element",
			ch.Name, prev)
	}
	var msg string
	switch {
	case is.repeated && is.inModel:
		msg = fmt.Sprintf("%s: a second %s is not allowed", el.Name, ch.Name)
	case is.inModel && prev != "":
		msg = fmt.Sprintf("%s: %s is not allowed after %s", el.Name, ch.Name, prev)
	case is.inModel:
		msg = fmt.Sprintf("%s: %s is not allowed here", el.Name, ch.Name)
	default:
		msg = fmt.Sprintf("%s: %s is not allowed in %s", el.Name, ch.Name, el.Name)
	}
	switch n := len(is.expected); {
	case n == 0 && prev == "":
		return msg + "; " + el.Name + " must be empty"
	case n == 0:
		return msg + "; nothing may follow " + prev
	case n == 1:
		return msg + "; expected " + label(is.expected[0])
	case n > 10:
		return msg + "; expected one of " + strings.Join(labels(is.expected[:10]), ", ") + ", …"
	}
	return msg + "; expected one of " + strings.Join(labels(is.expected), ", ")
}

func label(name string) string {
	if name == "" {
		return "any element"
	}
	return name
}

func labels(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = label(n)
	}
	return out
}

func verb(plural bool) string {
	if plural {
		return "are"
	}
	return "is"
}

// phrase renders a run of missing elements: "ItemId", "UserId or
// AuthenticationInput", "(UserId or AuthenticationInput) and ItemId".
func phrase(layers [][]string) (string, bool) {
	parts := make([]string, len(layers))
	for i, alts := range layers {
		p := orList(labels(alts))
		if len(layers) > 1 && len(alts) > 1 {
			p = "(" + p + ")"
		}
		parts[i] = p
	}
	if len(parts) == 1 {
		return parts[0], false
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1], true
}

func orList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// leaf checks an element with simple or empty content.
func (c *checker) leaf(el *ncip.Element, k kind, path string) {
	for _, ch := range el.Children {
		cp := path + "/" + ch.Name
		if k == kEmpty {
			c.add("content", ncip.Error, ch.Line, cp, "%s: %s is not allowed; %s is a flag and must be empty",
				el.Name, ch.Name, el.Name)
		} else {
			c.add("content", ncip.Error, ch.Line, cp, "%s: %s is not allowed; %s holds text only",
				el.Name, ch.Name, el.Name)
		}
	}
	if k == kEmpty {
		if el.Text != "" {
			line := el.TextLine
			if line == 0 {
				line = el.Line
			}
			c.add("content", ncip.Error, line, path, "%s is a flag and must be empty, not even whitespace: write <%s/>",
				el.Name, qname(el.Prefix, el.Name))
		}
		return
	}
	if len(el.Children) > 0 {
		return
	}
	c.value(el, k, path)
}

// value checks the text of a simple-typed element.
func (c *checker) value(el *ncip.Element, k kind, path string) {
	v := el.Text
	// NCIP 1 has no datatypes, only conventions: a bad value is a warning there.
	sev := ncip.Error
	if c.s.version == ncip.V1 {
		sev = ncip.Warning
	}
	var p valueProblem
	var want string
	switch k {
	case kSchemeValue, kString:
		if emptyMatters(el.Name) && strings.Trim(v, xmlSpace) == "" {
			allowed := "the schema allows it"
			if c.s.version == ncip.V1 {
				allowed = "real clients send it"
			}
			c.add("empty-value", ncip.Warning, el.Line, path,
				"%s is empty: %s, but the receiving system cannot match an empty %s", el.Name, allowed, el.Name)
		}
		return
	case kDateTime:
		p, want = checkDateTime(v), "a date and time such as 2022-06-20T00:00:00Z (xs:dateTime)"
	case kInteger:
		p, want = checkInteger(v, -1), "a whole number (xs:integer)"
	case kNonNegativeInteger:
		p, want = checkInteger(v, 0), "a whole number, 0 or more (xs:nonNegativeInteger)"
	case kPositiveInteger:
		p, want = checkInteger(v, 1), "a whole number, 1 or more (xs:positiveInteger)"
	}
	line := el.TextLine
	if line == 0 {
		line = el.Line
	}
	switch p {
	case valueInvalid:
		c.add("value", sev, line, path, "%s: %s is not valid; expected %s", el.Name, snippet(v), want)
	case valueUnportable:
		what := "has whitespace around it"
		if k != kDateTime {
			what = fmt.Sprintf("has more than %d digits", maxLibxml2Digits)
		}
		c.add("value-portability", ncip.Warning, line, path,
			"%s: %s %s: valid per XML Schema, but libxml2-based validators such as xmllint reject it",
			el.Name, snippet(v), what)
	}
}

// emptyMatters names the coded values and identifiers a peer cannot act on when empty.
func emptyMatters(name string) bool {
	switch name {
	case "AgencyId", "RequestType", "Scheme", "Value":
		return true
	}
	return strings.HasSuffix(name, "IdentifierValue")
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// rootIsMessage reports whether the root element is NCIPMessage; when it
// is not, it says so, and still checks a root that is some other element
// the schema declares (a bare service element, say).
func (c *checker) rootIsMessage(root *ncip.Element, path string, version int) bool {
	if root.Name == "NCIPMessage" {
		return true
	}
	c.add("root", ncip.Error, root.Line, path,
		"the root element is %s; an NCIP %d message is an NCIPMessage element holding the service element", root.Name, version)
	if _, ok := c.s.decls[root.Name]; ok {
		c.element(root, nil, path)
	}
	return false
}
