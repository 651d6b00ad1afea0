package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestQuickstart runs the quickstart end to end: it must finish every step.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, t.TempDir()); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "done: every step checked.") {
		t.Fatalf("quickstart did not finish:\n%s", out.String())
	}
}
