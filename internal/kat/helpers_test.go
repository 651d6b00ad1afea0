package kat_test

import (
	"crypto/fips140"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/internal/testvec"
)

// tally counts what a vector file's test ran and skipped.
type tally struct {
	ran     int
	skipped map[string]int
}

func (c *tally) skip(reason string) {
	if c.skipped == nil {
		c.skipped = map[string]int{}
	}
	c.skipped[reason]++
}

// check fails unless every case of the file was run or skipped with a reason.
func (c *tally) check(t *testing.T, file string, total int) {
	t.Helper()
	n := c.ran
	for _, k := range c.skipped {
		n += k
	}
	testvec.Count(t, file+" (run + skipped)", n, total)
	if c.ran == 0 {
		t.Fatalf("%s: no case ran", file)
	}
	for reason, k := range c.skipped {
		t.Logf("%s: skipped %d: %s", file, k, reason)
	}
}

// groups decodes the test groups of a Wycheproof file into T.
func groups[T any](t *testing.T, file string) ([]T, int) {
	t.Helper()
	var f testvec.Wycheproof
	testvec.JSON(t, file, &f)
	out := make([]T, len(f.TestGroups))
	for i, raw := range f.TestGroups {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	return out, f.NumberOfTests
}

func skipInFIPS(t *testing.T, why string) {
	t.Helper()
	if fips140.Enforced() {
		t.Skipf("%s under GODEBUG=fips140=only", why)
	}
}

// wcase is the common part of a Wycheproof test case.
type wcase struct {
	TcID   int      `json:"tcId"`
	Flags  []string `json:"flags"`
	Result string   `json:"result"`
}

func (c wcase) has(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

func fipsEnforced() bool { return fips140.Enforced() }

// fipsRefused reports whether err is the FIPS 140-3 module refusing an
// algorithm because GODEBUG=fips140=only is set.
func fipsRefused(err error) bool {
	return fips140.Enforced() && err != nil && strings.Contains(err.Error(), "FIPS 140-only")
}
