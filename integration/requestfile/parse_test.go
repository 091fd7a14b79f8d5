package requestfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

// result is everything one Parse produced.
type result struct {
	reqs []Request
	errs []RecordError
	err  error
}

func parseBytes(t testing.TB, format, name string, data []byte, opts Options) result {
	t.Helper()
	var res result
	res.err = Parse(context.Background(), format, name, bytes.NewReader(data), opts, func(r Record) error {
		checkRecord(t, name, r)
		if r.Request != nil {
			res.reqs = append(res.reqs, *r.Request)
		} else {
			res.errs = append(res.errs, *r.Err)
		}
		return nil
	})
	return res
}

func parseFile(t testing.TB, format, file string, opts Options) result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return parseBytes(t, format, file, data, opts)
}

// checkRecord asserts what every emitted record must satisfy.
func checkRecord(t testing.TB, name string, r Record) {
	t.Helper()
	switch {
	case (r.Request == nil) == (r.Err == nil):
		t.Fatalf("record has both or neither of Request and Err: %+v", r)
	case r.Err != nil:
		if r.Err.File != name || r.Err.Line < 1 || r.Err.Msg == "" || r.Err.Field == "" {
			t.Fatalf("record error lacks file, line, field or message: %+v", r.Err)
		}
	default:
		if r.Request.Line < 1 || r.Request.ID == "" {
			t.Fatalf("request lacks line or id: %+v", r.Request)
		}
	}
}

func wantFileError(t *testing.T, err error, name string, line int, msg string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want *FileError", err, err)
	}
	if fe.File != name || fe.Msg == "" {
		t.Fatalf("FileError lacks file or message: %+v", fe)
	}
	if line >= 0 && fe.Line != line {
		t.Errorf("FileError line = %d, want %d (%v)", fe.Line, line, fe)
	}
	if !strings.Contains(fe.Msg, msg) {
		t.Errorf("FileError %q does not mention %q", fe.Msg, msg)
	}
}

func ids(reqs []Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.ID)
	}
	return out
}

// wantRequests checks that the parser read exactly the requests want.
func wantRequests(t testing.TB, got, want []Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests %v, want %d", len(got), ids(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseRSExportBasic(t *testing.T) {
	res := parseFile(t, profile.FormatRSExport, "rsexport-basic.xml", Options{})
	if res.err != nil || len(res.errs) != 0 {
		t.Fatalf("err %v, record errors %+v", res.err, res.errs)
	}
	want := []Request{
		{Line: 3, ID: "REQ-1", Type: "HOLD", Barcode: "39015000000001", Pickup: "CIRC", PickupLibrary: "MAIN",
			Library: "MAIN", Location: "ANNEX", InstitutionCode: "01ANNEX_INST", MMSID: "991000000000101",
			ItemID: "231000000000101", Description: "v.1", Note: "please hold until Friday",
			PatronID: "P000123", PatronName: "Ada Reader", PatronEmail: "ada@example.org"},
		{Line: 27, ID: "REQ-2", Type: "HOLD", TitleLevel: true, Pickup: "CIRC", PickupLibrary: "MAIN",
			Library: "MAIN", Location: "ANNEX", InstitutionCode: "01ANNEX_INST", MMSID: "991000000000101",
			ItemID: "231000000000101", PatronID: "P000123", PatronName: "Ada Reader", PatronEmail: "ada@example.org"},
		{Line: 51, ID: "REQ-3", Type: "HOLD", TitleLevel: true, Pickup: "CIRC", PickupLibrary: "MAIN",
			Library: "MAIN", Location: "ANNEX", InstitutionCode: "01ANNEX_INST", MMSID: "991000000000301",
			ItemID: "231000000000101", PatronID: "P000123", PatronName: "Ada Reader", PatronEmail: "ada@example.org"},
		{Line: 75, ID: "REQ-4", Type: "PHYSICAL_TO_DIGITIZATION", Barcode: "39015000000003", Digitization: true,
			Pickup: "CIRC", PickupLibrary: "MAIN", Library: "MAIN", Location: "ANNEX", InstitutionCode: "01ANNEX_INST",
			MMSID: "991000000000101", ItemID: "231000000000101", Description: "pp. 10-20 <ch. 2>",
			PatronID: "P000789", PatronName: "Cleo Scanner", PatronEmail: "cleo@example.org",
			PatronAddress: "1 Main St & Co, Springfield"},
		{Line: 100, ID: "REQ-5", Type: "HOLD", Barcode: "39015000000005", Pickup: "CIRC", PickupLibrary: "MAIN",
			Library: "MAIN", Location: "ANNEX", InstitutionCode: "01ANNEX_INST", MMSID: "991000000000101",
			ItemID: "231000000000101", MaterialType: "BOOK", PatronID: "P000999", PatronName: "Dan Hold",
			PatronAddress: "kept out", Unknown: []string{"holdShelf", "pickupInstructions"}},
		{Line: 130, ID: "REQ-6", Type: "HOLD", TitleLevel: true, Citation: "vol. 2 copy 1", Pickup: "CIRC", PickupLibrary: "MAIN",
			Library: "MAIN", Location: "ANNEX", InstitutionCode: "01ANNEX_INST", MMSID: "991000000000101",
			ItemID: "231000000000101", PatronID: "P000123", PatronName: "Ada Reader", PatronEmail: "ada@example.org"},
	}
	wantRequests(t, res.reqs, want)
}

func TestParseRSExportVariants(t *testing.T) {
	for _, file := range []string{
		"rsexport-default-ns.xml", // default namespace, no prefix
		"rsexport-no-ns.xml",      // no namespace at all
		"rsexport-other-root.xml", // ns2: prefix, ExportRequests root
		"rsexport-one-line.xml",   // everything on one line, under a wrapper
	} {
		t.Run(file, func(t *testing.T) {
			res := parseFile(t, profile.FormatRSExport, file, Options{})
			if res.err != nil || len(res.errs) != 0 {
				t.Fatalf("err %v, record errors %+v", res.err, res.errs)
			}
			if got := ids(res.reqs); !reflect.DeepEqual(got, []string{"REQ-1", "REQ-2"}) {
				t.Fatalf("ids = %v", got)
			}
			d := res.reqs[1]
			if !d.Digitization || d.PatronAddress != "2 Side St" || d.Barcode != "39015000000002" || d.Pickup != "CIRC" {
				t.Errorf("digitization request = %+v", d)
			}
			if res.reqs[0].Location != "ANNEX" || res.reqs[0].PatronEmail != "ada@example.org" {
				t.Errorf("first request = %+v", res.reqs[0])
			}
		})
	}
}

func TestParseRSExportLatin1(t *testing.T) {
	res := parseFile(t, profile.FormatRSExport, "rsexport-latin1.xml", Options{})
	if res.err != nil || len(res.reqs) != 1 {
		t.Fatalf("err %v, %d requests", res.err, len(res.reqs))
	}
	if r := res.reqs[0]; r.PatronName != "Müller, Jörg" || r.Description != "Größe ½" {
		t.Errorf("got %q / %q", r.PatronName, r.Description)
	}
}

func TestParseRSExportBadRecord(t *testing.T) {
	res := parseFile(t, profile.FormatRSExport, "rsexport-bad-record.xml", Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := ids(res.reqs); !reflect.DeepEqual(got, []string{"REQ-1", "REQ-3"}) {
		t.Errorf("ids = %v", got)
	}
	want := []RecordError{{File: "rsexport-bad-record.xml", Line: 27, Field: "requestId", Msg: "missing request id"}}
	if !reflect.DeepEqual(res.errs, want) {
		t.Errorf("record errors = %+v, want %+v", res.errs, want)
	}
}

func TestParseRSExportRecordErrors(t *testing.T) {
	big := strings.Repeat("x", MaxFieldSize+1)
	cases := []struct {
		name, body string
		field      string
	}{
		{"oversized field", "<requestId>R1</requestId><requestNote>" + big + "</requestNote>", "requestNote"},
		{"repeated barcode", "<requestId>R1</requestId><barcode>1</barcode><barcode>2</barcode>", "barcode"},
		{"empty id", "<requestId> </requestId><barcode>1</barcode>", "requestId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := "<requests>\n<rsExport><requestId>OK</requestId></rsExport>\n<rsExport>" + c.body + "</rsExport>\n</requests>"
			res := parseBytes(t, profile.FormatRSExport, "f.xml", []byte(doc), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if len(res.reqs) != 1 || len(res.errs) != 1 {
				t.Fatalf("requests %v, errors %+v", ids(res.reqs), res.errs)
			}
			if e := res.errs[0]; e.Line != 3 || e.Field != c.field {
				t.Errorf("error = %+v, want line 3 field %s", e, c.field)
			}
		})
	}
}

func TestParseRSExportFileErrors(t *testing.T) {
	cases := []struct {
		file string
		line int // -1: any
		msg  string
	}{
		{"rsexport-truncated.xml", -1, "unexpected end of file"},
		{"rsexport-mismatched.xml", 14, "not well-formed"},
		{"rsexport-wrong-root.xml", 2, "NCIPMessage"},
		{"rsexport-bad-utf8.xml", 18, "invalid UTF-8"},
		{"rsexport-bad-charset.xml", 1, "EBCDIC-US"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			res := parseFile(t, profile.FormatRSExport, c.file, Options{})
			wantFileError(t, res.err, c.file, c.line, c.msg)
		})
	}
	inline := []struct {
		name, doc string
		line      int
		msg       string
	}{
		{"empty", "", 0, "no root element"},
		{"declaration only", `<?xml version="1.0"?>`, 0, "no root element"},
		{"two roots", "<a><rsExport><requestId>1</requestId></rsExport></a>\n<b/>", 2, "second root"},
		{"text outside", "<a/>junk", 1, "outside"},
		{"html entity", "<a><rsExport><requestId>&nbsp;</requestId></rsExport></a>", 1, "not well-formed"},
		{"changing charset", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a/>\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 3, "charset"},
	}
	for _, c := range inline {
		t.Run(c.name, func(t *testing.T) {
			res := parseBytes(t, profile.FormatRSExport, "in.xml", []byte(c.doc), Options{})
			wantFileError(t, res.err, "in.xml", c.line, c.msg)
		})
	}
	t.Run("empty export", func(t *testing.T) {
		res := parseBytes(t, profile.FormatRSExport, "in.xml", []byte(`<?xml version="1.0"?><xb:requests xmlns:xb="u"/>`), Options{})
		if res.err != nil || len(res.reqs)+len(res.errs) != 0 {
			t.Fatalf("an empty export is not an error: %+v", res)
		}
	})
}

func TestParseALEPHPrint(t *testing.T) {
	res := parseFile(t, profile.FormatALEPHPrint, "aleph-print-slips.xml", Options{})
	if res.err != nil || len(res.errs) != 0 {
		t.Fatalf("err %v, record errors %+v", res.err, res.errs)
	}
	base := Request{Type: "hold", Pickup: "Main Library Circulation Desk", Library: "MAIN", SubLibraryName: "MAIN", Location: "ANNEX",
		Title: "The Go programming language", Author: "Donovan, Alan A. A.", CallNumber: "QA76.73.G63 D66 2015",
		RequestDate: "20250102", PatronID: "P0001", PatronName: "Reader, Ada"}
	with := func(f func(*Request)) Request { r := base; f(&r); return r }
	want := []Request{
		with(func(r *Request) { r.Line, r.ID, r.Barcode = 3, "000000101", "000000001" }),
		with(func(r *Request) {
			r.Line, r.ID, r.Barcode, r.Description, r.Title = 29, "000000102", "000000002", "v.1", "Multi & volume"
		}),
		with(func(r *Request) {
			r.Line, r.ID, r.Barcode, r.Description, r.Title = 29, "000000102", "000000003", "v.2", "Multi & volume"
			// The hold's sublibrary code comes before the item's sublibrary (a name).
			r.SubLibraryName, r.OnLoan = "SCI", true
		}),
		with(func(r *Request) {
			r.Line, r.ID, r.Barcode, r.PatronID, r.PatronName = 62, "000000103", "000000004", "P0002", "Smith, John"
			r.Type, r.Digitization, r.Pages, r.Note = "photocopy", true, "1-12", "chapter 1"
			r.PatronAddress = "1 Main St, Springfield"
			r.Extra = []Field{{Name: "z38-open-date", Value: "20250103"}}
		}),
		with(func(r *Request) {
			r.Line, r.ID, r.TitleLevel, r.Location, r.CallNumber, r.SubLibraryName = 95, "000000104", true, "", "", ""
		}),
	}
	wantRequests(t, res.reqs, want)
}

func TestParseALEPHPrintLatin1(t *testing.T) {
	res := parseFile(t, profile.FormatALEPHPrint, "aleph-print-latin1.xml", Options{})
	if res.err != nil || len(res.reqs) != 1 {
		t.Fatalf("err %v, %d requests", res.err, len(res.reqs))
	}
	if r := res.reqs[0]; r.PatronName != "Müller, Jörg" || r.Title != "Über Bücher" || r.Line != 3 {
		t.Errorf("got %+v", r)
	}
}

func TestParseALEPHPrintBadRecords(t *testing.T) {
	const file = "aleph-print-bad-records.xml"
	res := parseFile(t, profile.FormatALEPHPrint, file, Options{})
	wantDenials(t, res, file, []string{"000000301", "000000306"}, []denied{
		{27, "z37-open-date", "000000302"},
		{51, "form-name", "000000303"},
		{75, "z37-open-date", "000000304"},
		{99, "z37-request-number", ""},
	})
}

// denied is a record error a test expects.
type denied struct {
	line      int
	field, id string
}

// wantDenials checks that the parser of file read the requests wantIDs and
// denied the records want, in order, with no file error.
func wantDenials(t *testing.T, res result, file string, wantIDs []string, want []denied) {
	t.Helper()
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := ids(res.reqs); !reflect.DeepEqual(got, wantIDs) {
		t.Errorf("ids = %v", got)
	}
	if len(res.errs) != len(want) {
		t.Fatalf("record errors = %+v", res.errs)
	}
	for i, w := range want {
		if e := res.errs[i]; e.Line != w.line || e.Field != w.field || e.ID != w.id || e.File != file {
			t.Errorf("error %d = %+v, want line %d field %s id %q", i, e, w.line, w.field, w.id)
		}
	}
}

func TestParseALEPHPrintFileErrors(t *testing.T) {
	cases := []struct {
		file string
		line int
		msg  string
	}{
		{"aleph-print-truncated.xml", -1, "unexpected end of file"},
		{"aleph-print-no-printout.xml", 0, "no printout"},
		{"aleph-print-garbage.xml", 27, "outside a printout"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			wantFileError(t, parseFile(t, profile.FormatALEPHPrint, c.file, Options{}).err, c.file, c.line, c.msg)
		})
	}
	t.Run("empty", func(t *testing.T) {
		wantFileError(t, parseBytes(t, profile.FormatALEPHPrint, "e", []byte("## - XML_XSL\n"), Options{}).err, "e", 0, "no printout")
	})
}

func delimitedLayout() *profile.TextLayout {
	return &profile.TextLayout{Delimiter: "|", HeaderLines: 1, Columns: []profile.TextColumn{
		{Field: "request_id"}, {Field: "barcode"}, {Field: "patron_id"}, {Field: "pickup"}, {Field: "sublibrary"},
		{Field: "title"}, {Field: "author"}, {Field: "type"}, {Field: "pages"}}}
}

func fixedLayout(enc string) *profile.TextLayout {
	return &profile.TextLayout{Encoding: enc, Columns: []profile.TextColumn{
		{Field: "request_id", Start: 1, Width: 10}, {Field: "barcode", Start: 11, Width: 12},
		{Field: "patron_name", Start: 23, Width: 16}, {Field: "pickup", Start: 39, Width: 20},
		{Field: "request_date", Start: 59, Width: 8}, {Field: "type", Start: 67, Width: 9},
		{Field: "title", Start: 76, Width: 24}}}
}

func TestParseALEPHText(t *testing.T) {
	delimited := []Request{
		{Line: 2, ID: "000000101", Type: "hold", Barcode: "000000001", PatronID: "P0001", Pickup: "Main Library Circulation Desk",
			Library: "MAIN", Title: "The Go programming language", Author: "Donovan, Alan A. A."},
		{Line: 4, ID: "000000102", Type: "hold", TitleLevel: true, PatronID: "P0002", Pickup: "Main Library Circulation Desk",
			Library: "MAIN", Title: "Peanuts", Author: "Schulz, Charles M."},
		{Line: 5, ID: "000000103", Type: "photocopy", Digitization: true, Barcode: "000000003", PatronID: "P0003",
			Pickup: "Science Desk", Library: "SCI", Title: "Müller, Jörg: Gedichte", Author: "Müller, Jörg", Pages: "1-12"},
	}
	fixed := []Request{
		{Line: 1, ID: "000000101", Type: "hold", Barcode: "000000001", PatronName: "Müller, Anna",
			Pickup: "Main Library Circula", RequestDate: "20250102", Title: "The Go programming langu"},
		{Line: 2, ID: "000000102", Type: "photocopy", Digitization: true, Barcode: "000000002", PatronName: "Smith, John",
			Pickup: "Main Library Circula", RequestDate: "20250103", Title: "Peanuts"},
		{Line: 3, ID: "000000103", Type: "hold", TitleLevel: true, PatronName: "Jörg Müller",
			Pickup: "Science", RequestDate: "20250104", Title: "Ärger über Öl"},
	}
	widthsOnly := fixedLayout("")
	for i := range widthsOnly.Columns {
		widthsOnly.Columns[i].Start = 0
	}
	cases := []struct {
		name, file string
		layout     *profile.TextLayout
		want       []Request
	}{
		{"delimited", "aleph-text-delimited.txt", delimitedLayout(), delimited},
		{"fixed", "aleph-text-fixed.txt", fixedLayout(""), fixed},
		{"fixed widths only", "aleph-text-fixed.txt", widthsOnly, fixed},
		{"fixed latin1", "aleph-text-fixed-latin1.txt", fixedLayout("ISO-8859-1"), fixed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseFile(t, profile.FormatALEPHText, c.file, Options{Layout: c.layout})
			if res.err != nil || len(res.errs) != 0 {
				t.Fatalf("err %v, record errors %+v", res.err, res.errs)
			}
			wantRequests(t, res.reqs, c.want)
		})
	}
}

func TestParseALEPHTextBadRecords(t *testing.T) {
	l := delimitedLayout()
	l.HeaderLines = 0
	const file = "aleph-text-bad.txt"
	wantDenials(t, parseFile(t, profile.FormatALEPHText, file, Options{Layout: l}), file, []string{"000000101", "000000105"},
		[]denied{{2, "sublibrary", ""}, {3, "request_id", ""}, {4, "pages", ""}})

	// One good record after one denied for a fault in its field.
	for _, c := range []struct {
		name, data, field string
		layout            *profile.TextLayout
	}{
		{"fixed too short", "000000101 000000001   Anna\n000000102 000000002   Smith, John     Main Library Circula20250103hold     Peanuts\n",
			"pickup", fixedLayout("")},
		{"oversized field", "1|b|p|x|y|" + strings.Repeat("t", MaxFieldSize+10) + "|a|hold|\n2|b|p|x|y|t|a|hold|\n", "title", l},
		{"very long line", "1|" + strings.Repeat("t", 20*MaxFieldSize) + "\n2|b|p|x|y|t|a|hold|\n", "barcode", l},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := parseBytes(t, profile.FormatALEPHText, "f.txt", []byte(c.data), Options{Layout: c.layout})
			if res.err != nil || len(res.reqs) != 1 || len(res.errs) != 1 {
				t.Fatalf("%+v", res)
			}
			if e := res.errs[0]; e.Line != 1 || e.Field != c.field {
				t.Errorf("error = %+v", e)
			}
		})
	}
	t.Run("invalid UTF-8", func(t *testing.T) {
		res := parseFile(t, profile.FormatALEPHText, "aleph-text-fixed-latin1.txt", Options{Layout: fixedLayout("")})
		wantFileError(t, res.err, "aleph-text-fixed-latin1.txt", 1, "UTF-8")
	})
}

func TestParseLayoutErrors(t *testing.T) {
	cases := []struct {
		name   string
		layout *profile.TextLayout
	}{
		{"nil", nil},
		{"no columns", &profile.TextLayout{Delimiter: "|"}},
		{"unknown field", &profile.TextLayout{Delimiter: "|", Columns: []profile.TextColumn{{Field: "request_id"}, {Field: "colour"}}}},
		// The profile check refuses a column without a field; so does the parser.
		{"empty field", &profile.TextLayout{Delimiter: "|", Columns: []profile.TextColumn{{Field: "request_id"}, {Field: " "}}}},
		{"no request_id", &profile.TextLayout{Delimiter: "|", Columns: []profile.TextColumn{{Field: "barcode"}}}},
		{"no width", &profile.TextLayout{Columns: []profile.TextColumn{{Field: "request_id", Start: 1}}}},
		{"encoding", &profile.TextLayout{Delimiter: "|", Encoding: "EBCDIC", Columns: []profile.TextColumn{{Field: "request_id"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Parse(context.Background(), profile.FormatALEPHText, "f", strings.NewReader("1\n"), Options{Layout: c.layout},
				func(Record) error { t.Fatal("emitted"); return nil })
			var fe *FileError
			if err == nil || errors.As(err, &fe) {
				t.Fatalf("err = %v, want a plain layout error", err)
			}
		})
	}
	if err := Parse(context.Background(), "csv", "f", strings.NewReader(""), Options{}, nil); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// onlyReader hides Len so that the size limit is found by counting.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestParseMaxSize(t *testing.T) {
	data, err := os.ReadFile("testdata/rsexport-basic.xml")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("testdata/aleph-text-delimited.txt")
	if err != nil {
		t.Fatal(err)
	}
	print, err := os.ReadFile("testdata/aleph-print-slips.xml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		format string
		data   []byte
		opts   Options
	}{
		{profile.FormatRSExport, data, Options{}},
		{profile.FormatALEPHPrint, print, Options{}},
		{profile.FormatALEPHText, text, Options{Layout: delimitedLayout()}},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			c.opts.MaxSize = int64(len(c.data))
			if err := Parse(context.Background(), c.format, "f", bytes.NewReader(c.data), c.opts, func(Record) error { return nil }); err != nil {
				t.Fatalf("a file of exactly MaxSize: %v", err)
			}
			c.opts.MaxSize = int64(len(c.data)) - 1
			// Known size: refused before any record.
			err := Parse(context.Background(), c.format, "f", bytes.NewReader(c.data), c.opts, func(Record) error {
				t.Fatal("record emitted for an oversized file")
				return nil
			})
			wantFileError(t, err, "f", 0, "limit")
			// Unknown size: refused by counting.
			err = Parse(context.Background(), c.format, "f", onlyReader{bytes.NewReader(c.data)}, c.opts, func(Record) error { return nil })
			wantFileError(t, err, "f", -1, "size limit")
		})
	}
	t.Run("file", func(t *testing.T) {
		f, err := os.Open("testdata/rsexport-basic.xml")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		err = Parse(context.Background(), profile.FormatRSExport, "f", f, Options{MaxSize: 100}, func(Record) error {
			t.Fatal("record emitted for an oversized file")
			return nil
		})
		wantFileError(t, err, "f", 0, "limit")
	})
}

func TestParseEmitErrorAndCancel(t *testing.T) {
	files := []struct {
		format, file string
		opts         Options
	}{
		{profile.FormatRSExport, "rsexport-basic.xml", Options{}},
		{profile.FormatALEPHPrint, "aleph-print-slips.xml", Options{}},
		{profile.FormatALEPHText, "aleph-text-delimited.txt", Options{Layout: delimitedLayout()}},
	}
	stop := errors.New("stop here")
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f.file))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(f.format+"/emit", func(t *testing.T) {
			n := 0
			err := Parse(context.Background(), f.format, f.file, bytes.NewReader(data), f.opts, func(Record) error {
				n++
				if n == 2 {
					return stop
				}
				return nil
			})
			if err != stop || n != 2 {
				t.Fatalf("err = %v after %d records, want the emit error as is after 2", err, n)
			}
		})
		t.Run(f.format+"/cancel", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			n := 0
			err := Parse(ctx, f.format, f.file, bytes.NewReader(data), f.opts, func(Record) error {
				n++
				cancel()
				return nil
			})
			if !errors.Is(err, context.Canceled) || n != 1 {
				t.Fatalf("err = %v after %d records, want context.Canceled after 1", err, n)
			}
		})
	}
}

func TestPlausibleBarcode(t *testing.T) {
	cases := []struct {
		b, mms, item string
		want         bool
	}{
		{"39015000000001", "991000000000101", "", true},
		{"000000001", "", "", true},
		{"A12345", "", "", true},
		{"", "", "", false},
		{"vol. 2", "", "", false},
		{"991000000000301", "", "", false},                // MMS id shape
		{"9910000000003", "", "", true},                   // 13 digits: too short to be an MMS id
		{"991234", "991234", "", false},                   // equals the MMS id
		{"231000000000101", "", "231000000000101", false}, // equals the item id
		{"a\tb", "", "", false},
		{strings.Repeat("1", 65), "", "", false},
	}
	for _, c := range cases {
		if got := plausibleBarcode(c.b, c.mms, c.item); got != c.want {
			t.Errorf("plausibleBarcode(%q) = %v, want %v", c.b, got, c.want)
		}
	}
}

func TestParseALEPHPrintVariants(t *testing.T) {
	slip := func(id string) string {
		return "<printout>\r\n<form-name>hold-request-slip</form-name>\r\n<section-01><z37-request-number>" + id +
			"</z37-request-number><z37-id>P1</z37-id></section-01>\r\n<section-02><z30-barcode>B" + id + "</z30-barcode></section-02>\r\n</printout>\r\n"
	}
	cases := []struct {
		name, doc string
		lines     []int
	}{
		{"BOM and CRLF", "\xEF\xBB\xBF## - XML_XSL\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n" + slip("1") + "## - XML_XSL\r\n" + slip("2"), []int{3, 9}},
		{"no marker", "<?xml version=\"1.0\"?>\n" + slip("1"), []int{2}},
		{"wrapper element", "## - XML_XSL\n<?xml version=\"1.0\"?>\n<printouts>\n" + slip("1") + slip("2") + "</printouts>\n", []int{4, 9}},
		{"undeclared prefix", "<a:printout><a:form-name>hold-request-slip</a:form-name><a:section-01><a:z37-request-number>1</a:z37-request-number><a:z37-id>P1</a:z37-id></a:section-01><a:section-02><a:z30-barcode>B1</a:z30-barcode></a:section-02></a:printout>", []int{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseBytes(t, profile.FormatALEPHPrint, "p.xml", []byte(c.doc), Options{})
			if res.err != nil || len(res.errs) != 0 {
				t.Fatalf("err %v, record errors %+v", res.err, res.errs)
			}
			var lines []int
			for _, r := range res.reqs {
				lines = append(lines, r.Line)
				if r.PatronID != "P1" || r.Barcode != "B"+r.ID || r.Type != "hold" {
					t.Errorf("request = %+v", r)
				}
			}
			if !reflect.DeepEqual(lines, c.lines) {
				t.Errorf("lines = %v, want %v", lines, c.lines)
			}
		})
	}
}
