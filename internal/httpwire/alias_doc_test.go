package httpwire

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The public packages alias Error, and go doc shows an alias of an
// internal type without its fields: their doc comments list them instead.
// This keeps those lists complete as Error changes.
func TestAliasDocsListErrorFields(t *testing.T) {
	aliases := []struct{ file, name string }{
		{"../../share/transport.go", "HTTPError"},
		{"../../storageauth/client.go", "ServerError"},
	}
	typ := reflect.TypeFor[Error]()
	for _, a := range aliases {
		doc := aliasDoc(t, a.file, a.name)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !regexp.MustCompile(`(?m)^\t+` + f.Name + ` +` + regexp.QuoteMeta(f.Type.String()) + `\b`).MatchString(doc) {
				t.Errorf("%s: the doc comment of %s does not list field %s %s", a.file, a.name, f.Name, f.Type)
			}
		}
		pt := reflect.PointerTo(typ)
		for i := range pt.NumMethod() {
			m := pt.Method(i)
			if !strings.Contains(doc, ") "+m.Name+"() ") {
				t.Errorf("%s: the doc comment of %s does not list method %s", a.file, a.name, m.Name)
			}
		}
	}
}

// aliasDoc returns the doc comment of the type name declared in file.
func aliasDoc(t *testing.T, file, name string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.FromSlash(file), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, s := range g.Specs {
			if ts := s.(*ast.TypeSpec); ts.Name.Name == name && ts.Assign.IsValid() {
				return g.Doc.Text()
			}
		}
	}
	t.Fatalf("%s declares no alias %s", file, name)
	return ""
}
