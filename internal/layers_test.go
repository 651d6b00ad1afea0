// Package internal_test checks the module's import graph: the packages under
// internal/ sit below the public ones, and only test helpers link testing.
//
// The rules, on the graph go list reports for this platform (a package's
// non-test files and everything they import, transitively):
//
//   - No package under internal/ (at the module root) depends on a public
//     sealkit package. Its _test.go files may import public packages: they
//     are compiled into that package's test binary only. (Subtrees such as
//     backend/internal are internal to their parent and sit above it.)
//   - No package links the standard library's testing (or a testing/...
//     package that imports it) except the conformance suites and the
//     internal test helpers in testHelpers, which only test binaries import.
//     So no library, command or example carries a test hook that needs it.
package internal_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/internal/golist"
)

const module = "github.com/sealkit/sealkit"

// testHelpers are the packages allowed to link testing.
var testHelpers = []string{
	// Exported conformance suites, run by every backend.
	module + "/identity/identitytest",
	module + "/keystore/keystoretest",
	module + "/share/sharetest",
	module + "/storageauth/storageauthtest",
	// Conformance suites internal to the backends.
	module + "/backend/driver/drivertest",
	module + "/keylog/keylogtest",
	// Internal test helpers: vector loading, paired benchmarks, PostgreSQL
	// schemas, go list for the checks of the module's shape.
	module + "/internal/testvec",
	module + "/internal/benchutil",
	module + "/internal/pgtest",
	module + "/internal/golist",
}

// pkg is what go list -json says of one package.
type pkg struct {
	ImportPath string
	Deps       []string // non-test dependencies, transitively
	Error      *struct{ Err string }
}

// listModule returns every package of the module, as go list sees it.
func listModule(t *testing.T) map[string]pkg {
	t.Helper()
	pkgs := map[string]pkg{}
	for _, p := range golist.List[pkg](t, "ImportPath,Deps,Error", module+"/...") {
		pkgs[p.ImportPath] = p
	}
	// The checks below mean nothing on a short or empty list.
	for _, want := range []string{module + "/envelope", module + "/internal/stream", module + "/share"} {
		if _, ok := pkgs[want]; !ok {
			t.Fatalf("go list did not report %s", want)
		}
	}
	return pkgs
}

// isRootInternal says whether path is the module's internal/ or below it.
func isRootInternal(path string) bool {
	return path == module+"/internal" || strings.HasPrefix(path, module+"/internal/")
}

// isPublic says whether path is a sealkit package outside the root internal/.
func isPublic(path string) bool {
	return (path == module || strings.HasPrefix(path, module+"/")) && !isRootInternal(path)
}

func TestInternalImportsNoPublicPackage(t *testing.T) {
	pkgs := listModule(t)
	// The detection sees a public package reaching an internal one.
	if !slices.Contains(pkgs[module+"/envelope"].Deps, module+"/internal/stream") {
		t.Fatal("envelope does not list internal/stream among its dependencies: the check is blind")
	}
	n := 0
	for _, path := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[path]
		if !isRootInternal(path) {
			continue
		}
		n++
		for _, d := range p.Deps {
			if isPublic(d) {
				t.Errorf("%s depends on the public package %s", path, d)
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d packages under internal/", n)
	}
}

func TestOnlyTestHelpersLinkTesting(t *testing.T) {
	pkgs := listModule(t)
	for _, h := range testHelpers {
		// The allowance is for conformance suites (named …test, as
		// testing/fstest is) and internal helpers, never a library.
		if !strings.HasSuffix(h, "test") && !isRootInternal(h) {
			t.Errorf("test helper %s is neither a …test conformance package nor under internal/", h)
		}
		p, ok := pkgs[h]
		if !ok {
			t.Errorf("test helper %s is gone: remove it from testHelpers", h)
			continue
		}
		// The detection sees testing where it is.
		if !slices.Contains(p.Deps, "testing") {
			t.Errorf("test helper %s does not link testing: remove it from testHelpers", h)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[path]
		if slices.Contains(testHelpers, path) {
			continue
		}
		if slices.Contains(p.Deps, "testing") {
			t.Errorf("%s links testing (through %s)", path, linkedThrough(pkgs, p))
		}
	}
}

// linkedThrough names the sealkit dependencies of p that link testing
// themselves, or p's own import when there are none.
func linkedThrough(pkgs map[string]pkg, p pkg) string {
	var via []string
	for _, d := range p.Deps {
		if q, ok := pkgs[d]; ok && slices.Contains(q.Deps, "testing") {
			via = append(via, d)
		}
	}
	if len(via) == 0 {
		return "its own imports"
	}
	return strings.Join(via, ", ")
}
