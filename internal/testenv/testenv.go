// Package testenv tells the person running the tests which tests skip
// because a service they need (PostgreSQL, Node, Chromium, the Go module
// proxy) is missing, and how to provide it.
//
// A t.Skip message shows only with -v. Worse, when the go command runs a list
// of packages (go test ./...) it discards everything a passing test binary
// writes, TestMain's stderr included. So Missing also writes its line to the
// controlling terminal, which the go command does not capture.
package testenv

import (
	"fmt"
	"os"
)

// Missing reports, in one line, that the tests of pkg that need service will
// skip, and how to enable them. Call it from TestMain (or a test) when the
// service is absent. The line goes to stderr, which shows with -v, in
// directory mode (go test run inside the package) and when the package
// fails; and, unless stderr already is a terminal, to /dev/tty when it can be
// opened, so go test ./... run from a terminal shows it too.
func Missing(pkg, service, how string) {
	line := fmt.Sprintf("sealkit: %s: skipping tests that need %s: %s\n", pkg, service, how)
	os.Stderr.WriteString(line)
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return // stderr reaches a terminal (or /dev/null) directly
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return // no controlling terminal, as in CI
	}
	tty.WriteString(line)
	tty.Close()
}
