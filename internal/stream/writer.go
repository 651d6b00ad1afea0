package stream

import (
	"errors"
	"io"
)

// batchPerWorker is how many segments each worker seals per batch when
// sealing concurrently, to amortise the hand-off between goroutines.
const batchPerWorker = 4

// Writer seals a payload written to it. A full segment is sealed only once
// more data arrives (or at Close), because until then it might be the last.
type Writer struct {
	c       *Cipher
	dst     io.Writer
	workers int
	p       *pool

	buf    []byte // plaintext of up to batch segments
	out    []byte // ciphertext of one batch
	batch  int    // segments per batch
	next   uint64 // index of the first segment in buf
	err    error
	closed bool
	pos    []Position // scratch, one per worker

	// per-batch state read by the workers
	segs int
	last bool
}

// NewWriter returns a Writer sealing to dst with up to workers goroutines.
func NewWriter(c *Cipher, dst io.Writer, workers int) *Writer {
	workers = Workers(workers)
	batch := 1
	if workers > 1 {
		batch = workers * batchPerWorker
	}
	w := &Writer{
		c: c, dst: dst, workers: workers, batch: batch,
		buf: make([]byte, 0, batch*c.segSize),
		out: make([]byte, batch*c.sealedSegmentSize()),
		pos: make([]Position, workers),
	}
	w.p = newPool(workers, w.sealRange)
	return w
}

// Write buffers p and seals every batch that is known not to be the last.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("stream: write after close")
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == 0 && len(p) > w.c.segSize {
			// Seal whole segments straight from p, skipping the copy into
			// buf; every one of them is followed by at least one more byte,
			// so none is last.
			k, err := w.sealDirect(p)
			n += k
			p = p[k:]
			if err != nil {
				return n, err
			}
			continue
		}
		if len(w.buf) == cap(w.buf) {
			// More data follows a full buffer, so none of it is last.
			if err := w.flush(false); err != nil {
				return n, err
			}
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close seals what is buffered, marking its final segment last, and writes
// it out. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	defer w.p.stop()
	if w.err != nil {
		return w.err
	}
	if err := w.flush(true); err != nil {
		return err
	}
	clear(w.buf[:cap(w.buf)])
	return nil
}

// flush seals the buffered segments; if final, the last of them is last.
func (w *Writer) flush(final bool) error {
	segs := (len(w.buf) + w.c.segSize - 1) / w.c.segSize
	if segs == 0 {
		segs = 1 // an empty payload is one empty final segment
	}
	if err := w.c.checkIndex(w.next + uint64(segs) - 1); err != nil {
		w.err = err
		return err
	}
	w.segs, w.last = segs, final
	if w.p != nil && segs > 1 {
		w.p.run(segs)
	} else {
		w.sealRange(0, 0, segs)
	}
	size := len(w.buf) + segs*w.c.Overhead()
	if _, err := w.dst.Write(w.out[:size]); err != nil {
		w.err = err
		return err
	}
	w.next += uint64(segs)
	w.buf = w.buf[:0]
	return nil
}

// sealDirect seals up to one batch of full segments from p, keeping at least
// one byte of p back, and returns how many bytes it consumed.
func (w *Writer) sealDirect(p []byte) (int, error) {
	segs := min((len(p)-1)/w.c.segSize, w.batch)
	if err := w.c.checkIndex(w.next + uint64(segs)); err != nil {
		w.err = err
		return 0, err
	}
	k := segs * w.c.segSize
	saved := w.buf
	w.buf, w.segs, w.last = p[:k], segs, false
	if w.p != nil && segs > 1 {
		w.p.run(segs)
	} else {
		w.sealRange(0, 0, segs)
	}
	w.buf = saved
	if _, err := w.dst.Write(w.out[:k+segs*w.c.Overhead()]); err != nil {
		w.err = err
		return 0, err
	}
	w.next += uint64(segs)
	return k, nil
}

// sealRange seals buffered segments [lo, hi) into their place in out.
func (w *Writer) sealRange(worker, lo, hi int) {
	pos := &w.pos[worker]
	ss, full := w.c.segSize, w.c.sealedSegmentSize()
	for s := lo; s < hi; s++ {
		pt := w.buf[s*ss : min((s+1)*ss, len(w.buf))]
		w.c.Seal(w.out[s*full:s*full], pt, w.next+uint64(s), w.last && s == w.segs-1, pos)
	}
}
