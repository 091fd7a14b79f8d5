package requestfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

// filler is an io.Reader of n bytes of b, so a test can feed a parser a
// file of hundreds of megabytes without holding or writing one.
type filler struct {
	n int64
	b byte
}

func (f *filler) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), f.n)]
	for i := range p {
		p[i] = f.b
	}
	f.n -= int64(len(p))
	return len(p), nil
}

// hugeNode is head, n bytes of b, then tail, generated as it is read.
func hugeNode(head string, n int64, b byte, tail string) io.Reader {
	return io.MultiReader(strings.NewReader(head), &filler{n: n, b: b}, strings.NewReader(tail))
}

// allocated returns the bytes allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestItem7TextNodeMemory (issue 11, item 7): a request file with one text
// node of 128 MB used to be read whole into memory by encoding/xml (at least
// 128 MB allocated, as much again while its buffer grew) before the field
// cap threw nearly all of it away. Now the file is refused once the node
// passes maxToken, naming the line where the text starts and its element,
// having allocated a few megabytes whatever the node's size.
func TestItem7TextNodeMemory(t *testing.T) {
	const size = 128 << 20
	const budget = 16 << 20 // maxToken and the decoder's and reader's buffers, with room to spare
	// want is where the token is too long; the message goes on with its cap.
	cases := []struct {
		name, format, head, tail, want string
		line                           int
	}{
		{"rsExport field", profile.FormatRSExport,
			"<requests>\n<rsExport>\n<requestId>R1</requestId>\n<requestNote>", "</requestNote></rsExport></requests>\n",
			"text in <requestNote>", 4},
		{"rsExport field, ISO-8859-1", profile.FormatRSExport,
			"<?xml version='1.0' encoding='ISO-8859-1'?>\n<requests>\n<rsExport>\n<requestNote>", "</requestNote></rsExport></requests>\n",
			"text in <requestNote>", 4},
		{"text between records", profile.FormatRSExport,
			"<requests>\n<rsExport><requestId>R1</requestId></rsExport>\n", "<rsExport/></requests>\n",
			"text in <requests>", 2},
		{"comment", profile.FormatRSExport,
			"<requests>\n<rsExport><requestId>R1</requestId></rsExport>\n\n<!--", "--></requests>\n",
			"markup in <requests>", 4},
		{"attribute value", profile.FormatRSExport,
			"<requests>\n<rsExport note='", "'/></requests>\n",
			"markup in <requests>", 2},
		{"ALEPH slip field", profile.FormatALEPHPrint,
			"## - XML_XSL\n<printout>\n<section-01>\n<z37-id>", "</z37-id></section-01></printout>\n",
			"text in <z37-id>", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf("%s is longer than %d bytes", c.want, maxToken)
			var err error
			n := allocated(func() {
				err = Parse(context.Background(), c.format, "huge.xml", hugeNode(c.head, size, 'x', c.tail), Options{}, func(Record) error { return nil })
			})
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "huge.xml" || fe.Line != c.line || !strings.Contains(fe.Msg, want) {
				t.Errorf("err = %v, want huge.xml:%d: %s", err, c.line, want)
			}
			if n > budget {
				t.Errorf("allocated %d MB reading a %d MB node, over %d MB", n>>20, size>>20, budget>>20)
			}
		})
	}
}

// TestItem7LongFieldDeniesRecord: a field over MaxFieldSize but within
// maxToken still denies only its record, as before the token cap.
func TestItem7LongFieldDeniesRecord(t *testing.T) {
	doc := "<requests>\n<rsExport><requestId>OK</requestId></rsExport>\n<rsExport><requestId>R2</requestId><requestNote>" +
		strings.Repeat("x", maxToken-1) + "</requestNote></rsExport>\n</requests>"
	res := parseBytes(t, profile.FormatRSExport, "f.xml", []byte(doc), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.reqs) != 1 || len(res.errs) != 1 || res.errs[0].Field != "requestNote" {
		t.Fatalf("requests %v, errors %+v", ids(res.reqs), res.errs)
	}
}
