package alma

import (
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/annexlab/annex/ncip"
)

// charsetMismatch says how a request's declared charset disagrees with its
// bytes, or "" when it agrees or the text is ASCII (which reads the same in
// every charset a client declares). The XML declaration names the charset;
// without one the HTTP Content-Type does; without either UTF-8 is expected.
// Only UTF-8 and the ISO-8859-1 family are judged: a UTF-16 message is
// either read (BOM) or refused by the parser.
func charsetMismatch(body []byte, doc *ncip.Document, contentType string) string {
	if doc.BOM || !nonASCII(body) {
		return ""
	}
	declared, where := "", "no charset is declared, so UTF-8 is expected"
	if doc.Decl != nil && doc.Decl.Encoding != "" {
		declared, where = doc.Decl.Encoding, "the XML declaration says "+doc.Decl.Encoding
	} else if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		declared, where = params["charset"], "the HTTP Content-Type says charset="+params["charset"]
	}
	valid := utf8.Valid(body)
	switch norm := strings.ToUpper(strings.ReplaceAll(declared, "_", "-")); {
	case norm == "" || norm == "UTF-8" || norm == "UTF8":
		if !valid {
			return "the declared charset disagrees with the bytes: " + where + " but the bytes are not UTF-8"
		}
	case latin1Family(norm):
		if valid {
			return "the declared charset disagrees with the bytes: " + where + " but the bytes are UTF-8"
		}
	}
	return ""
}

func latin1Family(norm string) bool {
	switch norm {
	case "ISO-8859-1", "ISO8859-1", "LATIN1", "LATIN-1", "WINDOWS-1252", "CP1252", "US-ASCII", "ASCII":
		return true
	}
	return false
}

func nonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
