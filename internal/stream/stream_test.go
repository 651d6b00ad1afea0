package stream

import (
	"bytes"
	"crypto/fips140"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"
)

// suites lists the suites this process can use: under GODEBUG=fips140=only
// Go refuses caller-chosen GCM nonces, so only the random-nonce suite works.
var suites = func() []Suite {
	if fips140.Enforced() {
		return []Suite{SuiteRandomNonce}
	}
	return []Suite{SuiteCounterNonce, SuiteRandomNonce}
}()

// defaultSuite is the suite sealkit picks in this process.
var defaultSuite = suites[0]

func newCipher(t testing.TB, suite Suite, seg int) *Cipher {
	t.Helper()
	key := make([]byte, KeySize)
	rand.Read(key)
	c, err := New(key, suite, seg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sealStream(t testing.TB, c *Cipher, pt []byte, workers, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(c, &buf, workers)
	for p := pt; len(p) > 0; {
		k := min(chunk, len(p))
		if _, err := w.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBoundaries checks every path against every path around segment
// boundaries: empty, one byte, seg-1, seg, seg+1, exact multiples.
func TestBoundaries(t *testing.T) {
	const seg = 64
	sizes := []int{0, 1, seg - 1, seg, seg + 1, 2*seg - 1, 2 * seg, 2*seg + 1, 5 * seg, 37*seg + 5}
	for _, suite := range suites {
		for _, workers := range []int{1, 3} {
			for _, n := range sizes {
				t.Run(fmt.Sprintf("suite=%d/workers=%d/n=%d", suite, workers, n), func(t *testing.T) {
					c := newCipher(t, suite, seg)
					pt := make([]byte, n)
					rand.Read(pt)
					oneshot, err := c.SealAll(nil, pt, workers, new(Position))
					if err != nil {
						t.Fatal(err)
					}
					if int64(len(oneshot)) != c.SealedSize(int64(n)) {
						t.Fatalf("sealed size %d, SealedSize says %d", len(oneshot), c.SealedSize(int64(n)))
					}
					for _, chunk := range []int{1, 7, seg, seg + 1, 1 << 20} {
						streamed := sealStream(t, c, pt, workers, chunk)
						if len(streamed) != len(oneshot) {
							t.Fatalf("chunk %d: stream sealed %d bytes, one-shot %d", chunk, len(streamed), len(oneshot))
						}
						checkOpens(t, c, streamed, pt, workers)
					}
					checkOpens(t, c, oneshot, pt, workers)
				})
			}
		}
	}
}

func checkOpens(t *testing.T, c *Cipher, sealed, want []byte, workers int) {
	t.Helper()
	got, err := c.OpenAll(nil, sealed, workers, new(Position))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("OpenAll: %v, equal=%v", err, bytes.Equal(got, want))
	}
	if err := iotest.TestReader(NewReader(c, bytes.NewReader(sealed), workers), want); err != nil {
		t.Fatalf("Reader: %v", err)
	}
	var out bytes.Buffer
	if _, err := io.Copy(&out, NewReader(c, bytes.NewReader(sealed), workers)); err != nil || !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("Reader.WriteTo: %v", err)
	}
	for _, sizes := range readPatterns(c) {
		got, err := readWith(NewReader(c, bytes.NewReader(sealed), workers), sizes...)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Reader.Read with reads of %v bytes: %v, equal=%v", sizes, err, bytes.Equal(got, want))
		}
	}
	ra, err := NewReaderAt(c, bytes.NewReader(sealed), 0, int64(len(sealed)))
	if err != nil {
		t.Fatalf("NewReaderAt: %v", err)
	}
	if ra.Size() != int64(len(want)) {
		t.Fatalf("ReaderAt size %d, want %d", ra.Size(), len(want))
	}
	if err := iotest.TestReader(io.NewSectionReader(ra, 0, ra.Size()), want); err != nil {
		t.Fatalf("ReaderAt: %v", err)
	}
}

// readPatterns are read sizes, taken in turn, that a Reader serves by
// opening segments straight into the caller's buffer (a whole segment's
// room) or by copying them out (less), and switches between the two.
func readPatterns(c *Cipher) [][]int {
	seg := c.SegmentSize()
	return [][]int{{seg}, {seg + 5}, {3 * seg}, {1, seg}, {seg, 7, seg - 1, 2 * seg}}
}

// readWith reads r to io.EOF with reads of sizes in turn. It fails if a
// Read returns more than it was given room for, or neither data nor an
// error.
func readWith(r io.Reader, sizes ...int) ([]byte, error) {
	var out []byte
	for i := 0; ; i++ {
		buf := make([]byte, sizes[i%len(sizes)])
		n, err := r.Read(buf)
		if n < 0 || n > len(buf) {
			return out, fmt.Errorf("read %d bytes into %d", n, len(buf))
		}
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, errors.New("Read returned 0, nil")
		}
	}
}

// mustFail asserts that every way of opening sealed fails with ErrCorrupt
// and that no reader reaches io.EOF.
func mustFail(t *testing.T, c *Cipher, sealed []byte, what string) {
	t.Helper()
	for _, workers := range []int{1, 2} {
		if _, err := c.OpenAll(nil, sealed, workers, new(Position)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: OpenAll workers=%d: %v, want ErrCorrupt", what, workers, err)
		}
		if _, err := io.ReadAll(NewReader(c, bytes.NewReader(sealed), workers)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Reader workers=%d: %v, want ErrCorrupt", what, workers, err)
		}
		for _, sizes := range readPatterns(c) {
			if _, err := readWith(NewReader(c, bytes.NewReader(sealed), workers), sizes...); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: Reader workers=%d, reads of %v bytes: %v, want ErrCorrupt", what, workers, err, sizes)
			}
		}
	}
	for name, src := range sources(c, sealed) {
		if _, err := NewReader(c, src(), 1).WriteTo(io.Discard); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Reader.WriteTo from a %s: %v, want ErrCorrupt", what, name, err)
		}
	}
	ra, err := NewReaderAt(c, bytes.NewReader(sealed), 0, int64(len(sealed)))
	if err == nil {
		_, err = io.ReadAll(io.NewSectionReader(ra, 0, ra.Size()))
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: ReaderAt: %v, want ErrCorrupt", what, err)
	}
}

func TestTamper(t *testing.T) {
	const seg = 64
	for _, suite := range suites {
		t.Run(fmt.Sprintf("suite=%d", suite), func(t *testing.T) {
			c := newCipher(t, suite, seg)
			pt := make([]byte, 3*seg+10)
			rand.Read(pt)
			sealed, _ := c.SealAll(nil, pt, 1, new(Position))
			full := c.sealedSegmentSize()
			seg0 := sealed[:full]
			seg1 := sealed[full : 2*full]
			last := sealed[3*full:]
			cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
			cases := map[string][]byte{
				"empty":             {},
				"drop last":         sealed[:3*full],
				"drop first":        sealed[full:],
				"drop middle":       cat(seg0, sealed[2*full:]),
				"swap":              cat(seg1, seg0, sealed[2*full:]),
				"duplicate":         cat(seg0, seg0, sealed[full:]),
				"truncate 1":        sealed[:len(sealed)-1],
				"truncate to tag":   sealed[:3*full+c.Overhead()],
				"trailing byte":     cat(sealed, []byte{0}),
				"trailing segment":  cat(sealed, last),
				"last as non-final": cat(sealed[:3*full], seg0),
			}
			for name, bad := range cases {
				mustFail(t, c, bad, name)
			}
			for i := range sealed {
				bad := bytes.Clone(sealed)
				bad[i] ^= 0x01
				mustFail(t, c, bad, fmt.Sprintf("flip byte %d", i))
			}
			other := newCipher(t, suite, seg)
			mustFail(t, other, sealed, "wrong key")
		})
	}
}

// TestEmptyFinalSegmentRejected builds a payload whose last segment is empty
// although data precedes it, which no honest writer produces.
func TestEmptyFinalSegmentRejected(t *testing.T) {
	for _, suite := range suites {
		c := newCipher(t, suite, 64)
		pt := make([]byte, 64)
		var pos Position
		s := c.Seal(nil, pt, 0, false, &pos)
		s = c.Seal(s, nil, 1, true, &pos)
		mustFail(t, c, s, "empty final segment")
	}
}

// lazyPayload is an io.ReaderAt over a payload of zero plaintext bytes whose
// sealed segments are computed on demand, so a test can address a 1 GiB
// payload without holding it.
type lazyPayload struct {
	c      *Cipher
	size   int64 // plaintext
	segs   int64
	zero   []byte
	buf    []byte
	cached int64 // the segment in buf: with random nonces, sealing again differs
	pos    Position
}

func newLazy(c *Cipher, size int64) *lazyPayload {
	_, segs, _ := c.PlainSize(c.SealedSize(size))
	return &lazyPayload{c: c, size: size, segs: segs, zero: make([]byte, c.segSize), cached: -1}
}

func (l *lazyPayload) ReadAt(p []byte, off int64) (int, error) {
	full := int64(l.c.sealedSegmentSize())
	total := l.c.SealedSize(l.size)
	n := 0
	for n < len(p) && off < total {
		i := off / full
		if i != l.cached {
			ptLen := min(int64(l.c.segSize), l.size-i*int64(l.c.segSize))
			l.buf = l.c.Seal(l.buf[:0], l.zero[:ptLen], uint64(i), i == l.segs-1, &l.pos)
			l.cached = i
		}
		k := copy(p[n:], l.buf[off-i*full:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestReaderAtTouchesFewSegments asserts that a 4 KiB read at a random
// offset of a 1 GiB payload decrypts at most 2 segments.
func TestReaderAtTouchesFewSegments(t *testing.T) {
	const size = 1 << 30
	c := newCipher(t, defaultSuite, DefaultSegmentSize)
	src := newLazy(c, size)
	ra, err := NewReaderAt(c, src, 0, c.SealedSize(size))
	if err != nil {
		t.Fatal(err)
	}
	if ra.Size() != size {
		t.Fatalf("size %d", ra.Size())
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for range 200 {
		off := rng.Int64N(size - int64(len(buf)))
		before := ra.Opened()
		if _, err := ra.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
		if d := ra.Opened() - before; d > 2 {
			t.Fatalf("4 KiB read at %d decrypted %d segments", off, d)
		}
		if !bytes.Equal(buf, make([]byte, len(buf))) {
			t.Fatal("wrong plaintext")
		}
	}
}

// TestStreamMemory streams 1 GiB through a Writer and a Reader and asserts
// the bytes allocated stay within a few segments, whatever the length.
func TestStreamMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB")
	}
	const size = 1 << 30
	c := newCipher(t, defaultSuite, DefaultSegmentSize)
	for _, workers := range []int{1, 2} {
		var ms0, ms1, ms2 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		w := NewWriter(c, io.Discard, workers)
		if _, err := io.CopyN(w, zeroReader{}, size); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms1)
		r := NewReader(c, io.NewSectionReader(newLazy(c, size), 0, c.SealedSize(size)), workers)
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != size {
			t.Fatalf("read %d: %v", n, err)
		}
		runtime.ReadMemStats(&ms2)
		sealAlloc := ms1.TotalAlloc - ms0.TotalAlloc
		openAlloc := ms2.TotalAlloc - ms1.TotalAlloc
		// With workers, inFlight batches of workers×batchPerWorker segments are
		// in flight, each with a plaintext and a sealed buffer; the lazy
		// source itself holds a few segments more.
		batches := 1
		if workers > 1 {
			batches = inFlight * workers * batchPerWorker
		}
		limit := uint64(batches+4) * uint64(c.sealedSegmentSize()) * 2
		t.Logf("workers=%d: 1 GiB seal allocated %d KiB, open allocated %d KiB (segment %d KiB)", workers, sealAlloc>>10, openAlloc>>10, c.segSize>>10)
		if sealAlloc > limit || openAlloc > limit {
			t.Fatalf("allocated %d / %d bytes streaming 1 GiB, limit %d", sealAlloc, openAlloc, limit)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestLimits(t *testing.T) {
	key := make([]byte, KeySize)
	for _, seg := range []int{0, MinSegmentSize - 1, MaxSegmentSize + 1} {
		if _, err := New(key, defaultSuite, seg); err == nil {
			t.Errorf("segment size %d accepted", seg)
		}
	}
	if fips140.Enforced() {
		if _, err := New(key, SuiteCounterNonce, DefaultSegmentSize); err == nil {
			t.Error("counter-nonce GCM accepted under fips140=only")
		}
	}
	if _, err := New(key, 9, DefaultSegmentSize); err == nil {
		t.Error("unknown suite accepted")
	}
	if _, err := New(key[:16], defaultSuite, DefaultSegmentSize); err == nil {
		t.Error("short key accepted")
	}
}

// TestSteadyStateAllocs: once a stream is running, sealing or opening a
// segment allocates nothing, sequentially or in parallel.
func TestSteadyStateAllocs(t *testing.T) {
	c := newCipher(t, defaultSuite, DefaultSegmentSize)
	seg := make([]byte, DefaultSegmentSize)
	for _, workers := range []int{1, 2} {
		w := NewWriter(c, io.Discard, workers)
		w.Write(seg)
		if a := testing.AllocsPerRun(50, func() { w.Write(seg) }); a != 0 {
			t.Errorf("workers=%d: %.1f allocations per written segment", workers, a)
		}
		w.Close()
		const size = 1 << 30
		r := NewReader(c, io.NewSectionReader(newLazy(c, size), 0, c.SealedSize(size)), workers)
		io.ReadFull(r, seg)
		if a := testing.AllocsPerRun(50, func() {
			if _, err := io.ReadFull(r, seg); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("workers=%d: %.1f allocations per read segment", workers, a)
		}
		r.Close()
	}
}
