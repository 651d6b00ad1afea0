//go:build unix

package testenv_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/sealkit/sealkit/internal/testenv"
)

// childEnv makes this test binary, run again, call Missing and exit.
const childEnv = "SEALKIT_TESTENV_CHILD"

// TestMissingWritesOneLine runs Missing in a child in its own session (so it
// has no terminal to write to, and none of its output reaches the person
// running the tests) and checks the line it writes to stderr.
func TestMissingWritesOneLine(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		testenv.Missing("pkg/x", "a service", "start it")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMissingWritesOneLine$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	const want = "sealkit: pkg/x: skipping tests that need a service: start it\n"
	if string(out) != want {
		t.Fatalf("Missing wrote %q, want %q", out, want)
	}
}
