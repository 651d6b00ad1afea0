package stream

import (
	"errors"
	"io"
	"sync"
)

// ReaderAt gives random access to the plaintext of a payload stored in an
// io.ReaderAt: a read decrypts only the segments it touches. The final
// segment is authenticated when the ReaderAt is made, so the plaintext size
// it reports cannot have been changed by truncating or extending the payload.
type ReaderAt struct {
	c        *Cipher
	src      io.ReaderAt
	base     int64 // offset of the payload in src
	size     int64 // plaintext size
	segments int64

	mu     sync.Mutex
	cached int64  // index of the segment in plain, or -1
	plain  []byte // plaintext of the cached segment
	sealed []byte // scratch for one sealed segment
	opened int64  // segments decrypted so far, for tests and metrics
	pos    Position
}

// NewReaderAt returns a ReaderAt over the payload stored at [base, base+n) of src.
func NewReaderAt(c *Cipher, src io.ReaderAt, base, n int64) (*ReaderAt, error) {
	size, segs, err := c.PlainSize(n)
	if err != nil {
		return nil, err
	}
	if c.checkIndex(uint64(segs-1)) != nil {
		return nil, ErrCorrupt // more segments than the suite allows
	}
	ra := &ReaderAt{
		c: c, src: src, base: base, size: size, segments: segs, cached: -1,
		plain:  make([]byte, c.segSize),
		sealed: make([]byte, c.sealedSegmentSize()),
	}
	if err := ra.load(segs - 1); err != nil {
		return nil, err
	}
	return ra, nil
}

// Size returns the plaintext size.
func (ra *ReaderAt) Size() int64 { return ra.size }

// SealedRange returns where in src (offset and length) the sealed segments
// lie that hold the plaintext bytes [off, off+n), cut at the end of the
// payload: what a ranged fetch of the source must cover for ReadAt to read
// them. A range that holds no byte (n < 1, off < 0 or off ≥ Size) has length 0.
func (ra *ReaderAt) SealedRange(off, n int64) (int64, int64) {
	if n < 1 || off < 0 || off >= ra.size {
		return ra.base, 0
	}
	end := ra.size
	if n < ra.size-off {
		end = off + n
	}
	ss, full := int64(ra.c.segSize), int64(ra.c.sealedSegmentSize())
	start := off / ss * full
	stop := min(((end-1)/ss+1)*full, ra.c.SealedSize(ra.size))
	return ra.base + start, stop - start
}

// Opened reports how many segments have been decrypted so far.
func (ra *ReaderAt) Opened() int64 {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	return ra.opened
}

// ReadAt implements io.ReaderAt. Concurrent calls are safe; they are served
// one at a time.
func (ra *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("stream: negative offset")
	}
	if off >= ra.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ss := int64(ra.c.segSize)
	n := 0
	for n < len(p) && off < ra.size {
		seg := off / ss
		if err := ra.load(seg); err != nil {
			return n, err
		}
		k := copy(p[n:], ra.plain[off-seg*ss:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// load decrypts segment i into plain unless it is there already.
func (ra *ReaderAt) load(i int64) error {
	if ra.cached == i {
		return nil
	}
	full := int64(ra.c.sealedSegmentSize())
	start := i * full
	end := min(start+full, ra.c.SealedSize(ra.size))
	buf := ra.sealed[:end-start]
	if _, err := ra.src.ReadAt(buf, ra.base+start); err != nil {
		if err == io.EOF {
			err = ErrCorrupt // the source is shorter than it said
		}
		ra.cached = -1
		return err
	}
	ra.opened++
	out, err := ra.c.Open(ra.plain[:0], buf, uint64(i), i == ra.segments-1, &ra.pos)
	if err != nil {
		ra.cached = -1
		return err
	}
	ra.plain = ra.plain[:len(out)]
	ra.cached = i
	return nil
}
