package ncip

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The schema and corpus in testdata are copies of the team's ../shared
// originals; when the originals are beside the checkout, the copies must match.
func TestTestdataMatchesShared(t *testing.T) {
	shared := filepath.Join("..", "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		t.Skip("../shared is not beside this checkout; the committed copies stand alone")
	}
	pairs := map[string]string{
		filepath.Join(shared, "ncip", "ncip_v2_02.xsd"): filepath.Join("testdata", "xsd", "ncip_v2_02.xsd"),
	}
	files, _ := filepath.Glob(filepath.Join(shared, "conformance", "v*", "*", "*.xml"))
	if len(files) == 0 {
		t.Fatal("no conformance files under ../shared")
	}
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(shared, "conformance"), f)
		pairs[f] = filepath.Join(corpus, rel)
	}
	for orig, cp := range pairs {
		a, err := os.ReadFile(orig)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(cp)
		if err != nil {
			t.Errorf("%s has no copy: %v", orig, err)
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s", cp, orig)
		}
	}
}
