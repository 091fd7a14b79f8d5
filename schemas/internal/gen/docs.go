package gen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is the module the reflected types live in; their sources are
// read from the module's directory tree for doc comments and for the
// checks the Validate methods make.
const modulePath = "github.com/annexlab/annex"

// sources reads Go packages of the module: their files' syntax, for doc
// comments (go/doc's rules: a declaration's Doc, else its line Comment).
type sources struct {
	root string
	fset *token.FileSet
	pkgs map[string][]*ast.File // import path → non-test files
}

func newSources(root string) *sources {
	return &sources{root: root, fset: token.NewFileSet(), pkgs: map[string][]*ast.File{}}
}

// files parses the package at import path pkg (once).
func (s *sources) files(pkg string) ([]*ast.File, error) {
	if fs, ok := s.pkgs[pkg]; ok {
		return fs, nil
	}
	rel, ok := strings.CutPrefix(pkg, modulePath)
	if !ok {
		return nil, fmt.Errorf("package %s is outside module %s", pkg, modulePath)
	}
	dir := filepath.Join(s.root, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*ast.File
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(s.fset, filepath.Join(dir, n), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	s.pkgs[pkg] = out
	return out, nil
}

// typeSpec finds a type declaration and the doc comment that goes with it.
func (s *sources) typeSpec(pkg, name string) (*ast.TypeSpec, string) {
	for _, gd := range s.genDecls(pkg, token.TYPE) {
		for _, sp := range gd.Specs {
			ts := sp.(*ast.TypeSpec)
			if ts.Name.Name != name {
				continue
			}
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			return ts, clean(doc)
		}
	}
	return nil, ""
}

// genDecls lists a package's declarations of one kind (tok: types,
// constants); none when the package cannot be read.
func (s *sources) genDecls(pkg string, tok token.Token) []*ast.GenDecl {
	fs, err := s.files(pkg)
	if err != nil {
		return nil
	}
	var out []*ast.GenDecl
	for _, f := range fs {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == tok {
				out = append(out, gd)
			}
		}
	}
	return out
}

// typeDoc is the doc comment of a type.
func (s *sources) typeDoc(pkg, name string) string {
	_, doc := s.typeSpec(pkg, name)
	return doc
}

// fieldDoc is the doc (or line) comment of a struct field.
func (s *sources) fieldDoc(pkg, typeName, field string) string {
	ts, _ := s.typeSpec(pkg, typeName)
	if ts == nil {
		return ""
	}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return ""
	}
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.Name == field {
				if d := clean(f.Doc); d != "" {
					return d
				}
				return clean(f.Comment)
			}
		}
	}
	return ""
}

// clean turns a comment group into one paragraph of text.
func clean(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}

// constString resolves a string constant of the module by package and name.
func (s *sources) constString(pkg, name string) (string, bool) {
	for _, gd := range s.genDecls(pkg, token.CONST) {
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name != name || i >= len(vs.Values) {
					continue
				}
				if v, ok := stringLit(vs.Values[i]); ok {
					return v, true
				}
			}
		}
	}
	return "", false
}

// importPath returns the import path a file refers to by the package name.
func importPath(f *ast.File, name string) (string, bool) {
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		local := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			local = im.Name.Name
		}
		if local == name {
			return p, true
		}
	}
	return "", false
}

// findModuleRoot walks up from dir to the directory holding go.mod.
func findModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
