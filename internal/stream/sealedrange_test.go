package stream

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"testing"
)

// window is a source that serves only [off, off+n) of b (and the final
// segment, which NewReaderAt reads first): a read outside fails.
type window struct {
	b       []byte
	off, n  int64
	lastOff int64
}

func (w *window) ReadAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if (off < w.off || end > w.off+w.n) && off != w.lastOff {
		return 0, fmt.Errorf("read [%d, %d) outside the window [%d, %d)", off, end, w.off, w.off+w.n)
	}
	return copy(p, w.b[off:]), nil
}

// TestSealedRange: a ReaderAt whose source holds only the span
// SealedRange names reads every range, and the span is the sealed
// segments the range touches, no more.
func TestSealedRange(t *testing.T) {
	const seg, base = 64, 7
	for _, suite := range suites {
		for _, size := range []int{1, seg - 1, seg, seg + 1, 5*seg + 3, 8 * seg} {
			t.Run(fmt.Sprintf("suite=%d/size=%d", suite, size), func(t *testing.T) {
				c := newCipher(t, suite, seg)
				pt := make([]byte, size)
				rand.Read(pt)
				sealed, err := c.SealAll(nil, pt, 1, new(Position))
				if err != nil {
					t.Fatal(err)
				}
				src := &window{b: append(make([]byte, base), sealed...)}
				full := int64(c.sealedSegmentSize())
				src.lastOff = base + (int64(len(sealed))-1)/full*full
				ra, err := NewReaderAt(c, src, base, int64(len(sealed)))
				if err != nil {
					t.Fatal(err)
				}
				for range 200 {
					off := mrand.Int64N(int64(size))
					n := 1 + mrand.Int64N(int64(size)+seg)
					so, sn := ra.SealedRange(off, n)
					end := min(off+n, int64(size))
					segs := (end-1)/seg - off/seg + 1
					if so != base+off/seg*full || sn > segs*full || sn <= (segs-1)*full {
						t.Fatalf("SealedRange(%d, %d) = %d, %d: not the %d segments it touches", off, n, so, sn, segs)
					}
					src.off, src.n = so, sn
					ra.cached = -1
					got := make([]byte, end-off)
					if _, err := ra.ReadAt(got, off); err != nil && err != io.EOF {
						t.Fatalf("ReadAt(%d bytes, %d) within SealedRange: %v", len(got), off, err)
					}
					if !bytes.Equal(got, pt[off:end]) {
						t.Fatalf("ReadAt(%d bytes, %d): wrong bytes", len(got), off)
					}
				}
				for _, r := range [][2]int64{{0, 0}, {-1, 5}, {int64(size), 1}, {0, -1}} {
					if so, sn := ra.SealedRange(r[0], r[1]); so != base || sn != 0 {
						t.Errorf("SealedRange(%d, %d) = %d, %d, want %d, 0", r[0], r[1], so, sn, base)
					}
				}
				if _, sn := ra.SealedRange(0, 1<<62); sn != int64(len(sealed)) {
					t.Errorf("SealedRange of everything: %d bytes, want %d", sn, len(sealed))
				}
			})
		}
	}
}
