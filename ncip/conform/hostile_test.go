package conform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/internal/hostile"
)

// The hostile shapes of issue 11, item 3, as NCIP messages and through the
// conformance check, which mock ALMA runs on every request in strict mode:
// each stays under 50 ms for 1 MiB (DESIGN §3, Bad input).

const (
	hostileOpen = `<NCIPMessage xmlns="` + ncip.Namespace + `" xmlns:ns1="` + ncip.Namespace +
		`" ns1:version="` + ncip.VersionV2_02 + `"><CheckOutItem>`
	hostileEnd = "</CheckOutItem></NCIPMessage>"
)

func benchCheck(b *testing.B, data []byte) {
	r, err := Check(data)
	if err != nil {
		b.Fatal(err)
	}
	if len(r.Findings) > MaxFindings+1 {
		b.Fatalf("%d findings listed", len(r.Findings))
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	start := hostile.CPU()
	for b.Loop() {
		_, _ = Check(data)
	}
	b.ReportMetric(float64(hostile.CPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkItem3CheckAttributes: 1 MiB of elements with 256 attributes each, every one a finding.
func BenchmarkItem3CheckAttributes(b *testing.B) {
	benchCheck(b, hostile.Fill(ncip.DefaultMaxSize, hostileOpen, "<ItemId"+hostile.Attrs(ncip.MaxAttrs)+"/>", hostileEnd))
}

// BenchmarkItem3CheckElements: 1 MiB of unexpected empty elements, each
// also incomplete: two findings an element before the cap.
func BenchmarkItem3CheckElements(b *testing.B) {
	benchCheck(b, hostile.Fill(ncip.DefaultMaxSize, hostileOpen, "<ItemId/>", hostileEnd))
}

// BenchmarkItem3CheckDeclarations: the most namespace declarations a
// document may carry (1,024), on the service and nested Ext elements, above
// 1 MiB of elements in Ext that resolve the default namespace and a declared
// prefix; Ext's strict wildcard reports each one.
func BenchmarkItem3CheckDeclarations(b *testing.B) {
	benchCheck(b, hostile.DeclarationsIn(ncip.MaxNamespaceDecls-2, ncip.DefaultMaxSize, "Ext", hostileOpen, hostileEnd))
}

// BenchmarkItem3CheckDeepNesting: 1 MiB of Ext subtrees nested to the
// parser's depth cap; Ext holds any schema element, Ext included, so every
// level is checked, and every subtree after the first is unexpected.
func BenchmarkItem3CheckDeepNesting(b *testing.B) {
	depth := ncip.MaxDepth - 2 // below NCIPMessage and CheckOutItem
	unit := strings.Repeat("<Ext>", depth) + strings.Repeat("</Ext>", depth)
	benchCheck(b, hostile.Fill(ncip.DefaultMaxSize, hostileOpen, unit, hostileEnd))
}

// TestItem3FindingsCapped: a report lists MaxFindings findings and one
// more that counts the rest with their worst severity, so the verdict does
// not change and the cost of describing hostile input is bounded.
func TestItem3FindingsCapped(t *testing.T) {
	const n = 1000
	data := []byte(hostileOpen + "<ItemId><ItemIdentifierValue>1</ItemIdentifierValue></ItemId>" +
		strings.Repeat("<Bogus/>", n) + hostileEnd)
	r, err := Check(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != MaxFindings+1 {
		t.Fatalf("%d findings, want %d", len(r.Findings), MaxFindings+1)
	}
	last := r.Findings[MaxFindings]
	// n unexpected Bogus elements and the missing UserId: n+1 errors, MaxFindings listed.
	want := fmt.Sprintf("…and %d more findings", n+1-MaxFindings)
	if last.Rule != "v2.more" || last.Severity != ncip.Error || !strings.HasPrefix(last.Message, want) {
		t.Errorf("last finding = %+v, want v2.more error %q", last, want)
	}
	if r.OK() {
		t.Error("report OK despite errors")
	}
	for _, f := range r.Findings[:MaxFindings] {
		if f.Rule == "v2.more" {
			t.Errorf("more finding among the listed ones: %+v", f)
		}
	}
}

// BenchmarkItem3CheckUndeclaredPrefixes: 1 MiB of elements whose prefix
// nothing declares, each a parser note (read as no namespace).
func BenchmarkItem3CheckUndeclaredPrefixes(b *testing.B) {
	benchCheck(b, hostile.Fill(ncip.DefaultMaxSize, hostileOpen, "<q:x/>", hostileEnd))
}

// BenchmarkItem3CheckV1Attributes: the attributes shape in an NCIP 1
// message, where each stray attribute is a warning.
func BenchmarkItem3CheckV1Attributes(b *testing.B) {
	benchCheck(b, hostile.Fill(ncip.DefaultMaxSize, `<NCIPMessage version="`+ncip.VersionV1_0+`"><CheckOutItem>`,
		"<UniqueItemId"+hostile.Attrs(ncip.MaxAttrs)+"/>", hostileEnd))
}
