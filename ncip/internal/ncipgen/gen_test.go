package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// ncipDir is the ncip package directory, where go generate writes.
const ncipDir = "../.."

// TestGeneratedFilesAreCurrent regenerates into a temporary directory and
// compares with the committed files: a change to the XSD, to services.go or
// to the generator must be followed by go generate ./ncip.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	tmp := t.TempDir()
	if err := run(filepath.Join(ncipDir, "testdata/xsd/ncip_v2_02.xsd"), tmp); err != nil {
		t.Fatal(err)
	}
	generated := regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	n := 0
	err := filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(tmp, path)
		fresh, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !generated.Match(fresh) {
			t.Errorf("%s does not say it is generated", rel)
		}
		committed, err := os.ReadFile(filepath.Join(ncipDir, rel))
		if err != nil {
			t.Errorf("%s is not committed: run go generate ./ncip", rel)
			return nil
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s differs from the generator's output: run go generate ./ncip", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d files generated, want 3", n)
	}
}

// TestGeneratorRefusesUnknownConstructs: a schema the generator does not
// fully understand fails generation instead of yielding partial tables.
func TestGeneratorRefusesUnknownConstructs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ncipDir, "testdata/xsd/ncip_v2_02.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"repeated identifier": {`<xs:element ref="UserId"/>
                    <xs:element ref="AuthenticationInput" maxOccurs="unbounded"/>
                </xs:choice>`, `<xs:element ref="UserId"/>
                    <xs:element ref="AuthenticationInput" maxOccurs="unbounded"/>
                </xs:choice><xs:element ref="ItemId" minOccurs="2" maxOccurs="3"/>`},
		"new attribute": {`<xs:attribute name="Scheme"`, `<xs:attribute name="Other" type="xs:string"/><xs:attribute name="Scheme"`},
	} {
		bad := bytes.Replace(data, []byte(edit[0]), []byte(edit[1]), 1)
		if bytes.Equal(bad, data) {
			t.Fatalf("%s: edit did not apply", name)
		}
		if _, err := generate(bad); err == nil {
			t.Errorf("%s: generated without error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
