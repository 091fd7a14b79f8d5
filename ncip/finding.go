package ncip

import "fmt"

// Severity ranks a Finding.
type Severity int

// Severities, least serious first.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	default:
		return "error"
	}
}

// MarshalText writes the severity as its name, for JSON reports and journals.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name, so a journal read back over the
// wire (annex watch) keeps its findings.
func (s *Severity) UnmarshalText(b []byte) error {
	for _, v := range []Severity{Info, Warning, Error} {
		if string(b) == v.String() {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("severity %q: want info, warning or error", b)
}

// Finding is one observation about a message: something the decoder
// tolerated, or a conformance rule it breaks.
type Finding struct {
	// Rule is a stable identifier such as "v2.content" or "charset.mismatch".
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Line is where in the message the problem is (1-based; 0 when it concerns the whole message).
	Line int `json:"line"`
	// Path is the element path of local names, such as /NCIPMessage/CheckOutItem/ItemId.
	Path string `json:"path,omitempty"`
	// Message says what is wrong in terms a support person can act on.
	Message string `json:"message"`
}

func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s: %s (line %d)", f.Rule, f.Message, f.Line)
	}
	return fmt.Sprintf("%s: %s", f.Rule, f.Message)
}

// HasErrors reports whether any finding has Error severity.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}
