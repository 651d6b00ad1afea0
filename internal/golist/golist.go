// Package golist runs `go list -json` for the tests that check the module's
// shape (import layers, doc comments, exported API), so each need not
// decode the go command's output itself.
package golist

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// List runs `go list -e -json=<fields> <args...>` and decodes one T per
// package. fields must include ImportPath and Error; a package that go
// list could not load fails the test. GODEBUG is left out of the go
// command's environment: a fips140=only test run must not constrain it.
func List[T any](t testing.TB, fields string, args ...string) []T {
	t.Helper()
	goCmd, err := exec.LookPath("go") // go test puts its GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	cmd := exec.Command(goCmd, append([]string{"list", "-e", "-json=" + fields}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GODEBUG=") })
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []T
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		var head struct {
			ImportPath string
			Error      *struct{ Err string }
		}
		var p T
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if head.Error != nil {
			t.Fatalf("go list %s: %s", head.ImportPath, head.Error.Err)
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}
