package internal_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/internal/golist"
)

// docPkg is what go list -json says of one package, for the doc check.
type docPkg struct {
	ImportPath string
	Dir        string
	Name       string
	GoFiles    []string // non-test files for this platform
	CgoFiles   []string
	Error      *struct{ Err string }
}

// listDocPackages returns the module's library packages: every package
// except commands (package main) and examples/, with the module root's
// directory.
func listDocPackages(t *testing.T) (root string, pkgs []docPkg) {
	t.Helper()
	var err error
	// go test runs in this package's directory, internal/ at the module root.
	if root, err = filepath.Abs(".."); err != nil {
		t.Fatal(err)
	}
	for _, p := range golist.List[docPkg](t, "ImportPath,Dir,Name,GoFiles,CgoFiles,Error", module+"/...") {
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("package %s is in %s, outside the module root %s", p.ImportPath, p.Dir, root)
		}
		rel = filepath.ToSlash(rel)
		if p.Name == "main" || under(rel, "examples") {
			continue
		}
		pkgs = append(pkgs, p)
	}
	return root, pkgs
}

// under says whether the slash-separated path rel is dir or inside it.
func under(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

// undocumented lists, as "file:line: kind Name", each exported identifier
// of f that has no doc comment: funcs, methods of exported types, types,
// consts and vars (a grouped one is covered by its group's comment or its
// own line comment) and the methods of exported interfaces.
func undocumented(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, kind, name string) {
		p := fset.Position(pos)
		out = append(out, fmt.Sprintf("%s:%d: %s %s", p.Filename, p.Line, kind, name))
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv == nil {
				report(d.Pos(), "func", d.Name.Name)
				continue
			}
			if recv := recvName(d.Recv.List[0].Type); ast.IsExported(recv) {
				report(d.Pos(), "method", recv+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if d.Doc == nil && s.Doc == nil && s.Comment == nil {
						report(s.Pos(), "type", s.Name.Name)
					}
					it, ok := s.Type.(*ast.InterfaceType)
					if !ok {
						continue
					}
					for _, m := range it.Methods.List {
						for _, n := range m.Names {
							if n.IsExported() && m.Doc == nil && m.Comment == nil {
								report(n.Pos(), "interface method", s.Name.Name+"."+n.Name)
							}
						}
					}
				case *ast.ValueSpec:
					if d.Doc != nil || s.Doc != nil || s.Comment != nil {
						continue
					}
					for _, n := range s.Names {
						if n.IsExported() {
							report(n.Pos(), d.Tok.String(), n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// recvName returns the base type name of a method receiver expression.
func recvName(x ast.Expr) string {
	for {
		switch e := x.(type) {
		case *ast.StarExpr:
			x = e.X
		case *ast.ParenExpr:
			x = e.X
		case *ast.IndexExpr:
			x = e.X
		case *ast.IndexListExpr:
			x = e.X
		case *ast.Ident:
			return e.Name
		default:
			return ""
		}
	}
}

func TestUndocumentedDetects(t *testing.T) {
	const src = `package p

// Documented is documented.
func Documented() {}

func Bare() {}

func unexported() {}

// T is a type.
type T struct{}

func (T) Method() {}

// M is documented.
func (*T) M() {}

type u struct{}

func (u) Hidden() {}

// I is an interface.
type I interface {
	// Do is documented.
	Do()
	Undone()
	Line() // Line has a line comment.
}

type Naked int

// Group of values.
const (
	A = 1
	B = 2
)

const (
	// C is documented.
	C = 3
	D = 4 // D has a line comment.
	E = 5
)

var V int
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := undocumented(fset, f)
	want := []string{
		"p.go:6: func Bare",
		"p.go:13: method T.Method",
		"p.go:26: interface method I.Undone",
		"p.go:30: type Naked",
		"p.go:42: const E",
		"p.go:45: var V",
	}
	if !slices.Equal(got, want) {
		t.Errorf("undocumented reported\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExportedIdentifiersDocumented(t *testing.T) {
	root, pkgs := listDocPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("only %d library packages listed: the check is blind", len(pkgs))
	}
	fset := token.NewFileSet()
	for _, p := range pkgs {
		for _, name := range slices.Concat(p.GoFiles, p.CgoFiles) {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				t.Fatalf("parse %s: %v", path, err)
			}
			for _, u := range undocumented(fset, f) {
				t.Errorf("%s: no doc comment", filepath.ToSlash(strings.TrimPrefix(u, root+string(filepath.Separator))))
			}
		}
	}
}
