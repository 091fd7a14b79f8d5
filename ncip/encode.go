package ncip

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Style is how a message is written. The zero value is the default: NCIP 2
// with the ns1 prefix, an XML declaration, one line — output that validates
// against the NCIP 2.02 schema. NCIP 1 output gets ALEPH's DOCTYPE. A
// library profile chooses a style to reproduce what a particular site's
// facility sends (docs/libraries.md, NCIP style).
type Style struct {
	// Prefix is the NCIP 2 namespace prefix; "" means "ns1".
	Prefix string
	// DefaultNamespace writes unprefixed elements under xmlns="…"; the
	// version and Scheme attributes stay qualified through Prefix, as the
	// schema requires.
	DefaultNamespace bool
	// NoNamespace writes NCIP 2 without any namespace and with unqualified
	// attributes, as some clients do. Real ALMA rejects it; the schema too.
	NoNamespace bool
	// UnqualifiedVersion writes version="…" instead of the qualified attribute (not schema-valid).
	UnqualifiedVersion bool
	// OmitDeclaration drops the <?xml …?> declaration.
	OmitDeclaration bool
	// Standalone adds standalone="yes" to the declaration, as ALMA writes it.
	Standalone bool
	// Indent, when not empty, puts each element on its own line indented by
	// this string per level; when empty the message is one line.
	Indent string
	// Version is the NCIP 2 version attribute to write when Message.VersionURI
	// is empty; "" means VersionV2_02Imp1.
	Version string
	// V1Version is the same for NCIP 1; "" means VersionV1_0.
	V1Version string
	// DocType controls the NCIP 1 DOCTYPE.
	DocType DocType
	// SchemeDefaults fills an empty Scheme by the coded value's element name
	// (for example "UniqueAgencyId" or "ApplicationProfileType"). In NCIP 1 an
	// empty Scheme is written as an empty <Scheme></Scheme>, as ALEPH clients do.
	SchemeDefaults map[string]string
}

// DocType is the NCIP 1 document type declaration.
type DocType struct {
	// Omit writes no DOCTYPE.
	Omit bool
	// PublicID defaults to "-//NISO//NCIP DTD Version 1//EN"; set SystemOnly for a SYSTEM declaration.
	PublicID string
	// SystemID defaults to the NCIP 1.0 DTD URL.
	SystemID   string
	SystemOnly bool
}

// Default NCIP 1 DOCTYPE identifiers, as ALEPH writes them.
const (
	DefaultDocTypePublicID = "-//NISO//NCIP DTD Version 1//EN"
	DefaultDocTypeSystemID = "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"
)

// Encode writes a message in the given style. The same message and style
// always give the same bytes. It fails when a field the protocol requires is
// missing, so a workflow bug surfaces here rather than as a peer's Problem.
func Encode(m *Message, s Style) ([]byte, error) {
	if m == nil || m.Body == nil {
		return nil, errors.New("encode ncip: message has no body")
	}
	if m.Version != V1 && m.Version != V2 {
		return nil, fmt.Errorf("encode ncip: unknown version %d", int(m.Version))
	}
	if err := checkRequired(m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Body.ServiceName(), err)
	}
	w := &writer{s: s, v: m.Version}
	// Most messages are 1–2 kB; growing once avoids repeated copying.
	w.buf.Grow(2048)
	if w.s.Prefix == "" {
		w.s.Prefix = "ns1"
	}
	w.prolog()
	ver := cmp.Or(m.VersionURI, s.Version, VersionV2_02Imp1)
	if m.Version == V1 {
		ver = cmp.Or(m.VersionURI, s.V1Version, VersionV1_0)
	}
	w.rootOpen(ver)
	if err := w.body(m.Body); err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Body.ServiceName(), err)
	}
	w.close("NCIPMessage")
	if s.Indent != "" {
		w.buf.WriteByte('\n')
	}
	return w.buf.Bytes(), nil
}

// FormatDateTime writes a time the way ALMA does (2022-06-20T00:00:00.000Z), in UTC.
func FormatDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// ParseDateTime reads an xs:dateTime as peers write it, with or without fractional seconds and zone.
func ParseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse date-time %q: not an xs:dateTime", s)
}

func checkRequired(m *Message) error {
	if m.Version == V1 && !writtenInV1(m.Body.ServiceName()) {
		switch m.Body.(type) {
		case *Unmodelled, *ProblemResponse:
		default:
			return fmt.Errorf("%s is not modelled for NCIP 1", m.Body.ServiceName())
		}
	}
	if err := checkService(m.Body); err != nil {
		return err
	}
	switch b := m.Body.(type) {
	case *ProblemResponse:
		if len(b.Problems) == 0 {
			return errors.New("at least one Problem is required")
		}
	case *Unmodelled:
		if b.Element == nil {
			return errors.New("no content")
		}
	}
	return nil
}

type writer struct {
	buf   bytes.Buffer
	s     Style
	v     Version
	depth int
	// open is true while a start tag has been written and no child yet, so
	// the end tag of an element with children goes on its own line.
	hadChild []bool
}

func (w *writer) prolog() {
	if !w.s.OmitDeclaration {
		w.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"`)
		if w.s.Standalone {
			w.buf.WriteString(` standalone="yes"`)
		}
		w.buf.WriteString("?>")
		w.nl()
	}
	if w.v == V1 && !w.s.DocType.Omit {
		pub, sys := w.s.DocType.PublicID, w.s.DocType.SystemID
		if pub == "" {
			pub = DefaultDocTypePublicID
		}
		if sys == "" {
			sys = DefaultDocTypeSystemID
		}
		if w.s.DocType.SystemOnly {
			fmt.Fprintf(&w.buf, `<!DOCTYPE NCIPMessage SYSTEM "%s">`, sys)
		} else {
			fmt.Fprintf(&w.buf, `<!DOCTYPE NCIPMessage PUBLIC "%s" "%s">`, pub, sys)
		}
		w.nl()
	}
}

func (w *writer) nl() {
	if w.s.Indent != "" {
		w.buf.WriteByte('\n')
	}
}

func (w *writer) qualified() bool { return w.v == V2 && !w.s.NoNamespace }

// startTag writes "<" and the element's name; endTag writes "</name>".
// They write the pieces rather than concatenate them: the encoder sits in
// every simulator reply, and the concatenations showed in its profile.
func (w *writer) startTag(local string) {
	w.buf.WriteByte('<')
	w.writeName(local)
}

func (w *writer) endTag(local string) {
	w.buf.WriteString("</")
	w.writeName(local)
	w.buf.WriteByte('>')
}

func (w *writer) writeName(local string) {
	if w.qualified() && !w.s.DefaultNamespace {
		w.buf.WriteString(w.s.Prefix)
		w.buf.WriteByte(':')
	}
	w.buf.WriteString(local)
}

func (w *writer) attrName(local string) string {
	if w.qualified() {
		return w.s.Prefix + ":" + local
	}
	return local
}

func (w *writer) rootOpen(version string) {
	w.startTag("NCIPMessage")
	if w.qualified() {
		if w.s.DefaultNamespace {
			w.attr("xmlns", Namespace)
		}
		w.attr("xmlns:"+w.s.Prefix, Namespace)
	}
	if w.s.UnqualifiedVersion || !w.qualified() {
		w.attr("version", version)
	} else {
		w.attr(w.attrName("version"), version)
	}
	w.buf.WriteByte('>')
	w.hadChild = append(w.hadChild, false)
	w.depth++
}

func (w *writer) indent() {
	if w.s.Indent == "" {
		return
	}
	w.buf.WriteByte('\n')
	for range w.depth {
		w.buf.WriteString(w.s.Indent)
	}
}

func (w *writer) markChild() {
	if n := len(w.hadChild); n > 0 {
		w.hadChild[n-1] = true
	}
}

// begin writes a child element's start tag, on a line of its own when indenting.
func (w *writer) begin(local string, attrs ...[2]string) {
	w.markChild()
	w.indent()
	w.startTag(local)
	for _, a := range attrs {
		w.attr(a[0], a[1])
	}
	w.buf.WriteByte('>')
}

func (w *writer) open(local string, attrs ...[2]string) {
	w.begin(local, attrs...)
	w.hadChild = append(w.hadChild, false)
	w.depth++
}

func (w *writer) close(local string) {
	w.depth--
	n := len(w.hadChild)
	if w.hadChild[n-1] {
		w.indent()
	}
	w.hadChild = w.hadChild[:n-1]
	w.endTag(local)
}

func (w *writer) attr(name, value string) {
	w.buf.WriteString(" " + name + `="`)
	escapeAttr(&w.buf, value)
	w.buf.WriteByte('"')
}

// leaf writes <name>text</name>, empty elements included: an empty element
// the caller asked for is meaningful (an empty RequestType is still a RequestType).
func (w *writer) leaf(local, text string, attrs ...[2]string) {
	w.begin(local, attrs...)
	escapeText(&w.buf, text)
	w.endTag(local)
}

func (w *writer) optLeaf(local, text string) {
	if text != "" {
		w.leaf(local, text)
	}
}

func (w *writer) flag(local string, set bool) {
	if !set {
		return
	}
	w.begin(local)
	w.endTag(local)
}

// sv writes a coded value in the version's shape.
func (w *writer) sv(local string, v SchemeValue) {
	scheme := v.Scheme
	if scheme == "" {
		scheme = w.s.SchemeDefaults[local]
	}
	if w.v == V1 {
		w.open(local)
		w.leaf("Scheme", scheme)
		w.leaf("Value", v.Value)
		w.close(local)
		return
	}
	if scheme != "" {
		w.leaf(local, v.Value, [2]string{w.attrName("Scheme"), scheme})
		return
	}
	w.leaf(local, v.Value)
}

func (w *writer) optSV(local string, v *SchemeValue) {
	if v != nil {
		w.sv(local, *v)
	}
}

func (w *writer) svList(local string, list []SchemeValue) {
	for _, v := range list {
		w.sv(local, v)
	}
}

// agency writes FromAgencyId/ToAgencyId/OnBehalfOfAgency around the agency code.
func (w *writer) agency(local string, v *SchemeValue) {
	if v == nil {
		return
	}
	w.open(local)
	w.sv(w.spelled("AgencyId"), *v)
	w.close(local)
}

func (w *writer) agencyID(v *SchemeValue) {
	if v == nil {
		return
	}
	w.sv(w.spelled("AgencyId"), *v)
}

// spelled names an element in the message's version: ItemId or UniqueItemId.
func (w *writer) spelled(local string) string {
	if w.v == V1 {
		return v1Name(local)
	}
	return local
}

func (w *writer) itemID(id *ItemId) {
	if id != nil {
		w.identifier("ItemId", "ItemIdentifierType", "ItemIdentifierValue", id.AgencyId, id.ItemIdentifierType, id.ItemIdentifierValue)
	}
}

func (w *writer) userID(id *UserId) {
	if id != nil {
		w.identifier("UserId", "UserIdentifierType", "UserIdentifierValue", id.AgencyId, id.UserIdentifierType, id.UserIdentifierValue)
	}
}

func (w *writer) requestID(id *RequestId) {
	if id != nil {
		w.identifier("RequestId", "RequestIdentifierType", "RequestIdentifierValue", id.AgencyId, id.RequestIdentifierType, id.RequestIdentifierValue)
	}
}

// identifier writes an ItemId, UserId or RequestId (name, spelled for the
// message's version) with its agency, type and value; the decoder's
// identifier reads them back.
func (w *writer) identifier(name, typeName, valueName string, agency, typ *SchemeValue, value string) {
	w.open(w.spelled(name))
	w.agencyID(agency)
	w.optSV(typeName, typ)
	w.leaf(valueName, value)
	w.close(w.spelled(name))
}

func (w *writer) authInputs(list []AuthenticationInput) {
	for _, ai := range list {
		w.open("AuthenticationInput")
		w.leaf("AuthenticationInputData", ai.AuthenticationInputData)
		w.sv("AuthenticationDataFormatType", ai.AuthenticationDataFormatType)
		w.sv("AuthenticationInputType", ai.AuthenticationInputType)
		w.close("AuthenticationInput")
	}
}

func (w *writer) problems(list []Problem) {
	for _, p := range list {
		w.open("Problem")
		if w.v == V1 {
			kind := "Processing"
			if p.V1Messaging {
				kind = "Messaging"
			}
			w.open(kind + "Error")
			w.sv(kind+"ErrorType", p.ProblemType)
			w.v1ErrorElements(kind, p)
			w.close(kind + "Error")
		} else {
			w.sv("ProblemType", p.ProblemType)
			w.optLeaf("ProblemDetail", p.ProblemDetail)
			w.optLeaf("ProblemElement", p.ProblemElement)
			w.optLeaf("ProblemValue", p.ProblemValue)
		}
		w.close("Problem")
	}
}

// v1ErrorElements nests one *ErrorElement per name in ProblemElement, the value innermost.
func (w *writer) v1ErrorElements(kind string, p Problem) {
	var names []string
	for _, n := range strings.Split(p.ProblemElement, "/") {
		if n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	for i, n := range names {
		w.open(kind + "ErrorElement")
		w.leaf("ElementName", n)
		if i == len(names)-1 && p.ProblemValue != "" {
			w.leaf(kind+"ErrorValue", p.ProblemValue)
		}
	}
	for range names {
		w.close(kind + "ErrorElement")
	}
}

// raw writes a kept subtree in the message's style.
func (w *writer) raw(el *Element) {
	if el == nil {
		return
	}
	w.markChild()
	w.indent()
	w.startTag(el.Name)
	attrs := append([]Attr(nil), el.Attrs...)
	sort.SliceStable(attrs, func(i, j int) bool { return attrs[i].Space < attrs[j].Space })
	foreign := map[string]string{}
	for _, a := range attrs {
		switch {
		case a.Space == "":
			w.attr(a.Name, a.Value)
		case a.Space == Namespace:
			w.attr(w.attrName(a.Name), a.Value)
		case a.Space == xmlNamespace:
			// The xml prefix is bound by definition and must not be redeclared.
			w.attr("xml:"+a.Name, a.Value)
		default:
			p, ok := foreign[a.Space]
			if !ok {
				p = fmt.Sprintf("a%d", len(foreign)+1)
				foreign[a.Space] = p
				w.attr("xmlns:"+p, a.Space)
			}
			w.attr(p+":"+a.Name, a.Value)
		}
	}
	w.buf.WriteByte('>')
	if len(el.Children) == 0 {
		escapeText(&w.buf, el.Text)
		w.endTag(el.Name)
		return
	}
	w.hadChild = append(w.hadChild, false)
	w.depth++
	if el.Text != "" {
		escapeText(&w.buf, el.Text)
	}
	for _, c := range el.Children {
		w.raw(c)
	}
	w.close(el.Name)
}

func (w *writer) body(b Body) error {
	if w.encodeService(b) {
		return nil
	}
	switch m := b.(type) {
	case *ProblemResponse:
		w.problems(m.Problems)
		w.raw(m.Ext)
	case *Unmodelled:
		w.raw(m.Element)
	default:
		return fmt.Errorf("unsupported body type %T", b)
	}
	return nil
}

// choose picks the branch of an xs:choice the generated encoders write. A
// response with Problems reports failure only: when problems is set, the
// branch at problemsAt. Otherwise the branch with the most fields set, the
// first on a tie (so an unset choice writes its first branch's nothing).
func choose(problems bool, problemsAt int, set ...int) int {
	if problems && problemsAt >= 0 {
		return problemsAt
	}
	best := 0
	for i, n := range set {
		if i != problemsAt && (n > set[best] || best == problemsAt) {
			best = i
		}
	}
	return best
}

// countSet counts the fields of a choice's branch that hold a value.
func countSet(fields ...bool) int {
	n := 0
	for _, f := range fields {
		if f {
			n++
		}
	}
	return n
}

func escapeText(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#13;")
		default:
			writeXMLRune(b, r)
		}
	}
}

// writeXMLRune replaces characters XML 1.0 cannot carry, so output is always well-formed.
func writeXMLRune(b *bytes.Buffer, r rune) {
	if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
		r = '\uFFFD'
	}
	b.WriteRune(r)
}

func escapeAttr(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#9;")
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			b.WriteString("&#13;")
		default:
			writeXMLRune(b, r)
		}
	}
}
