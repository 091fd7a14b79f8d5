package ncip

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// This is the tree builder Parse used before it had its own tokenizer, kept
// unchanged (only renamed) as the reference the differential tests hold the
// new one to.

type refNSScope struct {
	prefixes map[string]string // prefix ("" = default) → URI
}

// refScope is the namespace scope an element's declarations open. Most
// elements declare nothing; their scope stays a nil map.
func refScope(attrs []xml.Attr) refNSScope {
	var scope refNSScope
	for _, a := range attrs {
		prefix, ok := "", false
		switch {
		case a.Name.Space == "xmlns":
			prefix, ok = a.Name.Local, true
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ok = true
		}
		if ok {
			if scope.prefixes == nil {
				scope.prefixes = map[string]string{}
			}
			scope.prefixes[prefix] = a.Value
		}
	}
	return scope
}

func refBuildTree(text []byte, doc *Document) error {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	// The bytes are already UTF-8 (see toUTF8); whatever the declaration says is only recorded.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	var stack []*Element
	// texts collects each open element's character data; appending to
	// Element.Text directly would copy it again for every fragment.
	var texts []*strings.Builder
	scopes := []refNSScope{{prefixes: map[string]string{"xml": xmlNamespace}}}
	lookup := func(prefix string) (string, bool) {
		for i := len(scopes) - 1; i >= 0; i-- {
			if uri, ok := scopes[i].prefixes[prefix]; ok {
				return uri, true
			}
		}
		return "", prefix == ""
	}
	for {
		line, col := d.InputPos()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return &SyntaxError{Line: se.Line, Msg: se.Msg}
			}
			return &SyntaxError{Line: line, Msg: err.Error()}
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" {
				doc.Decl = parseDecl(string(t.Inst), line)
			}
		case xml.Directive:
			s := string(t)
			if strings.HasPrefix(s, "DOCTYPE") {
				doc.DocType = s
				doc.DocTypeLine = line
			}
		case xml.StartElement:
			if len(stack) >= MaxDepth {
				return &SyntaxError{Line: line, Msg: fmt.Sprintf("elements nested deeper than %d levels", MaxDepth)}
			}
			if len(stack) == 0 && doc.Root != nil {
				return &SyntaxError{Line: line, Msg: fmt.Sprintf("second root element <%s> after <%s>", t.Name.Local, doc.Root.Name)}
			}
			scopes = append(scopes, refScope(t.Attr))
			el := &Element{Prefix: t.Name.Space, Name: t.Name.Local, Line: line, Col: col}
			uri, ok := lookup(el.Prefix)
			if !ok && doc.noting(line) {
				doc.Notes = append(doc.Notes, Finding{Rule: "xml.prefix", Severity: Warning, Line: line,
					Message: fmt.Sprintf("prefix %q of <%s:%s> is not declared; read as no namespace", el.Prefix, el.Prefix, el.Name)})
			}
			el.Space = uri
			for _, a := range t.Attr {
				at := Attr{Prefix: a.Name.Space, Name: a.Name.Local, Value: a.Value}
				if at.Prefix != "" && at.Prefix != "xmlns" {
					// Unprefixed attributes are in no namespace, whatever the default namespace is.
					u, ok := lookup(at.Prefix)
					if !ok && doc.noting(line) {
						doc.Notes = append(doc.Notes, Finding{Rule: "xml.prefix", Severity: Warning, Line: line,
							Message: fmt.Sprintf("prefix %q of attribute %s:%s is not declared; read as unqualified", at.Prefix, at.Prefix, at.Name)})
					}
					at.Space = u
				}
				el.Attrs = append(el.Attrs, at)
			}
			if n := len(stack); n > 0 {
				stack[n-1].Children = append(stack[n-1].Children, el)
			} else {
				doc.Root = el
			}
			stack = append(stack, el)
			texts = append(texts, &strings.Builder{})
		case xml.EndElement:
			n := len(stack)
			if n == 0 || stack[n-1].Name != t.Name.Local || stack[n-1].Prefix != t.Name.Space {
				return &SyntaxError{Line: line, Msg: fmt.Sprintf("unexpected end tag </%s>", qname(t.Name.Space, t.Name.Local))}
			}
			stack[n-1].Text = texts[n-1].String()
			stack, texts = stack[:n-1], texts[:n-1]
			scopes = scopes[:len(scopes)-1]
		case xml.CharData:
			if n := len(stack); n > 0 {
				el := stack[n-1]
				if el.TextLine == 0 && len(bytes.TrimSpace(t)) > 0 {
					el.TextLine = line + bytes.Count(t[:len(t)-len(bytes.TrimLeft(t, " \t\r\n"))], []byte("\n"))
				}
				texts[n-1].Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return &SyntaxError{Line: line, Msg: "text outside the root element"}
			}
		}
	}
	if len(stack) > 0 {
		line, _ := d.InputPos()
		return &SyntaxError{Line: line, Msg: fmt.Sprintf("unexpected end of input: <%s> (line %d) is not closed", qname(stack[len(stack)-1].Prefix, stack[len(stack)-1].Name), stack[len(stack)-1].Line)}
	}
	if doc.Root == nil {
		return &SyntaxError{Line: 1, Msg: "no root element"}
	}
	return nil
}
