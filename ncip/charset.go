package ncip

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// toUTF8 returns the message as UTF-8, deciding the charset from the bytes
// first and the declaration second: peers declare ISO-8859-1 and send UTF-8,
// or declare UTF-8 and send Latin-1, and the real systems read them anyway.
// What it had to guess is recorded in doc.Notes.
func toUTF8(data []byte, doc *Document) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		doc.BOM = true
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}), bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		doc.BOM = true
		doc.Charset = "UTF-16"
		return fromUTF16(data[2:], data[0] == 0xFE)
	}
	declared := declaredEncoding(data)
	norm := strings.ToUpper(strings.ReplaceAll(declared, "_", "-"))
	declLine := 1
	valid := utf8.Valid(data)
	switch norm {
	case "", "UTF-8", "UTF8":
		if valid {
			doc.Charset = "UTF-8"
			return data, nil
		}
		line := invalidUTF8Line(data)
		doc.Charset = "windows-1252"
		what := "no declaration says otherwise, so UTF-8 was expected"
		if declared != "" {
			what = fmt.Sprintf("the declaration says %s", declared)
		}
		doc.Notes = append(doc.Notes, Finding{Rule: "charset.mismatch", Severity: Warning, Line: line,
			Message: fmt.Sprintf("bytes are not valid UTF-8 but %s; read as windows-1252 (ISO-8859-1)", what)})
		return decode8bit(data, charmap.Windows1252)
	case "ISO-8859-1", "ISO8859-1", "LATIN1", "LATIN-1", "WINDOWS-1252", "CP1252", "US-ASCII", "ASCII":
		if valid {
			doc.Charset = "UTF-8"
			if hasNonASCII(data) {
				doc.Notes = append(doc.Notes, Finding{Rule: "charset.mismatch", Severity: Warning, Line: declLine,
					Message: fmt.Sprintf("the declaration says %s but the bytes are UTF-8; read as UTF-8", declared)})
			}
			return data, nil
		}
		if strings.Contains(norm, "1252") {
			doc.Charset = "windows-1252"
			return decode8bit(data, charmap.Windows1252)
		}
		doc.Charset = "ISO-8859-1"
		return decode8bit(data, charmap.ISO8859_1)
	case "UTF-16", "UTF-16LE", "UTF-16BE":
		// Without a BOM, "UTF-16" in a declaration we could read as ASCII means the bytes are not UTF-16.
		if valid {
			doc.Charset = "UTF-8"
			doc.Notes = append(doc.Notes, Finding{Rule: "charset.mismatch", Severity: Warning, Line: declLine,
				Message: fmt.Sprintf("the declaration says %s but the bytes are 8-bit; read as UTF-8", declared)})
			return data, nil
		}
	}
	return nil, &SyntaxError{Line: declLine, Msg: fmt.Sprintf("unsupported encoding %q (annex reads UTF-8, UTF-16, ISO-8859-1 and windows-1252)", declared)}
}

func declaredEncoding(data []byte) string {
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return ""
	}
	v, _ := pseudoAttr(string(data[5:end]), "encoding")
	return v
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func invalidUTF8Line(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if b[0] == '\n' {
			line++
		}
		b = b[n:]
	}
	return line
}

func decode8bit(b []byte, cm *charmap.Charmap) ([]byte, error) {
	out, err := cm.NewDecoder().Bytes(b)
	if err != nil {
		return nil, &SyntaxError{Line: 1, Msg: fmt.Sprintf("decode %s: %v", cm, err)}
	}
	return out, nil
}

func fromUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, &SyntaxError{Line: 1, Msg: "UTF-16 input has an odd number of bytes"}
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(u))), nil
}
