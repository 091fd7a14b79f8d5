package requestfile

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

// fuzzParse checks what must hold for any input: no panic, every record
// error names file, line and message, a file error has a message, and
// nothing but a *FileError comes back (emit never fails here).
func fuzzParse(t *testing.T, format string, data []byte, opts Options) {
	err := Parse(context.Background(), format, "fuzz", bytes.NewReader(data), opts, func(r Record) error {
		checkRecord(t, "fuzz", r)
		return nil
	})
	if err == nil {
		return
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want nil or *FileError", err, err)
	}
	if fe.Msg == "" || fe.File != "fuzz" || fe.Line < 0 {
		t.Fatalf("file error lacks file or message: %+v", fe)
	}
}

func FuzzParseRSExport(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><xb:requests xmlns:xb="u"><xb:rsExport><xb:requestId>1</xb:requestId></xb:rsExport></xb:requests>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, profile.FormatRSExport, data, Options{})
	})
}

func FuzzParseALEPHPrint(f *testing.F) {
	f.Add([]byte("## - XML_XSL\n<?xml version=\"1.0\"?>\n<printout><form-name>hold-request-slip</form-name><section-01><z37-request-number>1</z37-request-number></section-01></printout>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, profile.FormatALEPHPrint, data, Options{})
	})
}

func FuzzParseALEPHText(f *testing.F) {
	f.Add([]byte("1|b|p|x|y|t|a|hold|\n"), false, false)
	f.Add([]byte("000000101 000000001   M\xfcller, Anna    Main Library Circula20250102hold     The Go programming langu\n"), true, true)
	f.Fuzz(func(t *testing.T, data []byte, fixed, latin1 bool) {
		l := delimitedLayout()
		if fixed {
			l = fixedLayout("")
		}
		if latin1 {
			l.Encoding = "ISO-8859-1"
		}
		fuzzParse(t, profile.FormatALEPHText, data, Options{Layout: l})
	})
}
