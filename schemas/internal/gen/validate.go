package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// rules are constraints on a struct's fields, by YAML key.
type rules struct {
	required []string
	enum     map[string][]string
	pattern  map[string]string
}

func (r *rules) require(keys ...string) {
	for _, k := range keys {
		if !slices.Contains(r.required, k) {
			r.required = append(r.required, k)
		}
	}
}

func (r *rules) setEnum(key string, vals []string) {
	if r.enum == nil {
		r.enum = map[string][]string{}
	}
	r.enum[key] = vals
}

// validateRules reads the Validate method of a step kind's struct t (in
// package pkg) and returns what it checks that a schema can say:
//
//   - oneOf("key", x.Field, values…) gives the key an enum; made outside
//     any if, and with no `if x.Field == "" { x.Field = … }` default
//     before it, it also makes the key required ("" is not allowed);
//   - `if x.A == "" || x.B == "" { return … }` outside any if makes A and B required.
//
// A oneOf call in any other shape is an error, so a Validate method the
// reader does not understand fails the generator instead of leaving an
// enum out.
func (s *sources) validateRules(pkg string, t reflect.Type) (*rules, error) {
	fs, err := s.files(pkg)
	if err != nil {
		return nil, err
	}
	r := &rules{}
	for _, f := range fs {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "Validate" || fd.Recv == nil || len(fd.Recv.List) != 1 || fd.Body == nil {
				continue
			}
			rt := fd.Recv.List[0].Type
			if st, ok := rt.(*ast.StarExpr); ok {
				rt = st.X
			}
			if id, ok := rt.(*ast.Ident); !ok || id.Name != t.Name() {
				continue
			}
			if len(fd.Recv.List[0].Names) != 1 {
				continue
			}
			w := &validateWalker{s: s, pkg: pkg, file: f, t: t, recv: fd.Recv.List[0].Names[0].Name, r: r, defaulted: map[string]bool{}}
			w.walk(fd.Body.List, false)
			if w.err != nil {
				return nil, fmt.Errorf("%s.Validate: %w", t.Name(), w.err)
			}
			total := 0
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if isOneOf(n) {
					total++
				}
				return true
			})
			if total != w.seen {
				return nil, fmt.Errorf("%s.Validate calls oneOf in a shape the schema generator does not read (%d of %d understood); teach schemas/internal/gen/validate.go", t.Name(), w.seen, total)
			}
		}
	}
	return r, nil
}

type validateWalker struct {
	s         *sources
	pkg       string
	file      *ast.File
	t         reflect.Type
	recv      string
	r         *rules
	defaulted map[string]bool // Go field names given a default when empty
	seen      int
	err       error
}

func isOneOf(n ast.Node) bool {
	c, ok := n.(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := c.Fun.(*ast.Ident)
	return ok && id.Name == "oneOf"
}

func (w *validateWalker) walk(stmts []ast.Stmt, cond bool) {
	for _, st := range stmts {
		if w.err != nil {
			return
		}
		switch st := st.(type) {
		case *ast.IfStmt:
			if as, ok := st.Init.(*ast.AssignStmt); ok && len(as.Rhs) == 1 && isOneOf(as.Rhs[0]) {
				w.oneOf(as.Rhs[0].(*ast.CallExpr), cond)
				if st.Else != nil {
					w.walk([]ast.Stmt{st.Else}, true)
				}
				continue
			}
			fields := w.emptyChecks(st.Cond)
			switch {
			case len(fields) == 1 && w.assigns(st.Body, fields[0]):
				w.defaulted[fields[0]] = true
				continue
			case len(fields) > 0 && returnsError(st.Body):
				if !cond {
					for _, f := range fields {
						w.r.require(w.yamlKey(f))
					}
				}
				continue
			}
			w.walk(st.Body.List, true)
			if st.Else != nil {
				w.walk([]ast.Stmt{st.Else}, true)
			}
		case *ast.BlockStmt:
			w.walk(st.List, cond)
		case *ast.ReturnStmt:
			if len(st.Results) == 1 && isOneOf(st.Results[0]) {
				w.oneOf(st.Results[0].(*ast.CallExpr), cond)
			}
		}
	}
}

// oneOf records oneOf("key", recv.Field, values…).
func (w *validateWalker) oneOf(c *ast.CallExpr, cond bool) {
	if len(c.Args) < 3 {
		w.err = fmt.Errorf("oneOf with %d arguments", len(c.Args))
		return
	}
	key, ok := stringLit(c.Args[0])
	field := w.recvField(c.Args[1])
	if !ok || field == "" {
		w.err = fmt.Errorf("oneOf(%s, …) does not name a literal key and a field of %s", exprString(c.Args[0]), w.recv)
		return
	}
	if got := w.yamlKey(field); got != key {
		w.err = fmt.Errorf("oneOf(%q, %s.%s): the field's YAML key is %q", key, w.recv, field, got)
		return
	}
	var vals []string
	for i, a := range c.Args[2:] {
		if c.Ellipsis.IsValid() && i == len(c.Args)-3 {
			list, err := w.list(a)
			if err != nil {
				w.err = err
				return
			}
			vals = append(vals, list...)
			continue
		}
		v, err := w.value(a)
		if err != nil {
			w.err = err
			return
		}
		vals = append(vals, v)
	}
	w.r.setEnum(key, vals)
	if !cond && !w.defaulted[field] {
		w.r.require(key)
	}
	w.seen++
}

// value resolves a string literal or a string constant of the module.
func (w *validateWalker) value(e ast.Expr) (string, error) {
	if v, ok := stringLit(e); ok {
		return v, nil
	}
	switch e := e.(type) {
	case *ast.Ident:
		if v, ok := w.s.constString(w.pkg, e.Name); ok {
			return v, nil
		}
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if p, ok := importPath(w.file, x.Name); ok {
				if v, ok := w.s.constString(p, e.Sel.Name); ok {
					return v, nil
				}
			}
		}
	}
	return "", fmt.Errorf("cannot resolve %s to a string constant", exprString(e))
}

// list resolves a spread list of values, pkg.List or pkg.List(), by the
// generator's table of the module's exported lists (enumLists).
func (w *validateWalker) list(e ast.Expr) ([]string, error) {
	name := e
	if c, ok := e.(*ast.CallExpr); ok && len(c.Args) == 0 {
		name = c.Fun
	}
	if se, ok := name.(*ast.SelectorExpr); ok {
		if x, ok := se.X.(*ast.Ident); ok {
			if p, ok := importPath(w.file, x.Name); ok {
				if vals, ok := enumLists()[p+"."+se.Sel.Name]; ok {
					return vals, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("cannot resolve %s... to a list of values; add it to enumLists in schemas/internal/gen/gen.go", exprString(e))
}

// emptyChecks returns the fields F of `recv.F == ""` (joined by ||), or nil.
func (w *validateWalker) emptyChecks(e ast.Expr) []string {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return w.emptyChecks(e.X)
	case *ast.BinaryExpr:
		switch e.Op {
		case token.LOR:
			a, b := w.emptyChecks(e.X), w.emptyChecks(e.Y)
			if a == nil || b == nil {
				return nil
			}
			return append(a, b...)
		case token.EQL:
			if v, ok := stringLit(e.Y); ok && v == "" {
				if f := w.recvField(e.X); f != "" {
					return []string{f}
				}
			}
		}
	}
	return nil
}

// assigns reports whether the block assigns recv.field.
func (w *validateWalker) assigns(b *ast.BlockStmt, field string) bool {
	for _, st := range b.List {
		if as, ok := st.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				if w.recvField(l) == field {
					return true
				}
			}
		}
	}
	return false
}

func returnsError(b *ast.BlockStmt) bool {
	if len(b.List) == 0 {
		return false
	}
	r, ok := b.List[len(b.List)-1].(*ast.ReturnStmt)
	return ok && len(r.Results) == 1
}

// recvField returns F of recv.F, or "".
func (w *validateWalker) recvField(e ast.Expr) string {
	se, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if x, ok := se.X.(*ast.Ident); ok && x.Name == w.recv {
		return se.Sel.Name
	}
	return ""
}

// yamlKey is the YAML key of a Go field (promoted fields included).
func (w *validateWalker) yamlKey(field string) string {
	f, ok := w.t.FieldByName(field)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(bl.Value)
	return v, err == nil
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.BasicLit:
		return e.Value
	case *ast.CallExpr:
		return exprString(e.Fun) + "()"
	}
	return fmt.Sprintf("%T", e)
}
