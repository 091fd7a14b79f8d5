package ncip

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotNCIP is returned (wrapped) when well-formed XML is not an NCIPMessage.
var ErrNotNCIP = errors.New("not an NCIP message")

// Decode reads an NCIP 1 or NCIP 2 message as tolerantly as the real systems
// do (see Parse) and returns it typed, with findings for everything it had to
// tolerate or could not place: an element the typed model does not hold is
// reported, never silently dropped (past the first 100, counted in one
// last finding). Conformance is the checker's job
// (package ncip/conform); Decode only fails on input it cannot read as NCIP.
func Decode(data []byte, opts ParseOptions) (*Message, []Finding, error) {
	doc, err := Parse(data, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("decode ncip: %w", err)
	}
	return DecodeDocument(doc)
}

// DecodeDocument types an already parsed message.
func DecodeDocument(doc *Document) (*Message, []Finding, error) {
	root := doc.Root
	if root.Name != "NCIPMessage" {
		return nil, nil, fmt.Errorf("decode ncip: line %d: root element is <%s>, expected <NCIPMessage>: %w", root.Line, root.Name, ErrNotNCIP)
	}
	v, vf := DetectVersion(doc)
	d := &decoder{version: v}
	d.findings = append(d.findings, doc.Notes...)
	d.findings = append(d.findings, vf...)
	msg := &Message{Version: v}
	ver, _, _ := VersionAttr(root)
	msg.VersionURI = strings.Clone(ver)

	svc := ServiceElement(root)
	path := "/NCIPMessage"
	switch {
	case svc != nil:
		msg.Body = d.service(svc, path+"/"+svc.Name)
		for _, c := range root.Children {
			if c != svc {
				d.ignored(c, path)
			}
		}
	case root.Child("Problem") != nil:
		pr := &ProblemResponse{}
		for _, c := range root.Children {
			switch c.Name {
			case "Problem":
				pr.Problems = append(pr.Problems, d.problem(c, path))
			case "Ext":
				pr.Ext = plain(c)
			}
		}
		msg.Body = pr
	default:
		return nil, d.done(), fmt.Errorf("decode ncip: line %d: NCIPMessage holds no service: %w", root.Line, ErrNotNCIP)
	}
	return msg, d.done(), nil
}

// maxIgnored caps the decode.ignored findings of one message; one more
// counts the rest, so 1 MiB of stray elements costs a count each rather
// than a finding each (issue 11, item 3).
const maxIgnored = 100

type decoder struct {
	version  Version
	findings []Finding
	// ignoredN counts the children reported by ignored, listed or not;
	// moreLine is the line of the first one not listed.
	ignoredN, moreLine int
}

// ignored records a child the typed model has no place for.
func (d *decoder) ignored(el *Element, parentPath string) {
	d.ignoredN++
	if d.ignoredN > maxIgnored {
		if d.moreLine == 0 {
			d.moreLine = el.Line
		}
		return
	}
	d.findings = append(d.findings, Finding{Rule: "decode.ignored", Severity: Warning, Line: el.Line,
		Path:    parentPath + "/" + el.Name,
		Message: fmt.Sprintf("%s is not expected in %s and was ignored", el.Name, lastName(parentPath))})
}

// done adds the finding that counts the ignored children not listed, and
// returns the findings.
func (d *decoder) done() []Finding {
	if n := d.ignoredN - maxIgnored; n > 0 {
		d.findings = append(d.findings, Finding{Rule: "decode.more", Severity: Warning, Line: d.moreLine,
			Message: fmt.Sprintf("…and %d more elements not expected where they are, from line %d on, ignored and not listed",
				n, d.moreLine)})
	}
	return d.findings
}

func lastName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// text returns an element's value with surrounding whitespace removed, as the
// real systems read identifiers and codes out of pretty-printed messages.
// It is a copy: the parser's strings share the whole message's memory, and
// a typed message (a mock's loan record, say) outlives the parse.
func text(el *Element) string { return strings.Clone(strings.TrimSpace(el.Text)) }

// sv reads a coded value: text and Scheme attribute in v2, Scheme and Value
// children in v1. Either shape is accepted in either version, since peers mix them.
func (d *decoder) sv(el *Element) SchemeValue {
	if s, v := el.Child("Scheme"), el.Child("Value"); s != nil || v != nil {
		out := SchemeValue{}
		if s != nil {
			out.Scheme = text(s)
		}
		if v != nil {
			out.Value = text(v)
		}
		return out
	}
	scheme, _ := el.Attr("*", "Scheme")
	return SchemeValue{Scheme: strings.Clone(scheme), Value: text(el)}
}

// ptr returns a pointer to a copy of v, for optional fields.
func ptr[T any](v T) *T { return &v }

// agency reads FromAgencyId/ToAgencyId/OnBehalfOfAgency: AgencyId inside in v2, UniqueAgencyId in v1.
func (d *decoder) agency(el *Element, path string) SchemeValue {
	var out SchemeValue
	for _, c := range el.Children {
		switch c.Name {
		case "AgencyId", v1Name("AgencyId"):
			out = d.sv(c)
		default:
			d.ignored(c, path)
		}
	}
	return out
}

// identifier reads ItemId, UserId and RequestId and their v1 Unique* forms,
// which share one shape: agency, optional type, value.
func (d *decoder) identifier(el *Element, path, valueName, typeName string) (agency, typ *SchemeValue, value string) {
	for _, c := range el.Children {
		switch c.Name {
		case "AgencyId", v1Name("AgencyId"):
			agency = ptr(d.sv(c))
		case typeName:
			typ = ptr(d.sv(c))
		case valueName:
			value = text(c)
		default:
			d.ignored(c, path)
		}
	}
	return agency, typ, value
}

func (d *decoder) itemID(el *Element, path string) ItemId {
	a, t, v := d.identifier(el, path, "ItemIdentifierValue", "ItemIdentifierType")
	return ItemId{AgencyId: a, ItemIdentifierType: t, ItemIdentifierValue: v}
}

func (d *decoder) userID(el *Element, path string) UserId {
	a, t, v := d.identifier(el, path, "UserIdentifierValue", "UserIdentifierType")
	return UserId{AgencyId: a, UserIdentifierType: t, UserIdentifierValue: v}
}

func (d *decoder) requestID(el *Element, path string) RequestId {
	a, t, v := d.identifier(el, path, "RequestIdentifierValue", "RequestIdentifierType")
	return RequestId{AgencyId: a, RequestIdentifierType: t, RequestIdentifierValue: v}
}

func (d *decoder) authInput(el *Element, path string) AuthenticationInput {
	var ai AuthenticationInput
	for _, c := range el.Children {
		switch c.Name {
		case "AuthenticationInputData":
			ai.AuthenticationInputData = text(c)
		case "AuthenticationDataFormatType":
			ai.AuthenticationDataFormatType = d.sv(c)
		case "AuthenticationInputType":
			ai.AuthenticationInputType = d.sv(c)
		default:
			d.ignored(c, path)
		}
	}
	return ai
}

// problem reads a v2 Problem or a v1 Problem/ProcessingError|MessagingError.
func (d *decoder) problem(el *Element, parentPath string) Problem {
	path := parentPath + "/Problem"
	var p Problem
	for _, c := range el.Children {
		switch c.Name {
		case "ProblemType":
			p.ProblemType = d.sv(c)
		case "ProblemDetail":
			p.ProblemDetail = text(c)
		case "ProblemElement":
			p.ProblemElement = text(c)
		case "ProblemValue":
			p.ProblemValue = text(c)
		case "ProcessingError", "MessagingError":
			p.V1Messaging = c.Name == "MessagingError"
			d.v1Error(c, path+"/"+c.Name, &p)
		case "Ext":
		default:
			d.ignored(c, path)
		}
	}
	return p
}

// v1Error flattens an NCIP 1 ProcessingError/MessagingError: its type, and
// the nested *ErrorElement chain into ProblemElement ("UniqueItemId/ItemIdentifierValue")
// and the innermost *ErrorValue.
func (d *decoder) v1Error(el *Element, path string, p *Problem) {
	kind := strings.TrimSuffix(el.Name, "Error") // Processing or Messaging
	var names []string
	for _, c := range el.Children {
		switch c.Name {
		case kind + "ErrorType":
			p.ProblemType = d.sv(c)
		case kind + "ErrorElement":
			cur := c
			cp := path + "/" + c.Name
			for cur != nil {
				var next *Element
				for _, cc := range cur.Children {
					switch cc.Name {
					case "ElementName":
						names = append(names, text(cc))
					case kind + "ErrorValue":
						p.ProblemValue = text(cc)
					case kind + "ErrorElement":
						if next != nil {
							d.ignored(cc, cp)
							continue
						}
						next = cc
					default:
						d.ignored(cc, cp)
					}
				}
				cur = next
				cp += "/" + kind + "ErrorElement"
			}
		default:
			d.ignored(c, path)
		}
	}
	p.ProblemElement = strings.Join(names, "/")
}

// service types the body element: a modelled service (decodeService,
// generated), or one annex does not type, kept whole.
func (d *decoder) service(el *Element, path string) Body {
	if b, ok := d.decodeService(el, path); ok {
		return b
	}
	return &Unmodelled{Name: el.Name, Element: plain(el)}
}

// plain copies a subtree without what depends on how it was written —
// positions, prefixes, namespace declarations, indentation — so that a
// message decoded from two serialisations compares equal and re-encodes in
// the encoder's style.
func plain(el *Element) *Element {
	// Copies, for the reason given at text.
	out := &Element{Name: strings.Clone(el.Name), Text: strings.Clone(el.Text)}
	if len(el.Children) > 0 {
		out.Text = strings.Clone(strings.TrimSpace(el.Text))
	}
	for _, a := range el.Attrs {
		if a.IsNamespaceDecl() {
			continue
		}
		out.Attrs = append(out.Attrs, Attr{Space: strings.Clone(a.Space), Name: strings.Clone(a.Name), Value: strings.Clone(a.Value)})
	}
	for _, c := range el.Children {
		out.Children = append(out.Children, plain(c))
	}
	return out
}
