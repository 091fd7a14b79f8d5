// Command ncipgen generates annex's NCIP service tables from the NCIP 2.02
// XSD and the hand-written list in services.go: the service types
// (message_gen.go), their decoders and encoders (codec_gen.go) and the
// conformance checker's NCIP 2 content models (conform/v2schema_gen.go).
// Run it with go generate in package ncip.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	xsd := flag.String("xsd", "testdata/xsd/ncip_v2_02.xsd", "the NCIP 2.02 XSD")
	dir := flag.String("dir", ".", "the ncip package directory to write into")
	flag.Parse()
	if err := run(*xsd, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "ncipgen:", err)
		os.Exit(1)
	}
}

func run(xsdPath, dir string) error {
	data, err := os.ReadFile(xsdPath)
	if err != nil {
		return err
	}
	files, err := generate(data)
	if err != nil {
		return err
	}
	return write(dir, files)
}

// write puts the generated files under dir.
func write(dir string, files map[string][]byte) error {
	for path, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			return err
		}
	}
	return nil
}
