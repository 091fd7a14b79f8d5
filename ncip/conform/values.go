package conform

import "strings"

// Lexical checks of the XSD built-in types NCIP uses. They follow XML Schema
// 1.0 Part 2; where libxml2 (xmllint) is stricter than the specification the
// difference is reported separately, as a portability warning, because a peer
// validating with libxml2 would reject what the schema allows.

// xmlSpace is the XML whitespace that the "collapse" facet strips.
const xmlSpace = " \t\r\n"

// maxLibxml2Digits is the most significant digits libxml2 accepts in an
// integer; the specification sets no limit.
const maxLibxml2Digits = 24

// valueProblem is the verdict on a value: ok, invalid, or valid but not portable.
type valueProblem uint8

const (
	valueOK valueProblem = iota
	valueInvalid
	valueUnportable
)

// checkDateTime checks xs:dateTime: -?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?
// with a real calendar date. libxml2 does not strip surrounding whitespace.
func checkDateTime(v string) valueProblem {
	t := strings.Trim(v, xmlSpace)
	if !isDateTime(t) {
		return valueInvalid
	}
	if t != v {
		return valueUnportable
	}
	return valueOK
}

func isDateTime(s string) bool {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	// Year: at least four digits, no leading zero beyond four, not 0000.
	n := leadingDigits(s)
	if n < 4 || (n > 4 && s[0] == '0') || n > 9 {
		return false
	}
	year := atoi(s[:n])
	if year == 0 {
		return false
	}
	s = s[n:]
	if len(s) < 15 || s[0] != '-' || s[3] != '-' || s[6] != 'T' || s[9] != ':' || s[12] != ':' {
		return false
	}
	for _, i := range []int{1, 2, 4, 5, 7, 8, 10, 11, 13, 14} {
		if !isDigit(s[i]) {
			return false
		}
	}
	month, day := atoi(s[1:3]), atoi(s[4:6])
	hour, minute, sec := atoi(s[7:9]), atoi(s[10:12]), atoi(s[13:15])
	if neg {
		year = -year
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return false
	}
	s = s[15:]
	fracZero := true
	if strings.HasPrefix(s, ".") {
		f := leadingDigits(s[1:])
		if f == 0 {
			return false
		}
		fracZero = strings.Trim(s[1:1+f], "0") == ""
		s = s[1+f:]
	}
	if minute > 59 || sec > 59 {
		return false
	}
	// 24:00:00 is the end of the day; no other time in hour 24 exists.
	if hour > 24 || (hour == 24 && (minute != 0 || sec != 0 || !fracZero)) {
		return false
	}
	switch {
	case s == "" || s == "Z":
		return true
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' &&
		isDigit(s[1]) && isDigit(s[2]) && isDigit(s[4]) && isDigit(s[5]):
		h, m := atoi(s[1:3]), atoi(s[4:6])
		return m <= 59 && (h < 14 || (h == 14 && m == 0))
	}
	return false
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if (year%4 == 0 && year%100 != 0) || year%400 == 0 {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// checkInteger checks xs:integer and its restrictions: whitespace collapsed,
// an optional sign and at least one digit; min is the least value allowed
// (0 for nonNegativeInteger, 1 for positiveInteger, -1 for none).
func checkInteger(v string, min int) valueProblem {
	t := strings.Trim(v, xmlSpace)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" || leadingDigits(t) != len(t) {
		return valueInvalid
	}
	digits := strings.TrimLeft(t, "0")
	zero := digits == ""
	switch {
	case min == 0 && neg && !zero:
		return valueInvalid
	case min == 1 && (neg || zero):
		return valueInvalid
	}
	if len(digits) > maxLibxml2Digits {
		return valueUnportable
	}
	return valueOK
}

// checkAnyURI catches what libxml2 rejects as xs:anyURI: a malformed
// %-escape, a second '#', an empty scheme, an unclosed IP literal. It accepts
// what libxml2 escapes silently (spaces, non-ASCII letters).
func checkAnyURI(v string) valueProblem {
	s := strings.Trim(v, xmlSpace)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return valueInvalid
		}
	}
	if strings.Count(s, "#") > 1 || strings.HasPrefix(s, ":") {
		return valueInvalid
	}
	if i := strings.Index(s, "["); i >= 0 && !strings.Contains(s[i:], "]") {
		return valueInvalid
	}
	return valueOK
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// atoi converts a short run of ASCII digits already checked by the caller.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
