package requestfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

// rsExportFile writes an export of n requests shaped like mock ALMA's.
func rsExportFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<xb:requests xmlns:xb="urn:annex:assumed:rsexport">` + "\n")
	for i := range n {
		typ, addr := "HOLD", ""
		if i%10 == 0 {
			typ, addr = "PHYSICAL_TO_DIGITIZATION", "\n      <xb:patronAddress>1 Main St, Springfield</xb:patronAddress>"
		}
		fmt.Fprintf(&b, `  <xb:rsExport>
    <xb:requestType>%s</xb:requestType>
    <xb:requestId>REQ-%07d</xb:requestId>
    <xb:pickup>
      <xb:library>MAIN</xb:library>
      <xb:pickupLocation>CIRC</xb:pickupLocation>
    </xb:pickup>
    <xb:operationalRecordinformation>
      <xb:permanent_physical_location_code>ANNEX</xb:permanent_physical_location_code>
    </xb:operationalRecordinformation>
    <xb:barcode>3901500%07d</xb:barcode>
    <xb:mmsId>99100%07d0301</xb:mmsId>
    <xb:itemId>23100%07d0301</xb:itemId>
    <xb:requestedInfo/>
    <xb:patronInfo>
      <xb:patronName>Reader %d</xb:patronName>
      <xb:patronIdentifier>P%07d</xb:patronIdentifier>
      <xb:patronEmail>reader%d@example.org</xb:patronEmail>%s
    </xb:patronInfo>
    <xb:institutionCode>01ANNEX_INST</xb:institutionCode>
    <xb:libraryCode>MAIN</xb:libraryCode>
    <xb:description>v.%d</xb:description>
    <xb:requestNote/>
  </xb:rsExport>
`, typ, i, i, i, i, i, i, i, addr, i%40)
	}
	b.WriteString("</xb:requests>\n")
	return b.Bytes()
}

func BenchmarkParseRSExport100k(b *testing.B) {
	const n = 100_000
	data := rsExportFile(n)
	opts := Options{MaxSize: int64(len(data))}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got := 0
		err := Parse(context.Background(), profile.FormatRSExport, "bench.xml", bytes.NewReader(data), opts, func(r Record) error {
			if r.Request == nil {
				return fmt.Errorf("record error: %v", r.Err)
			}
			got++
			return nil
		})
		if err != nil || got != n {
			b.Fatalf("err %v, %d requests", err, got)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// genReader produces an rsExport file of n requests as it is read, so that
// the test itself holds no file in memory.
type genReader struct {
	n, i          int
	buf           bytes.Buffer
	started, done bool
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && !g.done {
		switch {
		case !g.started:
			g.buf.WriteString(`<?xml version="1.0"?>` + "\n" + `<xb:requests xmlns:xb="u">` + "\n")
			g.started = true
		case g.i < g.n:
			fmt.Fprintf(&g.buf, "<xb:rsExport><xb:requestId>R%d</xb:requestId><xb:barcode>3901500%07d</xb:barcode>"+
				"<xb:patronInfo><xb:patronName>Reader %d</xb:patronName></xb:patronInfo></xb:rsExport>\n", g.i, g.i, g.i)
			g.i++
		default:
			g.buf.WriteString("</xb:requests>\n")
			g.done = true
		}
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func TestParseRSExportConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50,000 requests")
	}
	const n = 50_000
	var early, late uint64
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	got := 0
	err := Parse(context.Background(), profile.FormatRSExport, "gen.xml", &genReader{n: n}, Options{}, func(r Record) error {
		if r.Request == nil {
			return fmt.Errorf("record error: %v", r.Err)
		}
		got++
		switch got {
		case 1000:
			early = heap()
		case n:
			late = heap()
		}
		return nil
	})
	if err != nil || got != n {
		t.Fatalf("err %v, %d requests", err, got)
	}
	// 49,000 more requests read must not have grown the heap: the parser
	// keeps nothing per record.
	if late > early+1<<20 {
		t.Errorf("heap grew from %d to %d bytes while streaming", early, late)
	}
}
