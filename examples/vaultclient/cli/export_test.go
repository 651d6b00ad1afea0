package cli

import (
	"bufio"
	"context"
	"io"

	"github.com/sealkit/sealkit/keystore"
)

// Test holds what a test decides that Run works out for itself.
type Test struct {
	// ReadPassword stands for a terminal on stdin (nil: stdin is not one).
	ReadPassword func() ([]byte, error)
	// StderrTerminal stands for a terminal on stderr.
	StderrTerminal bool
	// KDF replaces the account KDF policy (for example PBKDF2 at 1,000
	// iterations with InsecureAllowWeak), so that a test does not spend a
	// second per command on the KDF.
	KDF *keystore.Policy
}

// RunTest is Run with the decisions in tc.
func RunTest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, tc Test) int {
	e := &env{ctx: ctx, stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr,
		readPassword: tc.ReadPassword, stderrTerminal: tc.StderrTerminal, kdf: tc.KDF}
	return e.run(args)
}

// CheckNewPassphrase is the registration rule.
var CheckNewPassphrase = checkNewPassphrase
