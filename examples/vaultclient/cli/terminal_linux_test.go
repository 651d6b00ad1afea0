package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the controller and the terminal side of a new
// pseudo-terminal.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestTerminalFd: Run reads the passphrase without echo exactly when stdin
// is a terminal, and draws the bar exactly when stderr is one; terminalFd
// makes both decisions.
func TestTerminalFd(t *testing.T) {
	_, tty := openPTY(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, tc := range []struct {
		name string
		v    any
		want bool
	}{
		{"pty", tty, true},
		{"pipe", pr, false},
		{"regular file", pw, false},
		{"reader", strings.NewReader(""), false},
		{"buffer", &bytes.Buffer{}, false},
		{"nil file", (*os.File)(nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := terminalFd(tc.v); got != tc.want {
				t.Fatalf("terminalFd = %v, want %v", got, tc.want)
			}
		})
	}
}
