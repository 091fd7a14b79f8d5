package conform

import (
	"testing"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/ncip/internal/hostile"
)

// The hostile shapes of issue 11, item 3, as NCIP messages and through the
// conformance check, which mock ALMA runs on every request in strict mode:
// each stays under 50 ms for 1 MiB (DESIGN §3, Bad input).
func benchCheck(b *testing.B, unit string) {
	data := hostile.Fill(ncip.DefaultMaxSize,
		`<NCIPMessage xmlns="`+ncip.Namespace+`" version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"><CheckOutItem>`,
		unit, "</CheckOutItem></NCIPMessage>")
	if _, err := Check(data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, _ = Check(data)
	}
}

// BenchmarkItem3CheckAttributes: 1 MiB of elements with 256 attributes each, every one a finding.
func BenchmarkItem3CheckAttributes(b *testing.B) {
	benchCheck(b, "<ItemId"+hostile.Attrs(ncip.MaxAttrs)+"/>")
}

// BenchmarkItem3CheckElements: 1 MiB of unexpected empty elements.
func BenchmarkItem3CheckElements(b *testing.B) {
	benchCheck(b, "<ItemId/>")
}
