package sharetest

import (
	"testing"

	"github.com/sealkit/sealkit/share/internal/linkfloor"
)

// LowerLinkIterations lets the calling test create and open links with n
// PBKDF2 iterations (for example 1,000) instead of share.LinkIterations,
// until tb's cleanup, so that a test suite does not spend 0.2 s of CPU per
// link. It lowers the floor that clients and the Service enforce, for the
// whole process: tests that call it must not run in parallel with tests
// that expect the production floor.
//
// It fails tb outside a test binary (testing.Testing() false), and the
// floor lives where nothing else can reach it (share/internal/linkfloor), so
// a program that does not run tests always enforces share.LinkIterations.
func LowerLinkIterations(tb testing.TB, n int) {
	tb.Helper()
	if !testing.Testing() {
		tb.Fatal("sharetest: LowerLinkIterations outside a test binary")
		return
	}
	if n < 1 {
		tb.Fatal("sharetest: iterations must be positive")
		return
	}
	old := linkfloor.Iterations.Swap(int64(n))
	tb.Cleanup(func() { linkfloor.Iterations.Store(old) })
}
