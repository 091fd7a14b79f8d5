package scenario

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// LabelFilter is a parsed label expression such as `alma && !faults` or
// `smoke || security`: label names, `!`, `&&`, `||` and parentheses, with
// the usual precedence (! over && over ||). The empty expression matches
// every scenario. Names match labels without regard to case (`ALMA`
// selects a file labelled `alma`), as Ginkgo's label filters do: it is the
// one parser behind `annex run --label` and the Ginkgo suite's ANNEX_LABEL.
type LabelFilter struct {
	root labelNode
}

type labelNode interface {
	eval(labels []string) bool
}

type (
	labelRef string
	labelNot struct{ x labelNode }
	labelAnd struct{ a, b labelNode }
	labelOr  struct{ a, b labelNode }
)

func (n labelRef) eval(l []string) bool {
	return slices.ContainsFunc(l, func(s string) bool { return strings.EqualFold(s, string(n)) })
}
func (n labelNot) eval(l []string) bool { return !n.x.eval(l) }
func (n labelAnd) eval(l []string) bool { return n.a.eval(l) && n.b.eval(l) }
func (n labelOr) eval(l []string) bool  { return n.a.eval(l) || n.b.eval(l) }

// ParseLabels parses a label expression; errors name the column.
func ParseLabels(expr string) (*LabelFilter, error) {
	p := &labelParser{src: expr}
	p.next()
	if p.tok == "" {
		return &LabelFilter{}, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok != "" {
		return nil, p.errorf("unexpected %q", p.tok)
	}
	return &LabelFilter{root: n}, nil
}

// Match reports whether a scenario with these labels is selected.
func (f *LabelFilter) Match(labels []string) bool {
	if f == nil || f.root == nil {
		return true
	}
	return f.root.eval(labels)
}

type labelParser struct {
	src      string
	pos      int // byte offset after tok
	tokStart int
	tok      string
}

func (p *labelParser) errorf(format string, args ...any) error {
	return fmt.Errorf("label expression %q: column %d: %s", p.src, p.tokStart+1, fmt.Sprintf(format, args...))
}

// next reads one token: a name, "!", "&&", "||", "(", ")" or "" at the end.
func (p *labelParser) next() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	p.tokStart = p.pos
	if p.pos >= len(p.src) {
		p.tok = ""
		return
	}
	rest := p.src[p.pos:]
	switch {
	case strings.HasPrefix(rest, "&&"), strings.HasPrefix(rest, "||"):
		p.tok = rest[:2]
	case rest[0] == '!' || rest[0] == '(' || rest[0] == ')':
		p.tok = rest[:1]
	default:
		end := strings.IndexFunc(rest, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')
		})
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			end = 1 // an unknown character, reported by the caller as unexpected
		}
		p.tok = rest[:end]
	}
	p.pos += len(p.tok)
}

func (p *labelParser) or() (labelNode, error) {
	return p.binary("||", p.and, func(a, b labelNode) labelNode { return labelOr{a, b} })
}

func (p *labelParser) and() (labelNode, error) {
	return p.binary("&&", p.unary, func(a, b labelNode) labelNode { return labelAnd{a, b} })
}

// binary parses one precedence level: operands read by operand, joined
// left to right by the operator op into join's nodes.
func (p *labelParser) binary(op string, operand func() (labelNode, error), join func(a, b labelNode) labelNode) (labelNode, error) {
	a, err := operand()
	if err != nil {
		return nil, err
	}
	for p.tok == op {
		p.next()
		b, err := operand()
		if err != nil {
			return nil, err
		}
		a = join(a, b)
	}
	return a, nil
}

func (p *labelParser) unary() (labelNode, error) {
	switch p.tok {
	case "!":
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return labelNot{x}, nil
	case "(":
		p.next()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.tok != ")" {
			return nil, p.errorf("want ')', got %q", p.tok)
		}
		p.next()
		return x, nil
	case "":
		return nil, p.errorf("a label is missing at the end")
	}
	if !labelName.MatchString(p.tok) {
		return nil, p.errorf("unexpected %q", p.tok)
	}
	n := labelRef(p.tok)
	p.next()
	return n, nil
}
