// Package linkfloor holds the fewest PBKDF2 iterations package share accepts
// for a public link. It lives apart from share so that the only code able to
// lower it, sharetest.LowerLinkIterations, is in a package that production
// binaries do not link; being under share/internal, nothing outside share
// and its subpackages can import it.
package linkfloor

import "sync/atomic"

// Iterations is the floor. Package share stores share.LinkIterations in it
// when it initialises; sharetest.LowerLinkIterations lowers it for a test.
var Iterations atomic.Int64
