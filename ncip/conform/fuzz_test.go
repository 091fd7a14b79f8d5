package conform

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip"
)

// brokenSeeds are inputs the corpus lacks: unreadable XML, empty and odd
// envelopes, strict-wildcard content, deep v1 error chains.
func brokenSeeds() []string {
	return []string{
		``,
		`<NCIPMessage`,
		`<NCIPMessage/>`,
		`<x:NCIPMessage><x:CheckInItem/></x:NCIPMessage>`,
		`<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="1" version="2" xml:lang="en">text<ns1:Problem/><ns1:Problem><ns1:ProblemType ns1:Scheme="%zz"/></ns1:Problem></ns1:NCIPMessage>`,
		`<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip"><ns1:Ext><ns1:Ext><ns1:ItemId/><ns1:LookupUser/><o:X xmlns:o="urn:o"/></ns1:Ext></ns1:Ext></ns1:NCIPMessage>`,
		`<ns1:CheckOutItem xmlns:ns1="http://www.niso.org/2008/ncip"><ns1:ItemId><ns1:ItemIdentifierValue>1</ns1:ItemIdentifierValue></ns1:ItemId></ns1:CheckOutItem>`,
		`<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd"><CheckInItemResponse><Problem><ProcessingError><ProcessingErrorType><Value/><Scheme/></ProcessingErrorType><ProcessingErrorElement><ElementName/><ProcessingErrorElement><ElementName/></ProcessingErrorElement></ProcessingErrorElement></ProcessingError></Problem><Problem/></CheckInItemResponse><X/></NCIPMessage>`,
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<NCIPMessage xmlns=\"http://www.niso.org/2008/ncip\"><CheckOutItemResponse><ItemId><ItemIdentifierValue>\xe9</ItemIdentifierValue></ItemId><UserId><UserIdentifierValue/></UserId><DateDue> 2022-06-20T24:00:00Z </DateDue><RenewalCount>99999999999999999999999999</RenewalCount></CheckOutItemResponse></NCIPMessage>",
	}
}

// fuzzSeeds returns the seed corpus: every conformance file, then the broken seeds.
func fuzzSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	seeds := map[string][]byte{}
	for _, f := range corpusFiles(t, ".") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(corpus, f)
		seeds["corpus-"+strings.NewReplacer("/", "-", "\\", "-").Replace(strings.TrimSuffix(rel, ".xml"))] = data
	}
	for i, s := range brokenSeeds() {
		seeds[fmt.Sprintf("broken-%02d", i)] = []byte(s)
	}
	return seeds
}

// seedFile is the `go test fuzz v1` encoding of one []byte argument.
func seedFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

const seedDir = "testdata/fuzz/FuzzCheck"

// TestFuzzSeedCorpus keeps the committed seed corpus equal to fuzzSeeds.
// ANNEX_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeedCorpus ./ncip/conform rewrites it.
func TestFuzzSeedCorpus(t *testing.T) {
	seeds := fuzzSeeds(t)
	if os.Getenv("ANNEX_WRITE_FUZZ_SEEDS") == "1" {
		if err := os.MkdirAll(seedDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			if err := os.WriteFile(filepath.Join(seedDir, name), seedFile(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range seeds {
		got, err := os.ReadFile(filepath.Join(seedDir, name))
		if err != nil || !bytes.Equal(got, seedFile(data)) {
			t.Errorf("seed %s is missing or stale (%v): run ANNEX_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeedCorpus ./ncip/conform", name, err)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, data := range fuzzSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Check(data)
		if err != nil {
			var se *ncip.SyntaxError
			var tl *ncip.TooLargeError
			if !errors.As(err, &se) && !errors.As(err, &tl) {
				t.Fatalf("error of type %T: %v", errors.Unwrap(err), err)
			}
			return
		}
		if r.Version != ncip.V1 && r.Version != ncip.V2 {
			t.Errorf("version %v", r.Version)
		}
		if !sort.SliceIsSorted(r.Findings, func(i, j int) bool {
			a, b := r.Findings[i], r.Findings[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Rule < b.Rule)
		}) {
			t.Errorf("findings not sorted:%s", dump(r))
		}
		for _, x := range r.Findings {
			if x.Rule == "" || x.Message == "" {
				t.Errorf("finding without rule or message: %+v", x)
			}
		}
	})
}
