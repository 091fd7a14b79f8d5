package ncip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func typicalCheckOut(b *testing.B) []byte {
	data, err := os.ReadFile(filepath.Join(corpus, "v2/circill/CheckOutItem.xml"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeCheckOutItem decodes a typical CheckOutItem (the circill sample, 1.2 kB).
func BenchmarkDecodeCheckOutItem(b *testing.B) {
	data := typicalCheckOut(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Decode(data, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCheckOutItem encodes the same message in ALMA's style.
func BenchmarkEncodeCheckOutItem(b *testing.B) {
	m, _, err := Decode(typicalCheckOut(b), ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(m, Style{Standalone: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFragmentedText parses 950 kB of text split by 50,000
// comments: hostile input that made text collection quadratic (6.9 s) before
// each element's text went through a builder.
func BenchmarkParseFragmentedText(b *testing.B) {
	data := []byte("<NCIPMessage>" + strings.Repeat("xxxxxxxxxxxx<!---->", 50000) + "</NCIPMessage>")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCheckOutItem parses the same CheckOutItem into a Document:
// the part of Decode the mock responders spend most of their time in.
func BenchmarkParseCheckOutItem(b *testing.B) {
	data := typicalCheckOut(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
