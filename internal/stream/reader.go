package stream

import (
	"errors"
	"io"
)

// Reader opens a payload read from src. It releases a segment's plaintext
// only after that segment authenticated at its position, and reports
// ErrCorrupt, never io.EOF, if the payload is cut short, reordered or
// extended.
type Reader struct {
	c       *Cipher
	src     io.Reader
	workers int
	p       *pool

	in     []byte     // batch*full ciphertext bytes plus one byte of lookahead
	have   int        // bytes of in filled
	carry  bool       // in[batch*full] is the first byte of the next batch
	failed []bool     // per segment of the batch, set by the workers
	pos    []Position // scratch, one per worker

	// the opened batch: plaintext of segment s is in[s*full : s*full+plen(s)]
	segs    int
	lastLen int // plaintext length of segment segs-1
	final   bool
	cur     int // segment being served
	off     int // offset within it

	next uint64 // index of the first segment of the batch
	done bool   // the final segment has been opened
	err  error
}

// NewReader returns a Reader opening src with up to workers goroutines. The
// caller must read to io.EOF or call Close to release the workers.
func NewReader(c *Cipher, src io.Reader, workers int) *Reader {
	workers = Workers(workers)
	batch := 1
	if workers > 1 {
		batch = workers * batchPerWorker
	}
	r := &Reader{
		c: c, src: src, workers: workers,
		in:     make([]byte, batch*c.sealedSegmentSize()+1),
		failed: make([]bool, batch),
		pos:    make([]Position, workers),
	}
	r.p = newPool(workers, r.openRange)
	return r
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for {
		if r.cur < r.segs {
			seg := r.segment(r.cur)
			if len(seg) == 0 { // the empty final segment of an empty payload
				r.cur++
				continue
			}
			n := copy(p, seg[r.off:])
			r.off += n
			if r.off == len(seg) {
				r.cur, r.off = r.cur+1, 0
			}
			return n, nil
		}
		if len(p) == 0 {
			return 0, r.err
		}
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			r.release()
			return 0, io.EOF
		}
		r.fill()
	}
}

// WriteTo writes the plaintext to w without an intermediate copy; io.Copy
// uses it.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		for r.cur < r.segs {
			seg := r.segment(r.cur)[r.off:]
			n, err := w.Write(seg)
			total += int64(n)
			r.off += n
			if err != nil {
				return total, err
			}
			r.cur, r.off = r.cur+1, 0
		}
		if r.err != nil {
			return total, r.err
		}
		if r.done {
			r.release()
			return total, nil
		}
		r.fill()
	}
}

// Close releases the Reader's workers and buffers. Reading after Close fails.
func (r *Reader) Close() error {
	r.release()
	if r.err == nil {
		r.err = errors.New("stream: read after close")
	}
	return nil
}

func (r *Reader) release() {
	if r.p != nil {
		r.p.stop()
		r.p = nil
	}
}

// segment returns the plaintext of opened segment s of the batch.
func (r *Reader) segment(s int) []byte {
	start := s * r.c.sealedSegmentSize()
	n := r.c.segSize
	if s == r.segs-1 {
		n = r.lastLen
	}
	return r.in[start : start+n]
}

// fill reads and opens the next batch of segments.
func (r *Reader) fill() {
	full := r.c.sealedSegmentSize()
	body := len(r.in) - 1
	if r.carry {
		r.in[0] = r.in[body]
		r.have, r.carry = 1, false
	} else {
		r.have = 0
	}
	n, err := io.ReadFull(r.src, r.in[r.have:])
	r.have += n
	r.cur, r.off, r.segs = 0, 0, 0
	switch {
	case err == nil:
		// More follows this batch: none of its segments is last.
		r.carry = true
		r.open(body/full, full, false)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		r.openFinal(full)
	default:
		r.err = err
		r.release()
	}
}

// openFinal opens the have bytes left, which end the payload.
func (r *Reader) openFinal(full int) {
	ov := r.c.Overhead()
	segs := (r.have + full - 1) / full
	lastLen := r.have - (segs-1)*full
	if r.have == 0 || lastLen < ov || (lastLen == ov && (segs > 1 || r.next > 0)) {
		// Truncated, or an empty final segment after data: only an empty
		// payload may end in an empty segment.
		r.err = ErrCorrupt
		r.release()
		return
	}
	r.open(segs, lastLen, true)
	r.done = r.err == nil
}

// open authenticates segs segments of the batch, the last being lastSealed
// bytes long and final if final is set.
func (r *Reader) open(segs, lastSealed int, final bool) {
	if err := r.c.checkIndex(r.next + uint64(segs) - 1); err != nil {
		r.err = err
		r.release()
		return
	}
	r.segs, r.final, r.lastLen = segs, final, lastSealed-r.c.Overhead()
	if r.p != nil && segs > 1 {
		r.p.run(segs)
	} else {
		r.openRange(0, 0, segs)
	}
	for s := range segs {
		if r.failed[s] {
			// Serve what authenticated before the first bad segment, then fail.
			r.segs = s
			if s > 0 {
				r.lastLen = r.c.segSize
			}
			r.err = ErrCorrupt
			r.release()
			break
		}
	}
	r.next += uint64(segs)
}

// openRange opens segments [lo, hi) of the batch in place.
func (r *Reader) openRange(worker, lo, hi int) {
	pos := &r.pos[worker]
	full := r.c.sealedSegmentSize()
	for s := lo; s < hi; s++ {
		end := (s + 1) * full
		last := s == r.segs-1
		if last {
			end = s*full + r.lastLen + r.c.Overhead()
		}
		sealed := r.in[s*full : end]
		_, err := r.c.Open(sealed[:0], sealed, r.next+uint64(s), last && r.final, pos)
		r.failed[s] = err != nil
	}
}
