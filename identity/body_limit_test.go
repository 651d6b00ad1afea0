package identity

import (
	"io"
	"math"
	"strings"
	"testing"
)

// TestReadBufferedBodyHugeLimit: a cap of math.MaxInt64 (no practical cap)
// reads the body; limit+1 must not overflow into a negative chunk size.
func TestReadBufferedBodyHugeLimit(t *testing.T) {
	d, err := parseContentDigest([]string{"sha-256=:LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=:"}) // sha-256("x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := readBufferedBody(io.NopCloser(strings.NewReader("x")), math.MaxInt64, math.MaxInt64, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.check(); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	if string(got) != "x" {
		t.Fatalf("body %q", got)
	}
}
