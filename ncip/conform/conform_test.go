package conform

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip"
)

const corpus = "../testdata/conformance"

func corpusFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(corpus, dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".xml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func mustCheck(t testing.TB, data []byte) Report {
	t.Helper()
	r, err := Check(data)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return r
}

func checkFile(t testing.TB, path string) Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mustCheck(t, data)
}

func dump(r Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString("\n\t" + f.Severity.String() + " " + f.String())
	}
	return b.String()
}

func errorsOf(r Report) []ncip.Finding {
	var out []ncip.Finding
	for _, f := range r.Findings {
		if f.Severity == ncip.Error {
			out = append(out, f)
		}
	}
	return out
}

// TestCorpusAgreesWithXmllint: on every v2 corpus file of a modelled service
// the checker errs exactly when xmllint does, at the line and element it names.
func TestCorpusAgreesWithXmllint(t *testing.T) {
	reports := map[string]Report{}
	var files []string
	skipped := 0
	for _, f := range corpusFiles(t, "v2") {
		r := checkFile(t, f)
		if r.Version != ncip.V2 {
			t.Errorf("%s: read as %v", f, r.Version)
		}
		if !r.Modelled {
			skipped++
			continue
		}
		reports[f] = r
		files = append(files, f)
	}
	verdicts := runXmllint(t, files)
	valid := 0
	for _, f := range files {
		r, v := reports[f], verdicts[f]
		name := filepath.Base(f)
		if v.valid {
			valid++
			if !r.OK() {
				t.Errorf("%s: xmllint validates it, the checker reports errors:%s", name, dump(r))
			}
			continue
		}
		for _, xe := range v.errors {
			found := false
			for _, e := range errorsOf(r) {
				if e.Line == xe.line && (strings.Contains(e.Message, xe.element) || strings.HasSuffix(e.Path, "/"+xe.element)) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: xmllint says line %d, element %s: %s\nthe checker has no error there:%s",
					name, xe.line, xe.element, xe.text, dump(r))
			}
		}
	}
	t.Logf("compared %d modelled corpus files with xmllint (%d valid, %d invalid); %d files of unmodelled services skipped",
		len(files), valid, len(files)-valid, skipped)
}

// TestKnownCorpusErrors pins the findings on the corpus' broken messages.
func TestKnownCorpusErrors(t *testing.T) {
	tests := []struct {
		file  string
		line  int
		rule  string
		words []string
	}{
		{"v2/folio/ncip-checkin.xml", 2, "v2.namespace", []string{`xmlns="http://www.niso.org/2008/ncip"`}},
		{"v2/folio/ncip-checkin.xml", 2, "v2.version", []string{"ns1:version"}},
		{"v2/folio/ncip-checkin.xml", 2, "v2.text", []string{"xmlns:xsi"}},
		{"v2/folio/ncip-cancelRequestItem-missingUser.xml", 12, "v2.content",
			[]string{"CancelRequestItem: UserId or AuthenticationInput is required before RequestId"}},
		{"v2/folio/ncip-deleteItem-missingItem.xml", 3, "v2.content", []string{"DeleteItem: ItemId is required"}},
	}
	for _, tc := range tests {
		r := checkFile(t, filepath.Join(corpus, tc.file))
		found := false
		for _, f := range errorsOf(r) {
			if f.Line != tc.line || f.Rule != tc.rule {
				continue
			}
			ok := true
			for _, w := range tc.words {
				ok = ok && strings.Contains(f.Message, w)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("%s: want a %s error at line %d mentioning %q; got:%s", tc.file, tc.rule, tc.line, tc.words, dump(r))
		}
	}
	// The namespace is one finding, not one per element.
	r := checkFile(t, filepath.Join(corpus, "v2/folio/ncip-checkin.xml"))
	n := 0
	for _, f := range r.Findings {
		if f.Rule == "v2.namespace" {
			n++
		}
	}
	if n != 1 || r.Service != "CheckInItem" || !r.Modelled {
		t.Errorf("ncip-checkin.xml: %d namespace findings, service %q, modelled %v:%s", n, r.Service, r.Modelled, dump(r))
	}
}

func TestUnmodelledService(t *testing.T) {
	r := checkFile(t, filepath.Join(corpus, "v2/circill/AcceptItem.xml"))
	if r.Service != "AcceptItem" || r.Modelled || !r.OK() {
		t.Fatalf("service %q modelled %v ok %v:%s", r.Service, r.Modelled, r.OK(), dump(r))
	}
	want := ncip.Finding{Rule: "v2.not-modelled", Severity: ncip.Info, Line: 4, Path: "/NCIPMessage/AcceptItem",
		Message: "AcceptItem is not modelled by annex; only the envelope was checked"}
	if len(r.Findings) != 1 || r.Findings[0] != want {
		t.Errorf("findings:%s\nwant %v", dump(r), want)
	}
	// The envelope is still checked.
	r = mustCheck(t, []byte(`<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip">
<ns1:AcceptItem><Anything/></ns1:AcceptItem>
<ns1:LookupUser/>
</ns1:NCIPMessage>`))
	assertFindings(t, r, []string{
		"error v2.version 1 /NCIPMessage",
		"info v2.not-modelled 2 /NCIPMessage/AcceptItem",
		"error v2.content 3 /NCIPMessage/LookupUser",
	})
}

// assertFindings compares findings as "severity rule line path" strings, in order.
func assertFindings(t *testing.T, r Report, want []string) {
	t.Helper()
	var got []string
	for _, f := range r.Findings {
		got = append(got, strings.Join([]string{f.Severity.String(), f.Rule, itoa(f.Line), f.Path}, " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s\nmessages:%s", strings.Join(got, "\n"), strings.Join(want, "\n"), dump(r))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

const v2Head = `<?xml version="1.0" encoding="UTF-8"?>
<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">
`

// TestV2Messages pins the wording of the content findings.
func TestV2Messages(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // "rule line message"
	}{
		{"missing user", `<ns1:CheckOutItem>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
</ns1:CheckOutItem>`, []string{"v2.content 4 CheckOutItem: UserId or AuthenticationInput is required before ItemId"}},
		{"empty checkout", `<ns1:CheckOutItem/>`,
			[]string{"v2.content 3 CheckOutItem: (UserId or AuthenticationInput) and ItemId are required"}},
		{"swapped", `<ns1:CheckOutItem>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
<ns1:UserId><ns1:UserIdentifierValue>1</ns1:UserIdentifierValue></ns1:UserId>
</ns1:CheckOutItem>`, []string{"v2.content 4 CheckOutItem: UserId must come before ItemId"}},
		{"second item", `<ns1:DeleteItem>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
<ns1:ItemId><ns1:ItemIdentifierValue>2</ns1:ItemIdentifierValue></ns1:ItemId>
</ns1:DeleteItem>`, []string{"v2.content 5 DeleteItem: a second ItemId is not allowed; expected Ext"}},
		{"foreign child", `<ns1:DeleteItem>
<ns1:Foo/>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
</ns1:DeleteItem>`, []string{"v2.content 4 DeleteItem: Foo is not allowed in DeleteItem; expected one of InitiationHeader, MandatedAction, ItemId"}},
		{"after", `<ns1:DeleteItemResponse>
<ns1:Problem><ns1:ProblemType>Unknown Item</ns1:ProblemType></ns1:Problem>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
</ns1:DeleteItemResponse>`, []string{"v2.content 5 DeleteItemResponse: ItemId is not allowed after Problem; expected one of Problem, Ext"}},
		{"values", `<ns1:CheckOutItemResponse>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
<ns1:UserId><ns1:UserIdentifierValue>1</ns1:UserIdentifierValue></ns1:UserId>
<ns1:DateDue>2022-02-30T00:00:00Z</ns1:DateDue>
<ns1:RenewalCount>-1</ns1:RenewalCount>
</ns1:CheckOutItemResponse>`, []string{
			`v2.value 6 DateDue: "2022-02-30T00:00:00Z" is not valid; expected a date and time such as 2022-06-20T00:00:00Z (xs:dateTime)`,
			`v2.value 7 RenewalCount: "-1" is not valid; expected a whole number, 0 or more (xs:nonNegativeInteger)`}},
		{"flag and attributes", `<ns1:CheckOutItemResponse foo="1">
<ns1:ItemId><ns1:AgencyId Scheme="x">A</ns1:AgencyId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
<ns1:UserId><ns1:UserIdentifierValue/></ns1:UserId>
<ns1:IndeterminateLoanPeriodFlag>yes</ns1:IndeterminateLoanPeriodFlag>
</ns1:CheckOutItemResponse>`, []string{
			"v2.attribute 3 CheckOutItemResponse: attribute foo is not allowed; CheckOutItemResponse takes no attributes",
			`v2.attribute 4 AgencyId: the Scheme attribute must be namespace-qualified (the schema's attributeFormDefault is qualified): write ns1:Scheme="x"`,
			"v2.empty-value 5 UserIdentifierValue is empty: the schema allows it, but the receiving system cannot match an empty UserIdentifierValue",
			"v2.content 6 IndeterminateLoanPeriodFlag is a flag and must be empty, not even whitespace: write <ns1:IndeterminateLoanPeriodFlag/>",
		}},
		{"stray text", `<ns1:CheckInItem>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
oops
</ns1:CheckInItem>`, []string{`v2.text 5 CheckInItem: text "oops" is not allowed here; CheckInItem holds only elements`}},
		{"two services", `<ns1:CheckInItem><ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId></ns1:CheckInItem>
<ns1:DeleteItem><ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId></ns1:DeleteItem>`,
			[]string{"v2.content 4 NCIPMessage: DeleteItem is not allowed after CheckInItem; a message holds exactly one service element"}},
		{"not a service", `<ns1:Hello/>`, []string{
			"v2.content 3 NCIPMessage: Hello is not an NCIP message; the body must be one service element such as CheckOutItem, or message-level Problems",
			"v2.content 2 NCIPMessage: a service element (such as CheckOutItem), message-level Problems or Ext is required"}},
		{"bare problem", `<ns1:Problem><ns1:ProblemType>Unknown Service</ns1:ProblemType><ns1:ProblemDetail/></ns1:Problem>`, nil},
		{"ext", `<ns1:DeleteItem>
<ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId>
<ns1:Ext><ns1:AgencyId>x</ns1:AgencyId><ns1:RequestedActionType>y</ns1:RequestedActionType><ns1:Foo/></ns1:Ext>
</ns1:DeleteItem>`, []string{
			"v2.content 5 Ext: Foo is not an element of the NCIP 2 schema; Ext may hold only elements the schema declares"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCheck(t, []byte(v2Head+tc.body+"\n</ns1:NCIPMessage>\n"))
			var got []string
			for _, f := range r.Findings {
				if f.Severity != ncip.Info {
					got = append(got, f.Rule+" "+itoa(f.Line)+" "+f.Message)
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestV1Samples(t *testing.T) {
	files := corpusFiles(t, "v1")
	if len(files) != 12 {
		t.Fatalf("%d v1 samples, want 12", len(files))
	}
	modelled := 0
	for _, f := range files {
		r := checkFile(t, f)
		if r.Version != ncip.V1 {
			t.Errorf("%s: read as %v", f, r.Version)
		}
		if r.Modelled {
			modelled++
			if !r.OK() {
				t.Errorf("%s: errors in a modelled v1 sample:%s", filepath.Base(f), dump(r))
			}
		} else {
			found := false
			for _, x := range r.Findings {
				found = found || (x.Rule == "v1.not-modelled" && x.Severity == ncip.Info)
			}
			if !found {
				t.Errorf("%s: no v1.not-modelled finding:%s", filepath.Base(f), dump(r))
			}
		}
	}
	if modelled != 3 {
		t.Errorf("%d modelled v1 samples, want 3 (CheckInItemResponse ×2, CheckOutItemResponse)", modelled)
	}
}

const v1CheckIn = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN" "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">
<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">
  <CheckInItem>
    <InitiationHeader>
      <FromAgencyId><UniqueAgencyId><Scheme>http://www.niso.org/ncip/v1_0/schemes/agency.scm</Scheme><Value>CAIAAGENCY</Value></UniqueAgencyId></FromAgencyId>
      <ToAgencyId><UniqueAgencyId><Scheme></Scheme><Value>CLIENTAGENCY</Value></UniqueAgencyId></ToAgencyId>
      <ApplicationProfileType><Scheme>x</Scheme><Value>CAIAPROFILE</Value></ApplicationProfileType>
    </InitiationHeader>
    <UniqueItemId>
      <UniqueAgencyId><Scheme>x</Scheme><Value>CLIENTAGENCY</Value></UniqueAgencyId>
      <ItemIdentifierValue>31234000123456</ItemIdentifierValue>
    </UniqueItemId>
  </CheckInItem>
</NCIPMessage>
`

func TestV1Rules(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // "severity rule line message"
	}{
		{"valid", func(s string) string { return s }, []string{
			"warning v1.empty-value 7 Scheme is empty: real clients send it, but the receiving system cannot match an empty Scheme"}},
		{"missing UniqueItemId", func(s string) string {
			return cut(s, "    <UniqueItemId>", "</UniqueItemId>\n")
		}, []string{
			"error v1.content 4 CheckInItem: UniqueItemId is required",
			"warning v1.empty-value 7 Scheme is empty: real clients send it, but the receiving system cannot match an empty Scheme"}},
		{"swapped", func(s string) string {
			return strings.Replace(s, "<Scheme>x</Scheme><Value>CAIAPROFILE</Value>", "<Value>CAIAPROFILE</Value><Scheme>x</Scheme>", 1)
		}, []string{
			"warning v1.empty-value 7 Scheme is empty: real clients send it, but the receiving system cannot match an empty Scheme",
			"error v1.content 8 ApplicationProfileType: Scheme must come before Value"}},
		{"namespace", func(s string) string {
			return strings.Replace(s, "<NCIPMessage ", `<NCIPMessage xmlns="http://www.niso.org/ncip/v1_0" `, 1)
		}, []string{
			`error v1.namespace 3 NCIPMessage is in the namespace "http://www.niso.org/ncip/v1_0", but NCIP 1 messages have no namespace: remove xmlns="http://www.niso.org/ncip/v1_0"`,
			"warning v1.empty-value 7 Scheme is empty: real clients send it, but the receiving system cannot match an empty Scheme"}},
		{"no doctype, odd version", func(s string) string {
			s = cut(s, "<!DOCTYPE", ">\n")
			return strings.Replace(s, `version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"`, `version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_9.dtd"`, 1)
		}, []string{
			`warning v1.doctype 0 the message has no DOCTYPE; ALEPH's own NCIP 1 messages carry <!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1//EN" "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">`,
			`warning v1.version-value 2 NCIPMessage: version "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_9.dtd" is not a known NCIP 1 version string, such as "http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"`,
			"warning v1.empty-value 6 Scheme is empty: real clients send it, but the receiving system cannot match an empty Scheme"}},
		{"header without ToAgencyId", func(s string) string {
			return cut(s, "      <ToAgencyId>", "</ToAgencyId>\n")
		}, []string{"error v1.content 7 InitiationHeader: ToAgencyId is required before ApplicationProfileType"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCheck(t, []byte(tc.edit(v1CheckIn)))
			if r.Version != ncip.V1 || r.Service != "CheckInItem" || !r.Modelled {
				t.Errorf("version %v service %q modelled %v", r.Version, r.Service, r.Modelled)
			}
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Severity.String()+" "+f.Rule+" "+itoa(f.Line)+" "+f.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// cut removes the text from the first from to the end of the following to.
func cut(s, from, to string) string {
	i := strings.Index(s, from)
	j := strings.Index(s[i:], to)
	return s[:i] + s[i+j+len(to):]
}

func TestUnreadableInput(t *testing.T) {
	_, err := Check([]byte("<NCIPMessage><CheckInItem></NCIPMessage>"))
	var se *ncip.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("err = %v, want a wrapped *ncip.SyntaxError", err)
	}
	_, err = Check(make([]byte, ncip.DefaultMaxSize+1))
	var tl *ncip.TooLargeError
	if !errors.As(err, &tl) {
		t.Errorf("err = %v, want a wrapped *ncip.TooLargeError", err)
	}
}

func BenchmarkCheckCheckOutItem(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpus, "v2/circill/CheckOutItem.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if r, err := Check(data); err != nil || !r.OK() {
			b.Fatal(err, r.Findings)
		}
	}
}
