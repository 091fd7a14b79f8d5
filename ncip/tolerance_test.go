package ncip

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const checkInV2 = `<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd"><ns1:CheckInItem><ns1:InitiationHeader><ns1:FromAgencyId><ns1:AgencyId>CAIA</ns1:AgencyId></ns1:FromAgencyId><ns1:ToAgencyId><ns1:AgencyId>01PRI_INST</ns1:AgencyId></ns1:ToAgencyId></ns1:InitiationHeader><ns1:ItemId><ns1:ItemIdentifierValue>%s</ns1:ItemIdentifierValue></ns1:ItemId></ns1:CheckInItem></ns1:NCIPMessage>`

func checkIn(barcode string) string { return strings.Replace(checkInV2, "%s", barcode, 1) }

func barcodeOf(t *testing.T, data []byte) (string, []Finding) {
	t.Helper()
	m, fs, err := Decode(data, ParseOptions{})
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	if m.Version != V2 {
		t.Errorf("version %v, want NCIP 2", m.Version)
	}
	ci, ok := m.Body.(*CheckInItem)
	if !ok {
		t.Fatalf("body %T", m.Body)
	}
	return ci.ItemId.ItemIdentifierValue, fs
}

func hasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// The decoder reads every shape real peers send (DESIGN §1.1).
func TestDecodeTolerance(t *testing.T) {
	latin1 := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b
	}
	cases := []struct {
		name     string
		data     []byte
		barcode  string
		wantRule string // a finding the decoder must report; "" for none at all
	}{
		{"ns1 prefix with declaration", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + checkIn("123")), "123", ""},
		{"no declaration", []byte(checkIn("123")), "123", ""},
		{"default namespace, unqualified version",
			[]byte(`<NCIPMessage xmlns="http://www.niso.org/2008/ncip" version="http://www.niso.org/schemas/ncip/v2_0/ncip_v2_0.xsd"><CheckInItem><ItemId><ItemIdentifierValue>123</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>`), "123", ""},
		{"no namespace, v2 version string",
			[]byte(`<NCIPMessage version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"><CheckInItem><ItemId><ItemIdentifierValue>123</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>`), "123", ""},
		{"no namespace, no version", []byte(`<NCIPMessage><CheckInItem><ItemId><ItemIdentifierValue>123</ItemIdentifierValue></ItemId></CheckInItem></NCIPMessage>`), "123", "version.guessed"},
		{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, checkIn("123")...), "123", ""},
		{"ISO-8859-1 declared and sent", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), latin1(checkIn("Bücher-1"))...), "Bücher-1", ""},
		{"declared ISO-8859-1, sent UTF-8", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + checkIn("Bücher-1")), "Bücher-1", "charset.mismatch"},
		{"declared UTF-8, sent Latin-1", append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`), latin1(checkIn("Bücher-1"))...), "Bücher-1", "charset.mismatch"},
		{"single quotes and spaces in the declaration", []byte(`<?xml version = '1.0' encoding = 'UTF-8'?>` + checkIn("123")), "123", ""},
		{"DOCTYPE with an internal subset is never expanded",
			[]byte(`<?xml version="1.0"?><!DOCTYPE NCIPMessage SYSTEM "http://example.invalid/ncip.dtd" [<!ENTITY x "boom">]>` + checkIn("123")), "123", ""},
		{"whitespace around values", []byte(strings.Replace(checkIn("123"), ">123<", ">\n   123\t<", 1)), "123", ""},
		{"CRLF and tabs", []byte(strings.ReplaceAll(checkIn("123"), "><", ">\r\n\t<")), "123", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, fs := barcodeOf(t, tc.data)
			if got != tc.barcode {
				t.Errorf("barcode = %q, want %q", got, tc.barcode)
			}
			if tc.wantRule == "" && len(fs) > 0 {
				t.Errorf("unexpected findings: %v", fs)
			}
			if tc.wantRule != "" && !hasRule(fs, tc.wantRule) {
				t.Errorf("findings %v lack %s", fs, tc.wantRule)
			}
		})
	}
}

func TestDecodeUTF16(t *testing.T) {
	s := `<?xml version="1.0" encoding="UTF-16"?>` + checkIn("Bü-1")
	var b []byte
	b = append(b, 0xFF, 0xFE)
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	got, _ := barcodeOf(t, b)
	if got != "Bü-1" {
		t.Errorf("barcode = %q", got)
	}
}

func TestDecodeV1Shapes(t *testing.T) {
	body := `<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><CheckOutItem><InitiationHeader><FromAgencyId><UniqueAgencyId><Scheme></Scheme><Value>CAIAAGENCY</Value></UniqueAgencyId></FromAgencyId><ToAgencyId><UniqueAgencyId><Scheme/><Value>CLIENTAGENCY</Value></UniqueAgencyId></ToAgencyId></InitiationHeader><UniqueUserId><UniqueAgencyId><Scheme/><Value>CLIENTAGENCY</Value></UniqueAgencyId><UserIdentifierValue>CAIAUSER</UserIdentifierValue></UniqueUserId><UniqueItemId><UniqueAgencyId><Scheme/><Value>CLIENTAGENCY</Value></UniqueAgencyId><ItemIdentifierValue>000123</ItemIdentifierValue></UniqueItemId></CheckOutItem></NCIPMessage>`
	for name, data := range map[string]string{
		"with DOCTYPE":           `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN" "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">` + body,
		"without declaration":    body,
		"version 1.01 SYSTEM id": `<!DOCTYPE NCIPMessage SYSTEM "ncip_v1_01.dtd">` + strings.Replace(body, "v1_0/imp1/dtd/ncip_v1_0", "v1_01/imp1/dtd/ncip_v1_01", 1),
	} {
		m, fs, err := Decode([]byte(data), ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		co, ok := m.Body.(*CheckOutItem)
		if m.Version != V1 || !ok {
			t.Fatalf("%s: %v %T", name, m.Version, m.Body)
		}
		if co.UserId.UserIdentifierValue != "CAIAUSER" || co.ItemId.ItemIdentifierValue != "000123" ||
			co.InitiationHeader.ToAgencyId != (SchemeValue{Value: "CLIENTAGENCY"}) || len(fs) != 0 {
			t.Errorf("%s: %+v findings %v", name, co, fs)
		}
	}
}

func TestDecodeReportsWhatItIgnores(t *testing.T) {
	data := strings.Replace(checkIn("123"), "</ns1:ItemId>", "</ns1:ItemId><ns1:Shelf>R01</ns1:Shelf>", 1)
	_, fs := barcodeOf(t, []byte(data))
	if len(fs) != 1 || fs[0].Rule != "decode.ignored" || fs[0].Path != "/NCIPMessage/CheckInItem/Shelf" || fs[0].Line != 1 {
		t.Errorf("findings = %+v", fs)
	}
}

func TestDecodeErrors(t *testing.T) {
	big := []byte(checkIn(strings.Repeat("9", DefaultMaxSize)))
	cases := []struct {
		name string
		data []byte
		opts ParseOptions
		want string
		is   any
	}{
		{"over the size cap", big, ParseOptions{}, "over the 1048576-byte limit", new(*TooLargeError)},
		{"custom cap", []byte(checkIn("1")), ParseOptions{MaxSize: 100}, "over the 100-byte limit", new(*TooLargeError)},
		{"truncated", []byte(checkIn("1")[:200]), ParseOptions{}, "line 1", new(*SyntaxError)},
		{"mismatched tags", []byte("<NCIPMessage>\n<CheckInItem>\n</ItemId>\n</NCIPMessage>"), ParseOptions{}, "line 3", new(*SyntaxError)},
		{"not XML", []byte("HTTP/1.1 500 oops"), ParseOptions{}, "line 1", new(*SyntaxError)},
		{"empty", nil, ParseOptions{}, "no root element", new(*SyntaxError)},
		{"unknown entity", []byte("<NCIPMessage><CheckInItem>&nbsp;</CheckInItem></NCIPMessage>"), ParseOptions{}, "entity", new(*SyntaxError)},
		{"wrong root", []byte("<html><body/></html>"), ParseOptions{}, "root element is <html>", &ErrNotNCIP},
		{"empty envelope", []byte(`<NCIPMessage version="x"/>`), ParseOptions{}, "holds no service", &ErrNotNCIP},
		{"deep nesting", []byte(strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)), ParseOptions{}, "nested deeper", new(*SyntaxError)},
		{"unsupported charset", []byte(`<?xml version="1.0" encoding="EBCDIC-US"?><NCIPMessage/>`), ParseOptions{}, "unsupported encoding", new(*SyntaxError)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(tc.data, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			switch target := tc.is.(type) {
			case **TooLargeError:
				if !errors.As(err, target) {
					t.Errorf("err %T is not a *TooLargeError", err)
				}
			case **SyntaxError:
				if !errors.As(err, target) {
					t.Errorf("err %T is not a *SyntaxError", err)
				}
			case *error:
				if !errors.Is(err, *target) {
					t.Errorf("err is not %v", *target)
				}
			}
		})
	}
}

func TestProblemsAndIsResponse(t *testing.T) {
	m, _, err := Decode([]byte(`<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><Problem><ProblemType>Unknown Service</ProblemType></Problem></NCIPMessage>`), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsResponse() || len(m.Problems()) != 1 || m.Problems()[0].ProblemType.Value != "Unknown Service" {
		t.Errorf("message-level problem: %+v", m)
	}
	// A Problem in a response annex does not model is still seen.
	m, _, _ = Decode([]byte(`<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><RenewItemResponse><Problem><ProblemType>Unknown Item</ProblemType><ProblemValue>1</ProblemValue></Problem></RenewItemResponse></NCIPMessage>`), ParseOptions{})
	if !m.IsResponse() || len(m.Problems()) != 1 || m.Problems()[0].ProblemValue != "1" {
		t.Errorf("unmodelled response problem: %+v", m.Problems())
	}
	m, _, _ = Decode([]byte(checkIn("1")), ParseOptions{})
	if m.IsResponse() || m.Problems() != nil {
		t.Errorf("CheckInItem taken for a response")
	}
}

func TestDateTime(t *testing.T) {
	tm, err := ParseDateTime("2022-06-20T00:00:00.000Z")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatDateTime(tm); got != "2022-06-20T00:00:00.000Z" {
		t.Errorf("FormatDateTime = %q", got)
	}
	if _, err := ParseDateTime("20220620"); err == nil {
		t.Error("ParseDateTime accepted a v1 YYYYMMDD date as xs:dateTime")
	}
	if !bytes.Contains([]byte(FormatDateTime(tm.Local())), []byte("Z")) {
		t.Error("FormatDateTime must write UTC")
	}
}
