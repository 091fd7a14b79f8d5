package profile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severities of a Problem.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Problem is one mistake in a configuration file, at file:line:column.
// Line 0 means the problem concerns the whole file (it is empty, or the YAML
// parser could not say where); Column 0 means only the line is known.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Field is the YAML path of the value, e.g. alma.profile_code or
	// intake.text_layout.columns[2].width; empty for file-level problems.
	Field string `json:"field,omitempty"`
	// Severity is SeverityError or SeverityWarning.
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// String formats the problem as "FILE:LINE:COL: error: alma.profile_code: …",
// the shape editors and CI annotators jump to. Unknown parts are left out
// rather than invented: "FILE:LINE: …" or "FILE: …".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(p.Severity)
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one or more files. Used as an error it
// lists them all, one per line; the loaders return it as an error only when
// HasErrors, so warnings alone never stop the engine.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any problem has severity error.
func (ps Problems) HasErrors() bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Severity == SeverityError })
}

// Count returns how many problems are errors and how many warnings.
func (ps Problems) Count() (errs, warnings int) {
	for _, p := range ps {
		if p.Severity == SeverityError {
			errs++
		} else {
			warnings++
		}
	}
	return errs, warnings
}

// Sort orders the problems by file, line and column, so output reads top to
// bottom like the file; problems at the same place keep their order.
func (ps Problems) Sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// asError returns ps as an error when it has errors, else nil.
func (ps Problems) asError() error {
	if ps.HasErrors() {
		return ps
	}
	return nil
}
