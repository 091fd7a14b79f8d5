// Package conform is annex's NCIP conformance checker. It tells a support
// person everything that is wrong with one NCIP message at once (the first
// MaxFindings findings, and how many more), each finding with the line and
// element at fault and what to do about it.
//
// NCIP 2 messages are checked against the content models and simple types of
// the official NCIP 2.02 XML Schema, generated into Go (v2schema_gen.go) for the
// services annex models; the verdict agrees with xmllint's on them. Other
// services get the envelope checks only. NCIP 1 messages, for which there is
// no public DTD, are checked for the structure ALEPH and its peers use.
package conform

import (
	"fmt"
	"sort"

	"github.com/annexlab/annex/ncip"
)

// Report is the verdict on one message.
type Report struct {
	// Version is the protocol version the message was read as.
	Version ncip.Version
	// Service is the service or response element, such as "CheckOutItem" or
	// "CheckInItemResponse"; "Problem" for a bare message-level Problem; "" if none.
	Service string
	// Modelled reports whether annex models Service, so that its content was
	// checked to the leaves (a bare Problem counts as modelled).
	Modelled bool
	// Findings are sorted by line, then rule. They include what the parser
	// tolerated (ncip.Document.Notes) and how the version was detected.
	// At most MaxFindings are listed; a last finding (rule "v1.more" or
	// "v2.more") counts the rest and has their highest severity.
	Findings []ncip.Finding
}

// OK reports whether the message has no Error findings.
func (r Report) OK() bool { return !ncip.HasErrors(r.Findings) }

// Check parses and checks one message. The error is only for input that
// cannot be read at all (*ncip.SyntaxError, *ncip.TooLargeError, wrapped).
func Check(data []byte) (Report, error) {
	doc, err := ncip.Parse(data, ncip.ParseOptions{})
	if err != nil {
		return Report{}, fmt.Errorf("check: %w", err)
	}
	return CheckDocument(doc), nil
}

// CheckDocument checks an already parsed message.
func CheckDocument(doc *ncip.Document) Report {
	ver, detected := ncip.DetectVersion(doc)
	c := &checker{}
	c.findings = append(c.findings, doc.Notes...)
	c.findings = append(c.findings, detected...)
	r := Report{Version: ver}
	if ver == ncip.V1 {
		c.s = v1Schema
		c.checkV1(doc)
	} else {
		c.s = v2Schema
		c.checkV2(doc)
	}
	r.Service = serviceOf(doc.Root, c.s)
	r.Modelled = r.Service == "Problem" || (r.Service != "" && c.s.modelled(r.Service))
	sort.SliceStable(c.findings, func(i, j int) bool {
		a, b := c.findings[i], c.findings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	r.Findings = append(c.findings, c.more()...)
	return r
}

// serviceOf names the message body: the service element, "Problem" for
// message-level Problems, or the root itself when it is a service sent bare.
func serviceOf(root *ncip.Element, s *schema) string {
	if root.Name != "NCIPMessage" {
		if s.services[root.Name] {
			return root.Name
		}
		return ""
	}
	if el := ncip.ServiceElement(root); el != nil {
		return el.Name
	}
	if len(root.Children) > 0 && root.Children[0].Name == "Problem" {
		return "Problem"
	}
	return ""
}
