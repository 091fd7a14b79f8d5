package requestfile

import (
	"bytes"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/integration/profile"
)

// SniffLen is how much of a file Sniff needs.
const SniffLen = 8 << 10

// Sniff tells a request file's format from its first bytes: ALEPH's print
// XML has <printout> documents, ALMA's export rsExport records in an
// rsExportList. It returns "" when the bytes do not say (a text layout
// never does, nor the legacy export shape).
func Sniff(head []byte) string {
	switch {
	case bytes.Contains(head, []byte("<printout")):
		return profile.FormatALEPHPrint
	case bytes.Contains(head, []byte(rsexport.Record)): // also in rsexport.Root
		return profile.FormatRSExport
	}
	return ""
}
