package sharehttp

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// FuzzParseRange: no Range value panics or makes the parser work past its
// cap; a range it accepts is well formed, and the header the client would
// send for it parses back to the same request.
func FuzzParseRange(f *testing.F) {
	b, err := os.ReadFile("testdata/range.json")
	if err != nil {
		f.Fatal(err)
	}
	var doc struct {
		Vectors []struct {
			Range []string `json:"range"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		f.Fatal(err)
	}
	for _, v := range doc.Vectors {
		for _, r := range v.Range {
			f.Add(r)
		}
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, ok, err := parseRangeValue(v)
		if err != nil && ok {
			t.Fatalf("%q: an error and a range", v)
		}
		if !ok {
			if len(v) > maxRangeHeader && err == nil {
				t.Fatalf("%q: over the cap and not refused", v)
			}
			return
		}
		if r.First < 0 || r.Last < 0 || (!r.Suffix && r.Last < r.First) || (r.Suffix && r.First != 0) {
			t.Fatalf("%q: parsed to %+v", v, r)
		}
		off, n, sendable := r.offLen()
		if !sendable {
			if !r.Suffix || r.Last != 0 {
				t.Fatalf("%q: %+v has no off, n", v, r)
			}
			return
		}
		if n < 1 || off == math.MinInt64 {
			t.Fatalf("%q: off %d, n %d", v, off, n)
		}
		back, ok, err := parseRangeValue(rangeHeader(off, n))
		if err != nil || !ok {
			t.Fatalf("%q: the client's %q does not parse: %v", v, rangeHeader(off, n), err)
		}
		off2, n2, _ := back.offLen()
		if off2 != off || (n2 != n && !(n >= math.MaxInt64-off && n2 >= math.MaxInt64-off)) {
			t.Fatalf("%q: (%d, %d) went out as %q and back as (%d, %d)", v, off, n, rangeHeader(off, n), off2, n2)
		}
	})
}

// FuzzParseContentRange: no Content-Range panics; one the client accepts
// names at least one byte inside the size, and prints back to itself.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-0/1", "bytes 10-19/100", "bytes */100", "bytes 5-4/10", "bytes 0-9/*",
		"bytes 99999999999999999999-1/2", "bytes 0-9/9223372036854775807", "bytes  0-9/10", "bytes 010-19/100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sp, err := parseContentRange(v)
		if err != nil {
			return
		}
		if sp.Off < 0 || sp.N < 1 || sp.Off+sp.N > sp.Size || sp.Size == math.MaxInt64 {
			t.Fatalf("%q: span %+v", v, sp)
		}
		if back, err := parseContentRange(contentRange(sp)); err != nil || back != sp {
			t.Fatalf("%q: %+v printed as %q, read back as %+v, %v", v, sp, contentRange(sp), back, err)
		}
	})
}
