package requestfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"

	"github.com/annexlab/annex/integration/profile"
)

// DefaultMaxSize caps a request file when Options.MaxSize is 0 (256 MiB, the
// profile default of intake.max_file_size).
const DefaultMaxSize int64 = 256 << 20

// MaxFieldSize caps one field of a record: a longer value denies the record,
// not the file, since one runaway note should not cost the other requests.
const MaxFieldSize = 64 << 10

// maxRecordElements caps the elements of one XML record, so that a hostile
// record cannot grow the per-record tree without bound.
const maxRecordElements = 10000

// Options bound a parse.
type Options struct {
	// MaxSize is the largest file accepted, in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// Layout describes the columns of a profile.FormatALEPHText file; required for that format.
	Layout *profile.TextLayout
}

// Parse reads a request file of the given format (profile.FormatRSExport,
// profile.FormatALEPHPrint or profile.FormatALEPHText) and calls emit for
// each record in file order: a Request, or a RecordError for a record that
// is denied (its reason names file, line and field) while the rest of the
// file proceeds.
//
// Parse returns a *FileError when the file as a whole is unreadable: not
// well-formed, truncated, larger than Options.MaxSize, in an unsupported or
// wrongly declared charset, without the records the format expects. The
// file is streamed, so records before the fault may already have been
// emitted; the caller discards them. When the size of r is known up front
// (*os.File, *bytes.Reader, *strings.Reader, *bytes.Buffer) an oversized
// file is refused before any record.
//
// An error returned by emit stops the parse and is returned as is. When
// ctx ends the parse stops with an error wrapping ctx.Err(). Invalid
// Options (unknown format, bad text layout) give a plain error before
// anything is read.
func Parse(ctx context.Context, format, name string, r io.Reader, opts Options, emit func(Record) error) error {
	limit := opts.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	var text *textLayout
	switch format {
	case profile.FormatRSExport, profile.FormatALEPHPrint:
	case profile.FormatALEPHText:
		l, err := compileLayout(opts.Layout)
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		text = l
	default:
		return fmt.Errorf("parse %s: unknown request-file format %q", name, format)
	}
	if n, ok := knownSize(r); ok && n > limit {
		return &FileError{File: name, Msg: fmt.Sprintf("file is %d bytes, over the %d-byte limit", n, limit)}
	}
	lr := &limitReader{r: r, left: limit + 1}
	br := bufio.NewReaderSize(lr, 64<<10)
	// A UTF-8 byte-order mark is harmless but is not XML nor part of a
	// first text field.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	p := &parser{ctx: ctx, file: name, emit: emit}
	switch format {
	case profile.FormatRSExport:
		return p.rsExport(br)
	case profile.FormatALEPHPrint:
		return p.alephPrint(br)
	default:
		return p.alephText(br, text)
	}
}

// knownSize reports the bytes left in r when r can say so without reading.
func knownSize(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }: // *bytes.Reader, *strings.Reader, *bytes.Buffer
		return int64(v.Len()), true
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return fi.Size(), true
		}
		return fi.Size() - off, true
	}
	return 0, false
}

// errTooLarge is returned by limitReader once the file passes its limit.
var errTooLarge = errors.New("file too large")

// limitReader reads at most max+1 bytes and fails past max, so an
// oversized file is detected by counting, whatever r is.
type limitReader struct {
	r    io.Reader
	left int64 // bytes that may still be read, counting the one past the limit
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left <= 0 {
		// The extra byte only proves the file is too long; it is not data.
		return n - 1, errTooLarge
	}
	return n, err
}

// parser is the state shared by the three formats for one Parse call.
type parser struct {
	ctx  context.Context
	file string
	emit func(Record) error
	n    int // records emitted, to check ctx every so often
}

// errStop wraps an emit or ctx error so the format loops can tell it from
// a file fault and return it unchanged.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

// send emits one record, checking ctx first so a cancelled parse stops
// between records.
func (p *parser) send(rec Record) error {
	if err := p.ctx.Err(); err != nil {
		return errStop{fmt.Errorf("parse %s: %w", p.file, err)}
	}
	p.n++
	if err := p.emit(rec); err != nil {
		return errStop{err}
	}
	return nil
}

// checkCtx is called every so many tokens or lines so that a long stretch
// without records still notices cancellation.
func (p *parser) checkCtx() error {
	if err := p.ctx.Err(); err != nil {
		return errStop{fmt.Errorf("parse %s: %w", p.file, err)}
	}
	return nil
}

// finish turns a format loop's error into Parse's result.
func finish(err error) error {
	var s errStop
	if errors.As(err, &s) {
		return s.err
	}
	return err
}

func (p *parser) recordErr(line int, field, id, format string, args ...any) Record {
	return Record{Err: &RecordError{File: p.file, Line: max(line, 1), Field: field, ID: id, Msg: fmt.Sprintf(format, args...)}}
}

func (p *parser) fileErr(line int, format string, args ...any) *FileError {
	return &FileError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// charset names a supported character set: "" for UTF-8, or "ISO-8859-1".
// Anything else is refused rather than guessed, since a wrong guess turns
// names and titles into mojibake that no one notices until a slip prints.
func charset(label string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(label))
	switch l {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return "", true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819":
		return "ISO-8859-1", true
	}
	return "", false
}

// latin1 decodes ISO-8859-1 bytes; every byte is a valid character.
func latin1(r io.Reader) io.Reader { return charmap.ISO8859_1.NewDecoder().Reader(r) }

// plausibleBarcode decides whether a request names an item (true) or is a
// title-level request whose "barcode" must be ignored (false). The rule:
// a barcode is 1..64 characters with no white space, colon or control characters,
// it is not the record's MMS id or item id, and it does not look like an
// ALMA MMS id (all digits, starting with 99, 15 or more digits long: ALMA
// puts the title's MMS id where a title-level request has no item).
// Barcodes are usually 6..14 characters (Codabar items are 14 digits
// starting with 3), so the MMS-id shape does not collide with real ones.
func plausibleBarcode(b, mmsID, itemID string) bool {
	if b == "" || len(b) > 64 || b == mmsID || b == itemID {
		return false
	}
	digits := true
	for _, r := range b {
		// ALMA puts a citation where a title-level request's barcode goes;
		// consumers tell it by a space or a colon (docs/libraries.md, ALMA).
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar || r == ':' {
			return false
		}
		if r < '0' || r > '9' {
			digits = false
		}
	}
	if digits && len(b) >= 15 && strings.HasPrefix(b, "99") {
		return false
	}
	return true
}
