package requestfile

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// node is one element of a record (an rsExport or a printout), read whole
// because a record is small; the file around it is streamed.
type node struct {
	name string // local name: any namespace or prefix passes
	line int
	text []byte // character data directly inside, capped at MaxFieldSize+1
	over bool   // text was longer than MaxFieldSize
	many bool   // the record had more than maxRecordElements elements (set on the record's node)
	kids []*node
}

// value is the element's text with surrounding white space removed.
func (n *node) value() string { return strings.TrimSpace(string(n.text)) }

// maxToken caps the bytes encoding/xml may take for one token: a run of
// text, a tag with its attributes, a comment. The tokenizer holds a whole
// token in memory before returning it, so without a cap one 250 MB text
// node cost 250 MB and more. A field over MaxFieldSize already denies its
// record; one sixteen times longer is no request field, and the file is
// refused there rather than read into memory.
const maxToken = 16 * MaxFieldSize

// errTokenTooLong is returned by tokenBudget once a token passes maxToken.
var errTokenTooLong = errors.New("token too long")

// tokenBudget stands between the file and encoding/xml and fails the read
// that would take the current token past maxToken bytes. It counts what the
// decoder pulls while reading one token, so it needs no XML of its own and
// does not move line numbers; after a charset switch the decoder reads
// through the charset's decoder and its buffers, which lets a token run over
// by at most those buffers.
type tokenBudget struct {
	r    *bufio.Reader
	left int // bytes the current token may still take
	// first is the first byte taken for the current token, -1 before it.
	first int
	// over records a refused read: encoding/xml ends a text token at a
	// read error and returns the text, reporting the error only later.
	over bool
}

// ReadByte makes tokenBudget an io.ByteReader, which encoding/xml then
// reads directly rather than through a buffer of its own.
func (t *tokenBudget) ReadByte() (byte, error) {
	if t.left <= 0 {
		t.over = true
		return 0, errTokenTooLong
	}
	b, err := t.r.ReadByte()
	if err == nil {
		t.left--
		if t.first < 0 {
			t.first = int(b)
		}
	}
	return b, err
}

// Read serves the charset decoder that encoding/xml reads through after a
// non-UTF-8 declaration.
func (t *tokenBudget) Read(p []byte) (int, error) {
	if t.left <= 0 {
		t.over = true
		return 0, errTokenTooLong
	}
	n, err := t.r.Read(p[:min(len(p), t.left)])
	if n > 0 && t.first < 0 {
		t.first = int(p[0])
	}
	t.left -= n
	return n, err
}

// xmlReader wraps an encoding/xml decoder with what both XML formats need:
// charset handling, line numbers, the token cap and conversion of its errors.
type xmlReader struct {
	p      *parser
	d      *xml.Decoder
	budget *tokenBudget
	// afterText says the last token was character data: the decoder has
	// then already taken the '<' that starts the next one.
	afterText bool
	// charset is the charset of the first XML declaration; seen counts
	// declarations. Concatenated printouts repeat the declaration, and a
	// later one that names another charset would silently garble text.
	charset string
	seen    int
	tokens  int
	open    []xml.Name // elements open, to check end tags
	arena   []*node    // readTree's nodes, reused between records
	used    int
	stack   []*node
}

func newXMLReader(p *parser, r io.Reader) *xmlReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	x := &xmlReader{p: p, budget: &tokenBudget{r: br}}
	x.d = xml.NewDecoder(x.budget)
	x.d.CharsetReader = x.charsetReader
	return x
}

// charsetReader is called by encoding/xml for every declaration whose
// encoding is not UTF-8.
func (x *xmlReader) charsetReader(label string, input io.Reader) (io.Reader, error) {
	cs, ok := charset(label)
	if !ok {
		return nil, fmt.Errorf("unsupported charset %q (UTF-8 or ISO-8859-1)", label)
	}
	if x.seen > 0 {
		if cs != x.charset {
			return nil, fmt.Errorf("charset %q differs from the first declaration's", label)
		}
		// The input is already decoded by the first declaration's reader.
		return input, nil
	}
	x.charset = cs
	if cs == "" {
		return input, nil
	}
	return latin1(input), nil
}

// next returns the next token and the line it starts on. The position
// before the token is its start because encoding/xml reports white space
// between elements as its own CharData token.
//
// It uses RawToken, which skips namespace translation (the formats match
// local names, and a file with an undeclared prefix is still readable)
// and saves a third of the allocations; the one well-formedness check
// RawToken leaves out, matching end tags, is done here.
func (x *xmlReader) next() (xml.Token, int, error) {
	line, _ := x.d.InputPos()
	x.tokens++
	if x.tokens&1023 == 0 {
		if err := x.p.checkCtx(); err != nil {
			return nil, line, err
		}
	}
	x.budget.left, x.budget.first = maxToken, -1
	tok, err := x.d.RawToken()
	if x.budget.over {
		return nil, line, x.tokenTooLong(line)
	}
	if err != nil {
		if err == io.EOF {
			if len(x.open) > 0 {
				return nil, line, x.p.fileErr(line, "not well-formed XML: unexpected end of file (truncated?) inside <%s>", x.open[len(x.open)-1].Local)
			}
			return nil, line, io.EOF
		}
		return nil, line, x.fileErr(err)
	}
	_, x.afterText = tok.(xml.CharData)
	switch t := tok.(type) {
	case xml.StartElement:
		x.open = append(x.open, t.Name)
	case xml.EndElement:
		if len(x.open) == 0 {
			return nil, line, x.p.fileErr(line, "not well-formed XML: unexpected end element </%s>", qname(t.Name))
		}
		if top := x.open[len(x.open)-1]; top != t.Name {
			return nil, line, x.p.fileErr(line, "not well-formed XML: element <%s> closed by </%s>", qname(top), qname(t.Name))
		}
		x.open = x.open[:len(x.open)-1]
	case xml.ProcInst:
		if t.Target != "xml" {
			break
		}
		cs, ok := charset(procInstParam("encoding", string(t.Inst)))
		if !ok {
			return nil, line, x.p.fileErr(line, "unsupported charset in XML declaration")
		}
		if x.seen > 0 && cs != x.charset {
			return nil, line, x.p.fileErr(line, "XML declaration changes the charset mid-file")
		}
		if x.seen == 0 {
			x.charset = cs
		}
		x.seen++
	}
	return tok, line, nil
}

// tokenTooLong refuses the file at a token over maxToken that starts on line.
func (x *xmlReader) tokenTooLong(line int) error {
	what := "markup"
	if !x.afterText && x.budget.first != '<' {
		what = "text"
	}
	where := "outside the root element"
	if len(x.open) > 0 {
		where = "in <" + qname(x.open[len(x.open)-1]) + ">"
	}
	return x.p.fileErr(line, "%s %s is longer than %d bytes; no request field is that long", what, where, maxToken)
}

// depth is the number of elements open.
func (x *xmlReader) depth() int { return len(x.open) }

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// fileErr converts a decoder error to a *FileError naming the line.
func (x *xmlReader) fileErr(err error) error {
	var se *xml.SyntaxError
	line, _ := x.d.InputPos()
	switch {
	case errors.Is(err, errTooLarge):
		return x.p.fileErr(line, "file is larger than the size limit")
	case errors.As(err, &se):
		msg := se.Msg
		if msg == "unexpected EOF" {
			msg = "unexpected end of file (truncated?)"
		}
		return x.p.fileErr(se.Line, "not well-formed XML: %s", msg)
	}
	var stop errStop
	if errors.As(err, &stop) {
		return err
	}
	return x.p.fileErr(line, "%s", strings.TrimPrefix(err.Error(), "xml: "))
}

// records reads the file's tokens to its end. start sees every start
// element first (an error from it stops the read as it is); an element
// called name is then read whole and handed to record; text outside any
// element is refused with the message outside. It returns how many
// records it read.
func (x *xmlReader) records(name, outside string, start func(t xml.StartElement, line int) error, record func(*node) error) (int, error) {
	records := 0
	for {
		tok, line, err := x.next()
		if err == io.EOF {
			return records, nil
		}
		if err != nil {
			return records, finish(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := start(t, line); err != nil {
				return records, err
			}
			if t.Name.Local != name {
				continue
			}
			n, err := x.readTree(t, line)
			if err != nil {
				return records, finish(err)
			}
			records++
			if err := record(n); err != nil {
				return records, finish(err)
			}
		case xml.CharData:
			if x.depth() == 0 && !isSpace(t) {
				return records, x.p.fileErr(textLine(line, t), "%s", outside)
			}
		}
	}
}

// denial is the first reason a record read as a node tree is denied;
// later faults in the same record go unreported.
type denial struct {
	p    *parser
	line int // the record's
	err  *RecordError
}

// deny starts the denial of the record n: denied at once when n had more
// elements than maxRecordElements, as field, whose element is called what.
func (p *parser) deny(n *node, field, what string) *denial {
	d := &denial{p: p, line: n.line}
	if n.many {
		d.fail(nil, field, what+" has more than 10000 elements")
	}
	return d
}

// fail denies the record for msg about field, naming the line of c when c
// is not on the record's own line.
func (d *denial) fail(c *node, field, msg string) {
	if d.err != nil {
		return
	}
	d.err = d.p.recordErr(d.line, field, "", "%s", msg).Err
	if c != nil && c.line != d.line {
		d.err.Msg += " (line " + strconv.Itoa(c.line) + ")"
	}
}

// readTree reads the element that start opened, down to its end tag. The
// nodes come from an arena reused record after record: a record is mapped
// before the next is read, and mapping copies the values it keeps.
func (x *xmlReader) readTree(start xml.StartElement, line int) (*node, error) {
	x.used = 0
	root := x.node(start.Name.Local, line)
	stack := append(x.stack[:0], root)
	defer func() { x.stack = stack[:0] }()
	count := 1
	for len(stack) > 0 {
		tok, line, err := x.next()
		if err == io.EOF {
			return nil, x.p.fileErr(line, "not well-formed XML: unexpected end of file (truncated?)")
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxRecordElements {
				// Past the cap the subtree is read but not kept; the
				// record is denied by the caller.
				root.many = true
				stack = append(stack, &node{})
				continue
			}
			n := x.node(t.Name.Local, line)
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(top.text) == 0 && isSpace(t) {
				// Indentation between elements: value() would trim it anyway.
				continue
			}
			if len(top.text)+len(t) > MaxFieldSize {
				top.over = true
				t = t[:max(0, min(len(t), MaxFieldSize+1-len(top.text)))]
			}
			top.text = append(top.text, t...)
		}
	}
	return root, nil
}

// node returns a cleared node from the arena.
func (x *xmlReader) node(name string, line int) *node {
	if x.used == len(x.arena) {
		x.arena = append(x.arena, &node{})
	}
	n := x.arena[x.used]
	x.used++
	*n = node{name: name, line: line, text: n.text[:0], kids: n.kids[:0]}
	return n
}

// procInstParam returns a pseudo-attribute of a processing instruction
// such as encoding="ISO-8859-1".
func procInstParam(param, s string) string {
	for s != "" {
		i := strings.Index(s, param)
		if i < 0 {
			return ""
		}
		rest := strings.TrimLeft(s[i+len(param):], " \t\r\n")
		if i > 0 && !strings.ContainsRune(" \t\r\n", rune(s[i-1])) || !strings.HasPrefix(rest, "=") {
			s = s[i+len(param):]
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			return ""
		}
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return ""
		}
		return rest[1 : end+1]
	}
	return ""
}

// isSpace reports whether character data outside the records is only
// white space (anything else means the file is not what it claims).
func isSpace(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}

// textLine is the line of the first non-space character of character data
// that starts on line, so that stray text is reported where it is.
func textLine(line int, b []byte) int {
	i := len(b) - len(bytes.TrimLeft(b, " \t\r\n"))
	return line + bytes.Count(b[:i], []byte("\n"))
}
