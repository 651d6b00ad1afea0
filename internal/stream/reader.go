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
	p       *pool
	pos     []Position // scratch, one per worker
	batches []*batch   // one, or inFlight with workers
	head    int        // the batch being served
	ahead   int        // batches read and submitted, head included

	carry    byte // the byte read past the last batch, first of the next
	hasCarry bool
	eof      bool   // the final batch has been read
	next     uint64 // index of the next segment to read

	cur, off int // segment of the head batch being served, offset in it
	served   bool
	err      error // reported once the head batch is served
}

// NewReader returns a Reader opening src with up to workers goroutines. The
// caller must read to io.EOF (or an error) or call Close to release them.
func NewReader(c *Cipher, src io.Reader, workers int) *Reader {
	workers = Workers(workers)
	perBatch, nb := 1, 1
	if workers > 1 {
		perBatch, nb = workers*batchPerWorker, inFlight
	}
	r := &Reader{c: c, src: src, pos: make([]Position, workers)}
	for range nb {
		b := newBatch(perBatch)
		b.buf = make([]byte, perBatch*c.sealedSegmentSize()+1)
		r.batches = append(r.batches, b)
	}
	r.p = newPool(workers, 2*perBatch, r.open)
	return r
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if n, ok, err := r.readDirect(p); ok {
		return n, err
	}
	for {
		seg, err := r.segment()
		if err != nil {
			return 0, err
		}
		if len(seg) == 0 { // the empty final segment of an empty payload
			r.advance(0)
			continue
		}
		n := copy(p, seg)
		r.advance(n)
		return n, nil
	}
}

// WriteTo writes the plaintext to w without an intermediate copy; io.Copy
// uses it. With one goroutine and a source that is an io.WriterTo, it also
// skips copying the sealed bytes in (see writeFrom).
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	if src, ok := r.src.(io.WriterTo); ok && r.p == nil {
		return r.writeFrom(src, w)
	}
	var total int64
	for {
		seg, err := r.segment()
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(seg)
		total += int64(n)
		r.advance(n)
		if err != nil {
			return total, err
		}
	}
}

// Close releases the Reader's workers. Reading after Close fails.
func (r *Reader) Close() error {
	r.fail(errors.New("stream: read after close"))
	return nil
}

// fail records err, unless one is recorded, and stops the workers once no
// batch is in flight.
func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	for r.ahead > 0 {
		b := r.batches[r.head]
		if b.pending {
			b.wait(r.p)
			b.pending = false
		}
		r.head = (r.head + 1) % len(r.batches)
		r.ahead--
	}
	r.p.stop()
	r.p = nil
	r.cur, r.off = 0, 0
}

// segment returns the unread part of the current segment, reading and
// opening batches as needed, or io.EOF at the authenticated end.
func (r *Reader) segment() ([]byte, error) {
	for {
		if r.err != nil && r.ahead == 0 {
			return nil, r.err
		}
		r.readAhead()
		if r.ahead == 0 {
			if r.err != nil {
				return nil, r.err
			}
			r.fail(io.EOF)
			return nil, io.EOF
		}
		b := r.batches[r.head]
		if !r.served {
			b.wait(r.p)
			b.pending = false
			r.served = true
			for i := range b.segs {
				if b.failed[i] {
					// Serve what authenticated before the bad segment.
					b.segs, b.final = i, false
					r.failAfterHead(ErrCorrupt)
					break
				}
			}
		}
		if r.cur < b.segs {
			return r.plain(b, r.cur)[r.off:], nil
		}
		// The head batch is done: release it.
		r.head = (r.head + 1) % len(r.batches)
		r.ahead--
		r.cur, r.off, r.served = 0, 0, false
		if r.err != nil {
			r.fail(r.err)
		}
	}
}

// failAfterHead records err to be returned once the head batch is served,
// and stops reading ahead.
func (r *Reader) failAfterHead(err error) {
	if r.err == nil {
		r.err = err
	}
	r.eof = true
}

// advance consumes n bytes of the current segment.
func (r *Reader) advance(n int) {
	b := r.batches[r.head]
	r.off += n
	if r.off == len(r.plain(b, r.cur)) {
		r.cur, r.off = r.cur+1, 0
	}
}

// plain returns the plaintext of opened segment i of b.
func (r *Reader) plain(b *batch, i int) []byte {
	full := r.c.sealedSegmentSize()
	n := r.c.segSize
	if i == b.segs-1 && b.final {
		n = b.lastN - r.c.Overhead()
	}
	return b.buf[i*full : i*full+n]
}

// readAhead reads and submits batches until every buffer is in flight or
// the payload has been read to its end.
func (r *Reader) readAhead() {
	for r.ahead < len(r.batches) && !r.eof && r.err == nil {
		b := r.batches[(r.head+r.ahead)%len(r.batches)]
		if !r.fill(b) {
			return
		}
		r.p.submit(b, r.open)
		r.ahead++
	}
}

// fill reads the next batch of sealed segments into b and numbers them. It
// reports false, with r.err set, if the payload fails or ends where no
// valid payload can.
func (r *Reader) fill(b *batch) bool {
	full := r.c.sealedSegmentSize()
	body := len(b.buf) - 1
	have := 0
	if r.hasCarry {
		b.buf[0], have = r.carry, 1
	}
	n, err := io.ReadFull(r.src, b.buf[have:])
	have += n
	switch {
	case err == nil:
		// More follows this batch: none of its segments is last.
		r.carry, r.hasCarry = b.buf[body], true
		b.segs, b.final, b.lastN = body/full, false, full
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		r.eof = true
		if !r.finalBatch(b, have) {
			r.err = ErrCorrupt
			return false
		}
	default:
		r.err = err
		return false
	}
	if r.c.checkIndex(r.next+uint64(b.segs)-1) != nil {
		r.err = ErrCorrupt // more segments than the suite allows
		return false
	}
	b.first = r.next
	r.next += uint64(b.segs)
	return true
}

// readDirect opens the next segment straight into p, instead of in place
// and then copying it out, when one goroutine reads, nothing is buffered
// and p holds a whole segment: the mirror of Writer.Write sealing straight
// from a large p. It reports false, having done nothing, when it does not
// apply.
func (r *Reader) readDirect(p []byte) (int, bool, error) {
	if r.p != nil || r.err != nil || r.eof || len(p) < r.c.segSize {
		return 0, false, nil
	}
	b := r.batches[r.head]
	if r.ahead > 0 {
		if !r.served || r.cur < b.segs {
			return 0, false, nil // plaintext waiting to be served
		}
		// The head batch is served: release it, as segment does.
		r.ahead--
		r.cur, r.off, r.served = 0, 0, false
	}
	if !r.fill(b) {
		return 0, true, r.err
	}
	sealed := b.buf[:b.lastN] // one goroutine: one segment per batch
	out, err := r.c.Open(p[:0], sealed, b.first, b.final, &r.pos[0])
	if err != nil {
		clear(p[:min(len(p), len(sealed))])
		r.err = ErrCorrupt
		return 0, true, r.err
	}
	if len(out) == 0 {
		return 0, false, nil // the empty final segment: Read goes on to io.EOF
	}
	return len(out), true, nil
}

// finalBatch sizes the batch holding the payload's last have bytes. It
// reports false if no valid payload ends this way: truncated, or an empty
// final segment after data (only an empty payload ends in one).
func (r *Reader) finalBatch(b *batch, have int) bool {
	full, ov := r.c.sealedSegmentSize(), r.c.Overhead()
	if have == 0 {
		return false
	}
	segs := (have + full - 1) / full
	lastN := have - (segs-1)*full
	if lastN < ov || (lastN == ov && (segs > 1 || r.next > 0)) {
		return false
	}
	b.segs, b.final, b.lastN = segs, true, lastN
	return true
}

// open authenticates segment j.i of its batch in place.
func (r *Reader) open(worker int, j job) {
	b, i := j.b, j.i
	full := r.c.sealedSegmentSize()
	end := (i + 1) * full
	last := i == b.segs-1
	if last {
		end = i*full + b.lastN
	}
	sealed := b.buf[i*full : end]
	_, err := r.c.Open(sealed[:0], sealed, b.first+uint64(i), last && b.final, &r.pos[worker])
	b.failed[i] = err != nil
}
