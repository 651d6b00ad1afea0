package cli

import (
	"bufio"
	"context"
	"io"
)

// RunWithTerminal is Run with the terminal decisions made by the test:
// readPassword stands for a terminal on stdin (nil: stdin is not one) and
// stderrTerminal for one on stderr.
func RunWithTerminal(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	readPassword func() ([]byte, error), stderrTerminal bool) int {
	e := &env{ctx: ctx, stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr,
		readPassword: readPassword, stderrTerminal: stderrTerminal}
	return e.run(args)
}

// CheckNewPassphrase is the registration rule.
var CheckNewPassphrase = checkNewPassphrase
