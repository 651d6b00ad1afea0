package stream

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// chunkSource is an io.WriterTo that hands its bytes over chunk bytes at a
// time, and fails the test run if the writer changes them.
type chunkSource struct {
	data  []byte
	chunk int
	err   error     // returned by WriteTo after handing over everything
	bad   bool      // the writer changed a slice it was given
	kept  io.Writer // the last writer given to WriteTo
}

func (s *chunkSource) Read(p []byte) (int, error) {
	panic("Reader read a WriterTo source with Read")
}

func (s *chunkSource) WriteTo(w io.Writer) (int64, error) {
	s.kept = w
	orig := bytes.Clone(s.data)
	var n int64
	for p := s.data; len(p) > 0; {
		k := min(s.chunk, len(p))
		m, err := w.Write(p[:k])
		n += int64(m)
		if err != nil {
			s.bad = !bytes.Equal(orig, s.data)
			return n, err
		}
		p = p[k:]
	}
	s.bad = !bytes.Equal(orig, s.data)
	return n, s.err
}

// sources returns the WriterTo sources of sealed that writeFrom reads.
func sources(c *Cipher, sealed []byte) map[string]func() io.Reader {
	full := c.sealedSegmentSize()
	m := map[string]func() io.Reader{
		"bytes.Reader": func() io.Reader { return bytes.NewReader(sealed) },
		"bufio.Reader": func() io.Reader { return bufio.NewReaderSize(iotest.HalfReader(bytes.NewReader(sealed)), 16) },
	}
	for _, chunk := range []int{1, 7, full - 1, full, full + 1, 2*full + 3} {
		m[fmt.Sprintf("chunks of %d", chunk)] = func() io.Reader { return &chunkSource{data: bytes.Clone(sealed), chunk: chunk} }
	}
	return m
}

// writeToPrefix opens sealed through WriteTo from each source, after
// reading prefix bytes with Read, and checks that the output is want (or,
// on failure, a prefix of want of whole segments) and the error is wantErr.
func writeToPrefix(t *testing.T, c *Cipher, sealed, want []byte, prefix int, wantErr error) {
	t.Helper()
	for name, src := range sources(c, sealed) {
		if prefix > 0 && name != "bytes.Reader" {
			continue
		}
		s := src()
		r := NewReader(c, s, 1)
		var out bytes.Buffer
		if prefix > 0 {
			if _, err := io.CopyN(&out, onlyRead{r}, int64(prefix)); err != nil {
				t.Fatalf("%s: reading %d bytes first: %v", name, prefix, err)
			}
		}
		n, err := r.WriteTo(&out)
		if n != int64(out.Len()-prefix) {
			t.Errorf("%s: WriteTo reported %d bytes, wrote %d", name, n, out.Len()-prefix)
		}
		if wantErr == nil && (err != nil || !bytes.Equal(out.Bytes(), want)) {
			t.Fatalf("%s: WriteTo: %v, equal=%v", name, err, bytes.Equal(out.Bytes(), want))
		}
		if wantErr != nil && !errors.Is(err, wantErr) {
			t.Fatalf("%s: WriteTo: %v, want %v", name, err, wantErr)
		}
		if got := out.Bytes(); !bytes.HasPrefix(want, got) || (len(got) != len(want) && len(got)%c.segSize != 0) {
			t.Fatalf("%s: wrote %d bytes that are not whole authenticated segments of the plaintext", name, len(got))
		}
		if cs, ok := s.(*chunkSource); ok && cs.bad {
			t.Fatalf("%s: the source's slices were changed", name)
		}
		// What WriteTo ended with, Read reports too.
		var p [1]byte
		if _, rerr := r.Read(p[:]); wantErr == nil && rerr != io.EOF || wantErr != nil && !errors.Is(rerr, wantErr) {
			t.Fatalf("%s: Read after WriteTo: %v", name, rerr)
		}
	}
}

// onlyRead hides a Reader's WriteTo.
type onlyRead struct{ io.Reader }

func TestWriteToSources(t *testing.T) {
	const seg = 64
	for _, suite := range suites {
		c := newCipher(t, suite, seg)
		for _, n := range []int{0, 1, seg - 1, seg, seg + 1, 2 * seg, 5*seg + 3} {
			t.Run(fmt.Sprintf("suite=%d/n=%d", suite, n), func(t *testing.T) {
				pt := make([]byte, n)
				rand.Read(pt)
				sealed, _ := c.SealAll(nil, pt, 1, new(Position))
				for _, prefix := range []int{0, 1, seg - 1, seg, seg + 1} {
					if prefix <= n {
						writeToPrefix(t, c, sealed, pt, prefix, nil)
					}
				}
			})
		}
	}
}

// TestWriteToTamper: a flipped byte in segment k releases exactly the
// segments before k; truncation and extension release no more than what
// authenticated, and every one fails with ErrCorrupt.
func TestWriteToTamper(t *testing.T) {
	const seg = 64
	for _, suite := range suites {
		c := newCipher(t, suite, seg)
		full := c.sealedSegmentSize()
		pt := make([]byte, 4*seg+10)
		rand.Read(pt)
		sealed, _ := c.SealAll(nil, pt, 1, new(Position))
		for k := range 5 {
			bad := bytes.Clone(sealed)
			bad[k*full+3] ^= 0x80
			for name, src := range sources(c, bad) {
				var out bytes.Buffer
				_, err := NewReader(c, src(), 1).WriteTo(&out)
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("suite %d, %s, flip in segment %d: %v, want ErrCorrupt", suite, name, k, err)
				}
				if !bytes.Equal(out.Bytes(), pt[:k*seg]) {
					t.Fatalf("suite %d, %s, flip in segment %d: released %d bytes, want the %d before it", suite, name, k, out.Len(), k*seg)
				}
			}
		}
		cases := map[string][]byte{
			"empty":             {},
			"cut at a segment":  sealed[:4*full],
			"cut by 1":          sealed[:len(sealed)-1],
			"cut to a tag":      sealed[:4*full+c.Overhead()],
			"cut in a segment":  sealed[:2*full+5],
			"one more byte":     append(bytes.Clone(sealed), 0),
			"one more segment":  append(bytes.Clone(sealed), sealed[4*full:]...),
			"first segment out": sealed[full:],
			"last as non-final": append(bytes.Clone(sealed[:4*full]), sealed[:full]...),
		}
		for what, bad := range cases {
			t.Run(fmt.Sprintf("suite=%d/%s", suite, what), func(t *testing.T) {
				writeToPrefix(t, c, bad, pt, 0, ErrCorrupt)
			})
		}
	}
}

// failWriter fails once it has been given more than n bytes in all.
type failWriter struct {
	n   int
	got bytes.Buffer
}

var errDst = errors.New("destination failed")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.got.Len()+len(p) > w.n {
		k := w.n - w.got.Len()
		w.got.Write(p[:k])
		return k, errDst
	}
	return w.got.Write(p)
}

// shortWriter takes one byte less than it is given, without an error.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return max(len(p)-1, 0), nil }

func TestWriteToErrors(t *testing.T) {
	const seg = 64
	c := newCipher(t, defaultSuite, seg)
	pt := make([]byte, 3*seg+5)
	rand.Read(pt)
	sealed, _ := c.SealAll(nil, pt, 1, new(Position))
	for _, limit := range []int{0, 10, seg, 2*seg + 1} {
		w := &failWriter{n: limit}
		r := NewReader(c, bytes.NewReader(sealed), 1)
		n, err := r.WriteTo(w)
		if !errors.Is(err, errDst) || n != int64(limit) || !bytes.Equal(w.got.Bytes(), pt[:limit]) {
			t.Errorf("destination failing after %d bytes: wrote %d, %v", limit, n, err)
		}
		if _, err := r.Read(make([]byte, 10)); err != errAfterWriteTo {
			t.Errorf("Read after the destination failed: %v", err)
		}
	}
	if _, err := NewReader(c, bytes.NewReader(sealed), 1).WriteTo(shortWriter{}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short write: %v, want io.ErrShortWrite", err)
	}
	r := NewReader(c, bytes.NewReader(sealed), 1)
	r.Read(make([]byte, 1)) // leaves the rest of a segment to serve first
	if _, err := r.WriteTo(shortWriter{}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short write of what Read left: %v, want io.ErrShortWrite", err)
	}
	// A source that fails after handing over the whole payload: its error,
	// not io.EOF and not the final segment.
	errSrc := errors.New("source failed")
	var out bytes.Buffer
	_, err := NewReader(c, &chunkSource{data: sealed, chunk: 100, err: errSrc}, 1).WriteTo(&out)
	if !errors.Is(err, errSrc) {
		t.Errorf("failing source: %v, want its error", err)
	}
	if out.Len() != 3*seg {
		t.Errorf("failing source: released %d bytes, want the %d of the segments known not to be last", out.Len(), 3*seg)
	}
	// A source that keeps the writer and writes after its WriteTo returned
	// reaches nothing.
	src := &chunkSource{data: sealed, chunk: 100}
	out.Reset()
	if _, err := NewReader(c, src, 1).WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if n, err := src.kept.Write(sealed); n != 0 || err == nil || out.Len() != len(pt) {
		t.Errorf("write after WriteTo returned: %d, %v; destination holds %d bytes", n, err, out.Len())
	}
}
