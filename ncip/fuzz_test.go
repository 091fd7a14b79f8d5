package ncip

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// addCorpus seeds a fuzz target with every third-party message, so the
// fuzzer starts from what real peers send.
func addCorpus(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpus, "v*", "*", "*.xml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzDecode: the decoder never panics, and whatever it decodes and the
// encoder accepts, the encoder writes so that it decodes to the same message
// and re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	addCorpus(f)
	f.Add([]byte(checkIn("123")))
	f.Add([]byte{0xFF, 0xFE, '<', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, fs, err := Decode(data, ParseOptions{MaxSize: 64 << 10})
		if err != nil {
			return
		}
		for _, f := range fs {
			if f.Rule == "" || f.Message == "" {
				t.Fatalf("finding without rule or message: %+v", f)
			}
		}
		for _, style := range []Style{{}, {DefaultNamespace: true, Indent: " "}} {
			out, err := Encode(m, style)
			if err != nil {
				return
			}
			back, _, err := Decode(out, ParseOptions{MaxSize: -1})
			if err != nil {
				t.Fatalf("encoder output does not decode: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(m.Body, back.Body) {
				t.Fatalf("decode(encode(m)) != m\n%#v\n%#v\n%s", m.Body, back.Body, out)
			}
			again, err := Encode(back, style)
			if err != nil || !bytes.Equal(out, again) {
				t.Fatalf("encoding is not a fixpoint: %v\n%s\n%s", err, out, again)
			}
		}
	})
}
