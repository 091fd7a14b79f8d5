package requestfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/annexlab/annex/integration/profile"
)

// textLayout is a profile.TextLayout checked and ready to cut lines.
type textLayout struct {
	delim   string
	header  int
	latin1  bool
	cols    []textCol
	maxLine int // bytes; a longer line must hold a field over MaxFieldSize
}

type textCol struct {
	field string // canonical name; "" for a column that is ignored
	start int    // 0-based, in characters (fixed-width)
	width int
}

// compileLayout checks a text layout. Fixed-width columns give Start
// (1-based) and Width in characters; when no column has a Start, the
// columns follow each other from the first character, as layouts written
// with widths only expect.
func compileLayout(l *profile.TextLayout) (*textLayout, error) {
	if l == nil {
		return nil, errors.New("text layout: required for the aleph-text format")
	}
	if len(l.Columns) == 0 {
		return nil, errors.New("text layout: no columns")
	}
	if l.HeaderLines < 0 {
		return nil, errors.New("text layout: negative header_lines")
	}
	cs, ok := charset(l.Encoding)
	if !ok {
		return nil, fmt.Errorf("text layout: unsupported encoding %q (UTF-8 or ISO-8859-1)", l.Encoding)
	}
	t := &textLayout{delim: l.Delimiter, header: l.HeaderLines, latin1: cs != ""}
	anyStart := false
	for _, c := range l.Columns {
		anyStart = anyStart || c.Start != 0
	}
	seen := map[string]bool{}
	next, maxEnd := 0, 0
	for i, c := range l.Columns {
		f, ok := profile.CanonicalTextField(c.Field)
		if !ok {
			return nil, fmt.Errorf("text layout: column %d: unknown field %q", i+1, c.Field)
		}
		if f != "" && seen[f] {
			return nil, fmt.Errorf("text layout: column %d: field %q appears twice", i+1, f)
		}
		seen[f] = true
		col := textCol{field: f}
		if t.delim == "" {
			if c.Width < 1 {
				return nil, fmt.Errorf("text layout: column %d (%s): fixed-width columns need a width", i+1, c.Field)
			}
			col.start, col.width = next, c.Width
			if anyStart {
				if c.Start < 1 {
					return nil, fmt.Errorf("text layout: column %d (%s): start must be 1 or more", i+1, c.Field)
				}
				col.start = c.Start - 1
			}
			next = col.start + col.width
			maxEnd = max(maxEnd, next)
		}
		t.cols = append(t.cols, col)
	}
	if !seen["request_id"] {
		return nil, errors.New("text layout: no request_id column")
	}
	if t.delim == "" {
		t.maxLine = 4*maxEnd + MaxFieldSize
	} else {
		t.maxLine = len(t.cols) * (MaxFieldSize + len(t.delim) + 1)
	}
	return t, nil
}

// alephText reads a text request file: one request per line, in the
// registered layout. Blank lines and the layout's header lines are skipped.
func (p *parser) alephText(r *bufio.Reader, l *textLayout) error {
	var buf []byte
	for lineNo := 1; ; lineNo++ {
		var long bool
		var err error
		buf, long, err = readLine(r, buf[:0], l.maxLine)
		if err != nil && err != io.EOF {
			if errors.Is(err, errTooLarge) {
				return p.fileErr(lineNo, "file is larger than the size limit")
			}
			return p.fileErr(lineNo, "read: %v", err)
		}
		if err == io.EOF && len(buf) == 0 && !long {
			return nil
		}
		if lineNo&1023 == 0 {
			if err := p.checkCtx(); err != nil {
				return finish(err)
			}
		}
		if lineNo > l.header {
			var line string
			if l.latin1 {
				line = latin1String(buf)
			} else {
				if !utf8.Valid(buf) {
					return p.fileErr(lineNo, "invalid UTF-8 (is the file ISO-8859-1?)")
				}
				line = string(buf)
			}
			if strings.TrimSpace(line) != "" || long {
				if err := p.send(p.textRecord(l, lineNo, line, long)); err != nil {
					return finish(err)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine appends one line, without its line end, to buf, keeping at
// most max bytes of it: the rest of a longer line is read and dropped, so
// memory stays bounded whatever the file holds.
func readLine(r *bufio.Reader, buf []byte, limit int) ([]byte, bool, error) {
	long := false
	for {
		frag, err := r.ReadSlice('\n')
		if n := limit - len(buf); len(frag) > n {
			frag, long = frag[:n], true
		}
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		buf = trimEOL(buf)
		return buf, long, err
	}
}

func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// latin1String decodes ISO-8859-1: each byte is the code point of the same value.
func latin1String(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// textRecord cuts one line into a Request, or the reason it is denied.
func (p *parser) textRecord(l *textLayout, lineNo int, line string, long bool) Record {
	vals := make([]string, len(l.cols))
	if l.delim != "" {
		parts := strings.Split(line, l.delim)
		if len(parts) == len(l.cols)+1 && strings.TrimSpace(parts[len(parts)-1]) == "" {
			// A trailing delimiter ends the line in some exports.
			parts = parts[:len(l.cols)]
		}
		if long {
			i := min(len(parts), len(l.cols)) - 1
			for j, v := range parts[:i+1] {
				if len(v) > MaxFieldSize {
					i = j
					break
				}
			}
			return p.recordErr(lineNo, fieldOrColumn(l.cols[i].field, i), "", "value longer than 64 KiB")
		}
		if len(parts) < len(l.cols) {
			return p.recordErr(lineNo, fieldOrColumn(l.cols[len(parts)].field, len(parts)), "", "line has %d fields, the layout %d", len(parts), len(l.cols))
		}
		if len(parts) > len(l.cols) {
			last := len(l.cols) - 1
			return p.recordErr(lineNo, fieldOrColumn(l.cols[last].field, last), "", "line has %d fields, the layout %d (delimiter inside a value?)", len(parts), len(l.cols))
		}
		copy(vals, parts)
	} else {
		runes := []rune(line)
		for i, c := range l.cols {
			if c.start >= len(runes) {
				return p.recordErr(lineNo, fieldOrColumn(c.field, i), "",
					"line is %d characters, the column starts at %d", len(runes), c.start+1)
			}
			vals[i] = string(runes[c.start:min(c.start+c.width, len(runes))])
		}
		if long {
			i := len(l.cols) - 1
			for j, v := range vals {
				if len(v) > MaxFieldSize {
					i = j
					break
				}
			}
			return p.recordErr(lineNo, fieldOrColumn(l.cols[i].field, i), "", "value longer than 64 KiB")
		}
	}
	req := &Request{Line: lineNo}
	for i, c := range l.cols {
		v := strings.TrimSpace(vals[i])
		if len(v) > MaxFieldSize {
			return p.recordErr(lineNo, fieldOrColumn(c.field, i), "", "value longer than 64 KiB")
		}
		if dst := textField(req, c.field); dst != nil {
			*dst = v
		}
	}
	if req.ID == "" {
		return p.recordErr(lineNo, "request_id", "", "missing request id")
	}
	if strings.EqualFold(req.Type, "photocopy") {
		req.Type, req.Digitization = "photocopy", true
	}
	if req.Type == "" {
		req.Type = "hold"
	}
	if !plausibleBarcode(req.Barcode, "", "") {
		req.Barcode, req.TitleLevel = "", true
	}
	return Record{Request: req}
}

// fieldOrColumn names an ignored column by its position, so an error
// always names something.
func fieldOrColumn(f string, i int) string {
	if f != "" {
		return f
	}
	return fmt.Sprintf("column %d", i+1)
}

// textField is where a text column goes; nil for an ignored column.
func textField(req *Request, field string) *string {
	switch field {
	case "request_id":
		return &req.ID
	case "barcode":
		return &req.Barcode
	case "pickup":
		return &req.Pickup
	case "sublibrary":
		return &req.Library
	case "patron_id":
		return &req.PatronID
	case "patron_name":
		return &req.PatronName
	case "title":
		return &req.Title
	case "author":
		return &req.Author
	case "call_number":
		return &req.CallNumber
	case "description":
		return &req.Description
	case "request_date":
		return &req.RequestDate
	case "type":
		return &req.Type
	case "note":
		return &req.Note
	case "pages":
		return &req.Pages
	}
	return nil
}
