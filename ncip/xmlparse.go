package ncip

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file is the XML tokenizer and tree builder behind Parse. It replaced
// encoding/xml's RawToken, which allocated a token, a name and a buffer copy
// for every piece of markup and made parsing the mock responders' bottleneck.
// It reads exactly what encoding/xml in Strict mode read, with the same
// positions, the same text and the same namespace handling (the differential
// tests in parse_diff_test.go hold it to that), and is stricter in a few
// places where encoding/xml accepts XML that is not well-formed: duplicate
// attributes, characters outside the XML Char production in comments,
// processing instructions and DOCTYPEs, and character references to
// surrogates.

// internMax is the longest string the per-call intern table holds: what
// it holds is mostly indentation, which repeats within a message.
const internMax = 64

// slabMax caps how many elements, attributes or child pointers one slab
// holds. Slabs double up to it, then stay that size: a message with 100k
// elements then allocates its tree once over instead of twice, since every
// filled slab stays in use.
const slabMax = 4096

type frame struct {
	el        *Element
	textStart int // where el's character data starts in parser.text
	kidsStart int // where el's children start in parser.kids
	nsStart   int // where el's namespace declarations start in parser.ns
	// raw is where el's text starts in the input when the text so far is
	// one piece of input as written, so it can be a substring of parser.s
	// instead of a copy; -1 when it is not.
	raw int
}

type nsDecl struct {
	prefix, uri string
	// shadows is the index in parser.ns of the declaration of the same
	// prefix that this one hides, -1 for none; kept once parser.nsIndex exists.
	shadows int
}

// attrKey is an attribute's name as written, for the duplicate check.
type attrKey struct{ prefix, local string }

// attrScan and nsScan are how many attributes of a tag, and namespace
// declarations in scope, are searched one by one; past them a map takes
// over, so hostile input (up to MaxAttrs attributes on every element,
// MaxNamespaceDecls declarations above every element) costs linear time
// while an ordinary message allocates no map.
const (
	attrScan = 16
	nsScan   = 16
)

type parser struct {
	src []byte
	// s is src as a string: names, attribute values and most text are
	// substrings of it, one allocation for all of them.
	s   string
	doc *Document

	// Line bookkeeping is lazy: lines are counted up to lnOff only when a
	// position is needed, so text and markup are scanned once with IndexByte.
	lnOff, ln, lnStart int

	frames []frame
	// kids holds the children of every open element, innermost last; an
	// element's Children are cut from it once, when the element closes.
	kids []*Element
	ns   []nsDecl
	// nsIndex maps each prefix in scope to its innermost declaration in ns;
	// nil until ns outgrows nsScan.
	nsIndex map[string]int
	// nsDecls counts the document's namespace declarations against MaxNamespaceDecls.
	nsDecls int
	// attrSeen holds the names of the current tag's attributes once it has
	// more than attrScan; it is emptied key by key when the tag ends.
	attrSeen map[attrKey]struct{}
	// probes counts the comparisons and map probes made by the duplicate
	// check and namespace lookups: tests hold it linear in the input.
	probes int
	// text holds the character data of every open element, innermost last,
	// for the same reason.
	text    []byte
	scratch []byte
	pending []Attr

	// Elements, child lists and attributes come from slabs so a message costs
	// a handful of allocations rather than one per element.
	elems []Element
	ptrs  []*Element
	attrs []Attr

	strs [64]string // intern table, direct-mapped by hash

	// Backing arrays for the working stacks, enough for ordinary messages.
	frameBuf   [24]frame
	kidBuf     [32]*Element
	nsBuf      [4]nsDecl
	pendBuf    [8]Attr
	textBuf    [512]byte
	scratchBuf [128]byte
}

func buildTree(text []byte, doc *Document) error {
	return newParser(text, doc).parse()
}

func newParser(text []byte, doc *Document) *parser {
	p := &parser{src: text, s: string(text), doc: doc, ln: 1}
	// The counts are cheap (vectorised) and bound the slabs for ordinary
	// messages; the caps keep hostile input from reserving much up front.
	est := bytes.Count(text, []byte("</")) + bytes.Count(text, []byte("/>")) + 1
	p.elems = make([]Element, 0, min(est, 512))
	p.ptrs = make([]*Element, 0, min(est, 512))
	p.attrs = make([]Attr, 0, min(bytes.Count(text, []byte("=")), 128))
	p.frames = p.frameBuf[:0]
	p.kids = p.kidBuf[:0]
	p.ns = append(p.nsBuf[:0], nsDecl{"xml", xmlNamespace, -1})
	p.pending = p.pendBuf[:0]
	p.text = p.textBuf[:0]
	p.scratch = p.scratchBuf[:0]
	return p
}

// lineAt returns the line and 1-based byte column of offset off, counting
// only '\n' as encoding/xml does.
func (p *parser) lineAt(off int) (line, col int) {
	if off < p.lnOff {
		p.lnOff, p.ln, p.lnStart = 0, 1, 0
	}
	seg := p.src[p.lnOff:off]
	if k := bytes.Count(seg, []byte{'\n'}); k > 0 {
		p.ln += k
		p.lnStart = p.lnOff + bytes.LastIndexByte(seg, '\n') + 1
	}
	p.lnOff = off
	return p.ln, off - p.lnStart + 1
}

// errAt reports a syntax error on the line of offset off (the bytes before
// off are what has been read when the problem shows).
func (p *parser) errAt(off int, format string, args ...any) error {
	line, _ := p.lineAt(min(off, len(p.src)))
	if len(args) == 0 {
		return &SyntaxError{Line: line, Msg: format}
	}
	return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() error {
	return p.errAt(len(p.src), "unexpected EOF")
}

// str returns b as a string, sharing one copy of each short string a message repeats.
func (p *parser) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > internMax {
		return string(b)
	}
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &p.strs[h%uint32(len(p.strs))]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}

func (p *parser) parse() error {
	src := p.src
	n := len(src)
	for i := 0; i < n; {
		if src[i] != '<' {
			end := bytes.IndexByte(src[i:], '<')
			if end < 0 {
				end = n
			} else {
				end += i
			}
			if err := p.charData(i, end); err != nil {
				return err
			}
			i = end
			continue
		}
		if i+1 >= n {
			return p.eof()
		}
		var err error
		switch src[i+1] {
		case '/':
			i, err = p.endTag(i)
		case '?':
			i, err = p.procInst(i)
		case '!':
			i, err = p.bang(i)
		default:
			i, err = p.startTag(i)
		}
		if err != nil {
			return err
		}
	}
	if k := len(p.frames); k > 0 {
		el := p.frames[k-1].el
		return p.errAt(n, "unexpected end of input: <%s> (line %d) is not closed", qname(el.Prefix, el.Name), el.Line)
	}
	if p.doc.Root == nil {
		return &SyntaxError{Line: 1, Msg: "no root element"}
	}
	return nil
}

// charData handles the text src[i:end] (end is a '<' or the end of input):
// encoding/xml's CharData token.
func (p *parser) charData(i, end int) error {
	seg := p.src[i:end]
	if k := bytes.Index(seg, []byte("]]>")); k >= 0 {
		// What comes before it is read first, so its errors are reported first.
		if _, _, err := p.expand(p.scratch[:0], i, i+k+2); err != nil {
			return err
		}
		return p.errAt(i+k+3, "unescaped ]]> not in CDATA section")
	}
	if len(p.frames) == 0 {
		var err error
		if p.scratch, _, err = p.expand(p.scratch[:0], i, end); err != nil {
			return err
		}
		if len(bytes.TrimSpace(p.scratch)) > 0 {
			return p.errAt(i, "text outside the root element")
		}
		return nil
	}
	before := len(p.text)
	var err error
	var verbatim bool
	if p.text, verbatim, err = p.expand(p.text, i, end); err != nil {
		return err
	}
	p.noteText(i, before, verbatim)
	return nil
}

// noteText records that a piece of the open element's text, read from the
// input at off, was appended to p.text at before; verbatim says it is the
// input unchanged. The element's TextLine comes from the first piece that is
// not all space: the piece's line plus the newlines it starts with.
func (p *parser) noteText(off, before int, verbatim bool) {
	t := p.text[before:]
	if len(t) == 0 {
		return
	}
	f := &p.frames[len(p.frames)-1]
	if before == f.textStart && verbatim {
		f.raw = off
	} else {
		f.raw = -1
	}
	el := f.el
	if el.TextLine != 0 || len(bytes.TrimSpace(t)) == 0 {
		return
	}
	line, _ := p.lineAt(off)
	el.TextLine = line + bytes.Count(t[:len(t)-len(bytes.TrimLeft(t, " \t\r\n"))], []byte{'\n'})
}

// expand appends the character data src[i:end] to dst with references
// replaced and line ends normalised (\r\n and \r become \n), checking that
// every character is an XML Char. verbatim reports that nothing was replaced.
func (p *parser) expand(dst []byte, i, end int) (_ []byte, verbatim bool, _ error) {
	src := p.src
	verbatim = true
	j := i
	for j < end {
		c := src[j]
		switch {
		case c == '&':
			dst = append(dst, src[i:j]...)
			verbatim = false
			r, next, err := p.reference(j)
			if err != nil {
				return dst, false, err
			}
			dst = utf8.AppendRune(dst, r)
			i, j = next, next
		case c == '\r':
			dst = append(dst, src[i:j]...)
			verbatim = false
			dst = append(dst, '\n')
			j++
			if j < end && src[j] == '\n' {
				j++
			}
			i = j
		case c >= 0x20 && c < utf8.RuneSelf, c == '\n', c == '\t':
			j++
		default:
			size, err := p.checkChar(j)
			if err != nil {
				return dst, false, err
			}
			j += size
		}
	}
	return append(dst, src[i:end]...), verbatim, nil
}

// checkChar checks the character at off against the Char production and returns its size.
func (p *parser) checkChar(off int) (int, error) {
	r, size := utf8.DecodeRune(p.src[off:])
	if r == utf8.RuneError && size <= 1 {
		return 0, p.errAt(off, "invalid UTF-8")
	}
	if !isXMLChar(r) {
		return 0, p.errAt(off, "illegal character code %U", r)
	}
	return size, nil
}

// checkChars checks markup that encoding/xml passed through unexamined
// (comments, processing instructions, DOCTYPEs): XML allows only Chars there too.
func (p *parser) checkChars(i, end int) error {
	for j := i; j < end; {
		c := p.src[j]
		if c >= 0x20 && c < utf8.RuneSelf || c == '\n' || c == '\t' || c == '\r' {
			j++
			continue
		}
		size, err := p.checkChar(j)
		if err != nil {
			return err
		}
		j += size
	}
	return nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// reference reads the character or entity reference at src[j] == '&'. Only
// the five predefined entities exist: a DOCTYPE's declarations are never expanded.
func (p *parser) reference(j int) (rune, int, error) {
	src := p.src
	n := len(src)
	k := j + 1
	if k < n && src[k] == '#' {
		k++
		base := rune(10)
		if k < n && src[k] == 'x' {
			base = 16
			k++
		}
		start := k
		var v rune
		for ; k < n; k++ {
			d := digitVal(src[k], base)
			if d < 0 {
				break
			}
			if v = v*base + d; v > utf8.MaxRune {
				v = utf8.MaxRune + 1 // stays out of range however many digits follow
			}
		}
		if k >= n {
			return 0, 0, p.eof()
		}
		if src[k] != ';' || k == start || v > utf8.MaxRune {
			return 0, 0, p.badEntity(j, k)
		}
		// encoding/xml turned a reference to a surrogate into U+FFFD; it is not a Char.
		if !isXMLChar(v) {
			return 0, 0, p.errAt(j, "illegal character code %U", v)
		}
		return v, k + 1, nil
	}
	for k < n && (isNameByte(src[k]) || src[k] >= utf8.RuneSelf) {
		k++
	}
	if k >= n {
		return 0, 0, p.eof()
	}
	if src[k] != ';' {
		return 0, 0, p.badEntity(j, k)
	}
	var r rune
	switch string(src[j+1 : k]) {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "apos":
		r = '\''
	case "quot":
		r = '"'
	default:
		return 0, 0, p.badEntity(j, k)
	}
	return r, k + 1, nil
}

func (p *parser) badEntity(j, k int) error {
	if p.src[k] == ';' {
		return p.errAt(j, "invalid character entity %s", p.src[j:k+1])
	}
	return p.errAt(j, "invalid character entity %s (no semicolon)", p.src[j:k])
}

func digitVal(c byte, base rune) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case base == 16 && 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case base == 16 && 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r'
}

func (p *parser) skipSpace(k int) int {
	for k < len(p.src) && isSpaceByte(p.src[k]) {
		k++
	}
	return k
}

// nameEnd returns where the name starting at k ends: like encoding/xml, a
// name runs over name bytes and any non-ASCII bytes, whose validity validName judges.
func (p *parser) nameEnd(k int) int {
	for k < len(p.src) && (isNameByte(p.src[k]) || p.src[k] >= utf8.RuneSelf) {
		k++
	}
	return k
}

// validName reports whether b is an XML name. ASCII names are checked here;
// the rare name with other characters is put to encoding/xml, whose
// name tables (XML 1.0 Appendix B) decided before, so exactly the same names pass.
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	ascii := true
	for i, c := range b {
		switch {
		case c >= utf8.RuneSelf:
			ascii = false
		case i == 0 && !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':'):
			return false
		}
	}
	if ascii {
		return true
	}
	// Colons become underscores (both start characters) so the test is of
	// the name alone, not of encoding/xml's one-colon rule.
	probe := make([]byte, 0, len(b)+3)
	probe = append(probe, '<')
	probe = append(probe, bytes.ReplaceAll(b, []byte(":"), []byte("_"))...)
	probe = append(probe, '/', '>')
	_, err := xml.NewDecoder(bytes.NewReader(probe)).RawToken()
	return err == nil
}

// qualifiedName reads the name at k for a start or end tag or an attribute
// and splits it as encoding/xml did: one colon with text on both sides makes
// a prefix, no colon or an empty side leaves the whole as the local name, and
// more than one colon is not a name. what names the construct for errors.
func (p *parser) qualifiedName(k int, what string) (prefix, local string, end int, err error) {
	src := p.src
	if k >= len(src) {
		return "", "", 0, p.eof()
	}
	if c := src[k]; c < utf8.RuneSelf && !isNameByte(c) {
		return "", "", 0, p.errAt(k, "expected %s", what)
	}
	end = p.nameEnd(k)
	if end >= len(src) {
		return "", "", 0, p.eof()
	}
	if !validName(src[k:end]) {
		return "", "", 0, p.errAt(end, "invalid XML name: %s", src[k:end])
	}
	name := p.s[k:end]
	c := strings.IndexByte(name, ':')
	switch {
	case c < 0:
		return "", name, end, nil
	case strings.IndexByte(name[c+1:], ':') >= 0:
		return "", "", 0, p.errAt(end, "expected %s", what)
	case c == 0 || c == len(name)-1:
		return "", name, end, nil
	}
	return name[:c], name[c+1:], end, nil
}

func (p *parser) endTag(i int) (int, error) {
	src := p.src
	prefix, local, k, err := p.qualifiedName(i+2, "element name after </")
	if err != nil {
		return 0, err
	}
	k = p.skipSpace(k)
	if k >= len(src) {
		return 0, p.eof()
	}
	if src[k] != '>' {
		return 0, p.errAt(k+1, "invalid characters between </%s and >", local)
	}
	f := len(p.frames) - 1
	if f < 0 || p.frames[f].el.Name != local || p.frames[f].el.Prefix != prefix {
		return 0, p.errAt(i, "unexpected end tag </%s>", qname(prefix, local))
	}
	p.closeElement()
	return k + 1, nil
}

func (p *parser) closeElement() {
	f := p.frames[len(p.frames)-1]
	p.frames = p.frames[:len(p.frames)-1]
	if t := p.text[f.textStart:]; f.raw >= 0 && len(t) > 0 {
		f.el.Text = p.s[f.raw : f.raw+len(t)]
	} else {
		f.el.Text = p.str(t)
	}
	p.text = p.text[:f.textStart]
	if kids := p.kids[f.kidsStart:]; len(kids) > 0 {
		if cap(p.ptrs)-len(p.ptrs) < len(kids) {
			p.ptrs = make([]*Element, 0, max(len(kids), min(2*cap(p.ptrs), slabMax)))
		}
		at := len(p.ptrs)
		p.ptrs = append(p.ptrs, kids...)
		// The full slice expression keeps a caller's append from overwriting a sibling's list.
		f.el.Children = p.ptrs[at:len(p.ptrs):len(p.ptrs)]
		p.kids = p.kids[:f.kidsStart]
	}
	p.popNamespaces(f.nsStart)
}

func (p *parser) startTag(i int) (int, error) {
	src := p.src
	n := len(src)
	prefix, local, k, err := p.qualifiedName(i+1, "element name after <")
	if err != nil {
		return 0, err
	}
	p.pending = p.pending[:0]
	empty := false
	for {
		k = p.skipSpace(k)
		if k >= n {
			return 0, p.eof()
		}
		if c := src[k]; c == '/' {
			if k+1 >= n {
				return 0, p.eof()
			}
			if src[k+1] != '>' {
				return 0, p.errAt(k+2, "expected /> in element")
			}
			empty = true
			k += 2
			break
		} else if c == '>' {
			k++
			break
		}
		at := k
		aprefix, alocal, e, err := p.qualifiedName(k, "attribute name in element")
		if err != nil {
			return 0, err
		}
		k = p.skipSpace(e)
		if k >= n {
			return 0, p.eof()
		}
		if src[k] != '=' {
			return 0, p.errAt(k+1, "attribute name without = in element")
		}
		k = p.skipSpace(k + 1)
		if k >= n {
			return 0, p.eof()
		}
		q := src[k]
		if q != '"' && q != '\'' {
			return 0, p.errAt(k+1, "unquoted or missing attribute value in element")
		}
		k++
		end := bytes.IndexByte(src[k:], q)
		limit := n
		if end >= 0 {
			end += k
			limit = end
		}
		if lt := bytes.IndexByte(src[k:limit], '<'); lt >= 0 {
			return 0, p.errAt(k+lt+1, "unescaped < inside quoted string")
		}
		if end < 0 {
			return 0, p.eof()
		}
		var verbatim bool
		if p.scratch, verbatim, err = p.expand(p.scratch[:0], k, end); err != nil {
			return 0, err
		}
		if err := p.newAttr(at, aprefix, alocal, prefix, local); err != nil {
			return 0, err
		}
		value := p.s[k:end]
		if !verbatim {
			value = p.str(p.scratch)
		}
		p.pending = append(p.pending, Attr{Prefix: aprefix, Name: alocal, Value: value})
		k = end + 1
	}
	if len(p.pending) > attrScan {
		for _, a := range p.pending {
			delete(p.attrSeen, attrKey{a.Prefix, a.Name})
		}
	}
	return k, p.openElement(i, prefix, local, empty)
}

// newAttr admits the attribute aprefix:alocal, starting at offset at, to
// the tag <prefix:local> being read: it must be the tag's first of that
// name (XML forbids repeats; encoding/xml did not check), within MaxAttrs,
// and, if it declares a namespace, within MaxNamespaceDecls.
func (p *parser) newAttr(at int, aprefix, alocal, prefix, local string) error {
	if len(p.pending) >= MaxAttrs {
		return p.errAt(at, "<%s> has more than %d attributes (the limit)", qname(prefix, local), MaxAttrs)
	}
	if aprefix == "xmlns" || aprefix == "" && alocal == "xmlns" {
		if p.nsDecls++; p.nsDecls > MaxNamespaceDecls {
			return p.errAt(at, "more than %d namespace declarations in the document (the limit)", MaxNamespaceDecls)
		}
	}
	dup := func() error {
		return p.errAt(at, "attribute %s appears twice in <%s>", qname(aprefix, alocal), qname(prefix, local))
	}
	key := attrKey{aprefix, alocal}
	switch n := len(p.pending); {
	case n < attrScan:
		for _, a := range p.pending {
			p.probes++
			if a.Name == alocal && a.Prefix == aprefix {
				return dup()
			}
		}
		return nil
	case n == attrScan:
		if p.attrSeen == nil {
			p.attrSeen = make(map[attrKey]struct{}, MaxAttrs)
		}
		for _, a := range p.pending {
			p.attrSeen[attrKey{a.Prefix, a.Name}] = struct{}{}
		}
	}
	p.probes++
	if _, ok := p.attrSeen[key]; ok {
		return dup()
	}
	p.attrSeen[key] = struct{}{}
	return nil
}

func (p *parser) openElement(i int, prefix, local string, empty bool) error {
	line, col := p.lineAt(i)
	depth := len(p.frames)
	if depth >= MaxDepth {
		return &SyntaxError{Line: line, Msg: fmt.Sprintf("elements nested deeper than %d levels", MaxDepth)}
	}
	if depth == 0 && p.doc.Root != nil {
		return &SyntaxError{Line: line, Msg: fmt.Sprintf("second root element <%s> after <%s>", local, p.doc.Root.Name)}
	}
	nsStart := len(p.ns)
	for _, a := range p.pending {
		switch {
		case a.Prefix == "xmlns":
			p.pushNamespace(a.Name, a.Value)
		case a.Prefix == "" && a.Name == "xmlns":
			p.pushNamespace("", a.Value)
		}
	}
	if len(p.elems) == cap(p.elems) {
		p.elems = make([]Element, 0, min(2*cap(p.elems), slabMax))
	}
	p.elems = append(p.elems, Element{Prefix: prefix, Name: local, Line: line, Col: col})
	el := &p.elems[len(p.elems)-1]
	uri, ok := p.lookup(prefix)
	if !ok && p.doc.noting(line) {
		p.doc.Notes = append(p.doc.Notes, Finding{Rule: "xml.prefix", Severity: Warning, Line: line,
			Message: fmt.Sprintf("prefix %q of <%s:%s> is not declared; read as no namespace", prefix, prefix, local)})
	}
	el.Space = uri
	if len(p.pending) > 0 {
		if cap(p.attrs)-len(p.attrs) < len(p.pending) {
			p.attrs = make([]Attr, 0, max(len(p.pending), min(2*cap(p.attrs), slabMax)))
		}
		at := len(p.attrs)
		for _, a := range p.pending {
			if a.Prefix != "" && a.Prefix != "xmlns" {
				// Unprefixed attributes are in no namespace, whatever the default namespace is.
				u, ok := p.lookup(a.Prefix)
				if !ok && p.doc.noting(line) {
					p.doc.Notes = append(p.doc.Notes, Finding{Rule: "xml.prefix", Severity: Warning, Line: line,
						Message: fmt.Sprintf("prefix %q of attribute %s:%s is not declared; read as unqualified", a.Prefix, a.Prefix, a.Name)})
				}
				a.Space = u
			}
			p.attrs = append(p.attrs, a)
		}
		el.Attrs = p.attrs[at:len(p.attrs):len(p.attrs)]
	}
	if depth > 0 {
		p.kids = append(p.kids, el)
	} else {
		p.doc.Root = el
	}
	p.frames = append(p.frames, frame{el: el, textStart: len(p.text), kidsStart: len(p.kids), nsStart: nsStart, raw: -1})
	if empty {
		p.closeElement()
	}
	return nil
}

// lookup resolves a prefix in the declarations in scope, innermost first;
// the default namespace is "" when nothing declares it.
func (p *parser) lookup(prefix string) (string, bool) {
	if p.nsIndex != nil {
		p.probes++
		if i, ok := p.nsIndex[prefix]; ok {
			return p.ns[i].uri, true
		}
		return "", prefix == ""
	}
	for i := len(p.ns) - 1; i >= 0; i-- {
		p.probes++
		if p.ns[i].prefix == prefix {
			return p.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

// pushNamespace brings a declaration into scope. Once more than nsScan are
// in scope, nsIndex is built and from then on kept up to date.
func (p *parser) pushNamespace(prefix, uri string) {
	p.ns = append(p.ns, nsDecl{prefix, uri, -1})
	if p.nsIndex == nil {
		if len(p.ns) <= nsScan {
			return
		}
		p.nsIndex = make(map[string]int, len(p.ns))
		for i := range p.ns[:len(p.ns)-1] {
			p.index(i)
		}
	}
	p.index(len(p.ns) - 1)
}

// index makes p.ns[i] its prefix's innermost declaration in nsIndex.
func (p *parser) index(i int) {
	d := &p.ns[i]
	if prev, ok := p.nsIndex[d.prefix]; ok {
		d.shadows = prev
	}
	p.nsIndex[d.prefix] = i
}

// popNamespaces takes the declarations from ns[start:] out of scope,
// innermost first, restoring what each one hid.
func (p *parser) popNamespaces(start int) {
	if p.nsIndex != nil {
		for i := len(p.ns) - 1; i >= start; i-- {
			if d := p.ns[i]; d.shadows >= 0 {
				p.nsIndex[d.prefix] = d.shadows
			} else {
				delete(p.nsIndex, d.prefix)
			}
		}
	}
	p.ns = p.ns[:start]
}

func (p *parser) procInst(i int) (int, error) {
	src := p.src
	k := i + 2
	if k >= len(src) {
		return 0, p.eof()
	}
	if c := src[k]; c < utf8.RuneSelf && !isNameByte(c) {
		return 0, p.errAt(k, "expected target name after <?")
	}
	e := p.nameEnd(k)
	if e >= len(src) {
		return 0, p.eof()
	}
	if !validName(src[k:e]) {
		return 0, p.errAt(e, "invalid XML name: %s", src[k:e])
	}
	s := p.skipSpace(e)
	q := bytes.Index(src[s:], []byte("?>"))
	if q < 0 {
		return 0, p.eof()
	}
	q += s
	if err := p.checkChars(s, q); err != nil {
		return 0, err
	}
	if string(src[k:e]) == "xml" {
		line, _ := p.lineAt(i)
		inst := p.s[s:q]
		if v := declVersion(inst); v != "" && v != "1.0" {
			return 0, &SyntaxError{Line: line, Msg: fmt.Sprintf("xml: unsupported version %q; only version 1.0 is supported", v)}
		}
		p.doc.Decl = parseDecl(inst, line)
	}
	return q + 2, nil
}

// declVersion finds version="…" or version='…' the way encoding/xml did
// before it refused any version but 1.0: no space around the '='.
func declVersion(inst string) string {
	const key = "version="
	for rest := inst; ; {
		k := strings.Index(rest, key)
		if k < 0 || k+len(key) >= len(rest) {
			return ""
		}
		rest = rest[k+len(key):]
		if q := rest[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(rest[1:], q)
			if end < 0 {
				return ""
			}
			return rest[1 : 1+end]
		}
		rest = rest[1:]
	}
}

// bang handles markup starting "<!": a comment, a CDATA section or a declaration such as DOCTYPE.
func (p *parser) bang(i int) (int, error) {
	src := p.src
	n := len(src)
	k := i + 2
	if k >= n {
		return 0, p.eof()
	}
	switch src[k] {
	case '-':
		if k+1 >= n {
			return 0, p.eof()
		}
		if src[k+1] != '-' {
			return 0, p.errAt(k+2, "invalid sequence <!- not part of <!--")
		}
		s := k + 2
		d := bytes.Index(src[s:], []byte("--"))
		if d < 0 {
			return 0, p.eof()
		}
		d += s
		if d+2 >= n {
			return 0, p.eof()
		}
		if src[d+2] != '>' {
			return 0, p.errAt(d+3, `invalid sequence "--" not allowed in comments`)
		}
		if err := p.checkChars(s, d); err != nil {
			return 0, err
		}
		return d + 3, nil
	case '[':
		for j := 0; j < len("CDATA["); j++ {
			if k+1+j >= n {
				return 0, p.eof()
			}
			if src[k+1+j] != "CDATA["[j] {
				return 0, p.errAt(k+2+j, "invalid <![ sequence")
			}
		}
		s := k + 1 + len("CDATA[")
		e := bytes.Index(src[s:], []byte("]]>"))
		if e < 0 {
			return 0, p.errAt(n, "unexpected EOF in CDATA section")
		}
		e += s
		return e + 3, p.cdata(i, s, e)
	}
	return p.directive(i)
}

// cdata handles the content src[s:e] of a CDATA section starting at i.
func (p *parser) cdata(i, s, e int) error {
	buf := &p.text
	if len(p.frames) == 0 {
		p.scratch = p.scratch[:0]
		buf = &p.scratch
	}
	before := len(*buf)
	start := s
	src := p.src
	for j := s; j < e; {
		c := src[j]
		switch {
		case c == '\r':
			*buf = append(*buf, src[s:j]...)
			*buf = append(*buf, '\n')
			j++
			if j < e && src[j] == '\n' {
				j++
			}
			s = j
		case c >= 0x20 && c < utf8.RuneSelf, c == '\n', c == '\t':
			j++
		default:
			size, err := p.checkChar(j)
			if err != nil {
				return err
			}
			j += size
		}
	}
	*buf = append(*buf, src[s:e]...)
	if len(p.frames) == 0 {
		if len(bytes.TrimSpace(p.scratch)) > 0 {
			return p.errAt(i, "text outside the root element")
		}
		return nil
	}
	p.noteText(start, before, s == start)
	return nil
}

// directive reads a declaration such as <!DOCTYPE …> up to its closing '>',
// skipping quoted strings, nested declarations of an internal subset and
// comments (each read as one space), exactly as encoding/xml delimited it.
// Nothing in it is expanded or fetched; a DOCTYPE's text is only recorded.
func (p *parser) directive(i int) (int, error) {
	src := p.src
	n := len(src)
	k := i + 2
	buf := p.scratch[:0]
	buf = append(buf, src[k])
	k++
	var inquote byte
	depth := 0
	for {
		if k >= n {
			return 0, p.eof()
		}
		c := src[k]
		k++
		if inquote == 0 && c == '>' && depth == 0 {
			break
		}
		for {
			buf = append(buf, c)
			again := false
			switch {
			case c == inquote:
				inquote = 0
			case inquote != 0:
			case c == '\'' || c == '"':
				inquote = c
			case c == '>':
				depth--
			case c == '<':
				const open = "!--"
				for m := 0; m < len(open); m++ {
					if k >= n {
						return 0, p.eof()
					}
					c = src[k]
					k++
					if c != open[m] {
						// Not a comment: a nested declaration; the byte that ended the match is read again.
						buf = append(buf, open[:m]...)
						depth++
						again = true
						break
					}
				}
				if again {
					break
				}
				buf = buf[:len(buf)-1]
				e := bytes.Index(src[k:], []byte("-->"))
				if e < 0 {
					return 0, p.eof()
				}
				k += e + 3
				buf = append(buf, ' ')
			}
			if !again {
				break
			}
		}
	}
	p.scratch = buf
	if err := p.checkChars(i+2, k-1); err != nil {
		return 0, err
	}
	if bytes.HasPrefix(buf, []byte("DOCTYPE")) {
		p.doc.DocType = string(buf)
		p.doc.DocTypeLine, _ = p.lineAt(i)
	}
	return k, nil
}
