package backend_test

import (
	"errors"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/internal/golist"
)

const module = "github.com/sealkit/sealkit"

// publicBackends are the packages a third-party program imports to run a
// backend or write one: none of their exported API may name a type it
// cannot import.
var publicBackends = []string{
	module + "/backend",
	module + "/backend/driver",
	module + "/backend/driver/drivertest",
	module + "/backend/sqlite",
	module + "/backend/postgres",
}

// listed is what go list -export -json says of one package.
type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	Error      *struct{ Err string }
}

// exportData lists pkgs and everything they import, with the compiler's
// export data of each (built if need be), so that go/types can check the
// packages' own files against their dependencies.
func exportData(t *testing.T, pkgs ...string) map[string]listed {
	t.Helper()
	all := map[string]listed{}
	for _, p := range golist.List[listed](t, "ImportPath,Dir,GoFiles,Export,Error", append([]string{"-deps", "-export"}, pkgs...)...) {
		all[p.ImportPath] = p
	}
	return all
}

// typeCheck checks one package from its parsed files, importing its
// dependencies from export data.
func typeCheck(t *testing.T, all map[string]listed, fset *token.FileSet, path string, files []*ast.File) *types.Package {
	t.Helper()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p, ok := all[path]
		if !ok || p.Export == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(p.Export)
	})
	pkg, err := (&types.Config{Importer: imp}).Check(path, fset, files, nil)
	if err != nil {
		t.Fatalf("type-check %s: %v", path, err)
	}
	return pkg
}

// isInternal says whether a package path has an internal element, so that
// only code beside it may import it.
func isInternal(path string) bool {
	return strings.HasPrefix(path, "internal/") || strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal")
}

// internalUses lists the places where the exported API of pkg (exported
// functions, exported methods of exported types, exported fields, exported
// variables and constants, exported type definitions) names a type of an
// internal package.
func internalUses(pkg *types.Package) []string {
	var found []string
	report := func(where string, typ types.Type) {
		seen := map[types.Type]bool{}
		var walk func(types.Type)
		walk = func(typ types.Type) {
			if seen[typ] {
				return
			}
			seen[typ] = true
			switch typ := typ.(type) {
			case *types.Named:
				if p := typ.Obj().Pkg(); p != nil && isInternal(p.Path()) {
					found = append(found, where+": "+types.TypeString(typ, nil))
				}
				for a := range typ.TypeArgs().Types() {
					walk(a)
				}
			case *types.Alias:
				walk(types.Unalias(typ))
			case *types.Pointer:
				walk(typ.Elem())
			case *types.Slice:
				walk(typ.Elem())
			case *types.Array:
				walk(typ.Elem())
			case *types.Map:
				walk(typ.Key())
				walk(typ.Elem())
			case *types.Chan:
				walk(typ.Elem())
			case *types.Signature:
				for v := range typ.Params().Variables() {
					walk(v.Type())
				}
				for v := range typ.Results().Variables() {
					walk(v.Type())
				}
			case *types.Struct:
				for f := range typ.Fields() {
					if f.Exported() {
						walk(f.Type())
					}
				}
			case *types.Interface:
				for m := range typ.Methods() {
					if m.Exported() {
						walk(m.Type())
					}
				}
				for e := range typ.EmbeddedTypes() {
					walk(e)
				}
			}
		}
		walk(typ)
	}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		where := pkg.Path() + "." + name
		switch obj := obj.(type) {
		case *types.TypeName:
			if obj.IsAlias() {
				report(where, obj.Type())
				continue
			}
			report(where, obj.Type().Underlying())
			if named, ok := obj.Type().(*types.Named); ok {
				for m := range named.Methods() {
					if m.Exported() {
						report(where+"."+m.Name(), m.Type())
					}
				}
			}
		default: // functions, variables, constants
			report(where, obj.Type())
		}
	}
	return found
}

// TestExportedAPINamesNoInternalType type-checks the public backend
// packages and fails if their exported API names a type of an internal
// package (backend/internal/records, internal/storeerr, …): a caller
// outside the module could not name such a type, so could neither declare
// a variable of it nor implement an interface that takes it.
func TestExportedAPINamesNoInternalType(t *testing.T) {
	all := exportData(t, publicBackends...)
	t.Run("detects", func(t *testing.T) {
		// A deliberately bad package: every exported use below must be
		// found, and the unexported ones must not.
		const src = `package bad

import "github.com/sealkit/sealkit/backend/internal/records"

func Func() *records.Sweeper { return nil }

type T struct {
	Field  []records.ChunkStore
	hidden records.Sweeper
}

func (T) Method(map[string]records.ChunkStore) {}

func (T) unexported(records.Sweeper) {}

type I interface{ Put(records.Sweeper) }

var V func() (records.ChunkStore, error)

type A = records.Sweeper

func hidden(records.Sweeper) {}
`
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "bad.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := internalUses(typeCheck(t, all, fset, "example.com/bad", []*ast.File{f}))
		slices.Sort(got)
		const records = module + "/backend/internal/records."
		want := []string{
			"example.com/bad.A: " + records + "Sweeper",
			"example.com/bad.Func: " + records + "Sweeper",
			"example.com/bad.I: " + records + "Sweeper",
			"example.com/bad.T.Method: " + records + "ChunkStore",
			"example.com/bad.T: " + records + "ChunkStore",
			"example.com/bad.V: " + records + "ChunkStore",
		}
		if !slices.Equal(got, want) {
			t.Errorf("on the bad package the check found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	for _, path := range publicBackends {
		t.Run(strings.TrimPrefix(path, module+"/"), func(t *testing.T) {
			p := all[path]
			fset := token.NewFileSet()
			var files []*ast.File
			for _, name := range p.GoFiles {
				f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			if len(files) == 0 {
				t.Fatalf("go list found no files of %s", path)
			}
			for _, use := range internalUses(typeCheck(t, all, fset, path, files)) {
				t.Errorf("the exported API names an internal type: %s", use)
			}
		})
	}
}
