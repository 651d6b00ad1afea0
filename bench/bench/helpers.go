package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// rawGCM seals and opens a payload segment by segment with a bare
// AES-256-GCM and counter nonces: the ceiling the envelope's payload is
// measured against. It writes into a buffer it owns, so it pays for no
// destination.
type rawGCM struct {
	aead cipher.AEAD
	seg  int
	out  []byte
}

func newRawGCM(seg, size int) (*rawGCM, error) {
	b, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &rawGCM{aead: a, seg: seg, out: make([]byte, 0, size+(size/seg+1)*a.Overhead())}, nil
}

func (l *rawGCM) seal(pt []byte) []byte {
	var nonce [12]byte
	out := l.out[:0]
	for i := 0; len(pt) > 0; i++ {
		n := min(len(pt), l.seg)
		binary.BigEndian.PutUint64(nonce[4:], uint64(i))
		out = l.aead.Seal(out, nonce[:], pt[:n], nil)
		pt = pt[n:]
	}
	return out
}

// open opens ct in place.
func (l *rawGCM) open(ct []byte) error {
	var nonce [12]byte
	full := l.seg + l.aead.Overhead()
	for i := 0; len(ct) > 0; i++ {
		n := min(len(ct), full)
		binary.BigEndian.PutUint64(nonce[4:], uint64(i))
		if _, err := l.aead.Open(ct[:0], nonce[:], ct[:n], nil); err != nil {
			return err
		}
		ct = ct[n:]
	}
	return nil
}

// openTo opens ct into dst, out of place, and returns an error if a segment
// does not authenticate.
func (l *rawGCM) openTo(dst, ct []byte) error {
	var nonce [12]byte
	full := l.seg + l.aead.Overhead()
	var err error
	for i := 0; len(ct) > 0; i++ {
		n := min(len(ct), full)
		binary.BigEndian.PutUint64(nonce[4:], uint64(i))
		if dst, err = l.aead.Open(dst, nonce[:], ct[:n], nil); err != nil {
			return err
		}
		ct = ct[n:]
	}
	return nil
}

// rawOpener opens copies of a sealed payload: each call first copies the
// ciphertext into scratch (the loop opens in place), as a reader of a
// stream pays one copy of its input too.
type rawOpener struct {
	loop    *rawGCM
	ct      []byte
	scratch []byte
}

func (o *rawOpener) op() error {
	copy(o.scratch, o.ct)
	return o.loop.open(o.scratch)
}

// drainBuf is the buffer peers' readers are drained with. It is large so
// that readers without WriteTo are not penalised with many small reads.
var drainBuf = make([]byte, 1<<20)

// drain reads r to EOF and discards it: through WriteTo if r has it (as
// io.Copy would), else with a 1 MiB buffer.
func drain(r io.Reader) (int64, error) {
	if wt, ok := r.(io.WriterTo); ok {
		return wt.WriteTo(io.Discard)
	}
	var n int64
	for {
		m, err := r.Read(drainBuf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// drainWant drains r and checks it held want bytes.
func drainWant(r io.Reader, want int) error {
	n, err := drain(r)
	if err != nil {
		return err
	}
	if n != int64(want) {
		return fmt.Errorf("read %d bytes, want %d", n, want)
	}
	return nil
}

// randomBytes returns n random bytes. Inputs must not be untouched zero
// pages, which the kernel maps to one shared page that is always in cache.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// cycleReader yields n bytes by repeating buf: a large stream without a
// large buffer.
type cycleReader struct {
	buf  []byte
	left int64
	off  int
}

func (c *cycleReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n := copy(p, c.buf[c.off:])
	c.off = (c.off + n) % len(c.buf)
	c.left -= int64(n)
	return n, nil
}

// writeAll writes p to w and closes it.
func writeAll(w io.WriteCloser, p []byte) error {
	if _, err := w.Write(p); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

var errMismatch = errors.New("plaintext mismatch")

// sizeName renders a byte count as 1KiB, 64MiB, 1GiB.
func sizeName(n int) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// consumed builds a Contender for an operation that uses up its input (a
// signed request verifies once, a store version is accepted once): Prepare
// makes n inputs with next, outside the timing, and each Op call takes one
// and runs use on it.
func consumed[T any](name string, next func() (T, error), use func(T) error) Contender {
	var queue []T
	return Contender{Name: name, Prepare: func(n int) error {
		queue = queue[:0]
		for range n {
			v, err := next()
			if err != nil {
				return err
			}
			queue = append(queue, v)
		}
		return nil
	}, Op: func() error {
		if len(queue) == 0 {
			return errors.New("no prepared input")
		}
		v := queue[0]
		queue = queue[1:]
		return use(v)
	}}
}
