package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sealkit/sealkit/envelope"
)

// maxRangeFetch is about the most plaintext one ranged download of a
// RangeReader asks for: a longer ReadAt is served by several, so that the
// reader's buffer and each answer stay a few MiB whatever the caller asks.
const maxRangeFetch = 8 << 20

// RangeReader gives random access to the plaintext of one version of an
// item ([Client.OpenRange]): each ReadAt fetches, in one ranged download,
// only the sealed segments it touches (none if the previous fetch holds
// them, as it does for small sequential reads), and authenticates each one
// before any of its bytes is returned. It is an io.ReaderAt; wrap it in an
// io.SectionReader (0, Size) to read or seek. Calls are served one at a
// time. Reads use the context OpenRange was given.
type RangeReader struct {
	ctx context.Context
	c   *Client
	it  *Item
	ra  *envelope.ReaderAt
	seg int64 // plaintext segment size

	mu  sync.Mutex
	src rangeSource
}

// OpenRange opens item id for ranged reads of its plaintext, as [Client.Read]
// opens it for a whole one: the record, the owner's signed manifest (SPEC
// §11), User's key, the header checked against them. The manifest's
// payload hash covers whole reads only; a ranged read relies on each
// segment's authentication under the key the signed header commits to.
// It fetches the payload's final segment to authenticate the plaintext size (so a server that truncates or extends the payload is
// caught here), signing a download event for each fetch; the Service
// chains one per user, item and hour (SPEC §7). If the item gets a new
// version while the reader is open, its reads fail with ErrConflict.
func (c *Client) OpenRange(ctx context.Context, id string) (*RangeReader, error) {
	unlock := c.lockItem(id)
	it, m, err := c.item(ctx, id) // the owner's manifest checked, as Read checks it
	unlock()
	if err != nil {
		return nil, err
	}
	dek, err := c.itemKey(ctx, it, m)
	if err != nil {
		return nil, err
	}
	defer dek.Destroy()
	r := &RangeReader{ctx: ctx, c: c, it: it}
	r.src = rangeSource{r: r, header: it.Header}
	ra, err := envelope.NewReaderAt(&r.src, int64(len(it.Header))+it.Size,
		ItemAD(it.ID, it.Owner, it.Version), &envelope.OpenOptions{Key: dek})
	if err != nil {
		return nil, r.failed(err)
	}
	r.ra, r.seg = ra, int64(ra.Header().SegmentSize())
	return r, nil
}

// Size returns the plaintext size, authenticated.
func (r *RangeReader) Size() int64 { return r.ra.Size() }

// Metadata returns the item's metadata, nil if it has none.
func (r *RangeReader) Metadata() *envelope.Metadata { return r.ra.Metadata() }

// Item returns the item record the reader reads (the version it opened).
func (r *RangeReader) Item() *Item { return r.it }

// ReadAt reads len(p) plaintext bytes from off, as io.ReaderAt does: fewer
// only at the end, with io.EOF. A payload byte the server changed, moved or
// left out is ErrCorrupt; nothing unauthenticated is returned.
func (r *RangeReader) ReadAt(p []byte, off int64) (int, error) {
	size := r.ra.Size()
	if off < 0 {
		return 0, invalid("negative offset")
	}
	if off >= size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	chunk := max(1, maxRangeFetch/r.seg) * r.seg
	n := 0
	for n < len(p) && off < size {
		end := min(size, off-off%r.seg+chunk) // off < size: no overflow
		if left := int64(len(p) - n); left < end-off {
			end = off + left
		}
		so, sn := r.ra.SealedRange(off, end-off)
		if !r.src.holds(so, sn) { // small sequential reads share a fetch
			if err := r.src.fetch(so, sn); err != nil {
				return n, r.failed(err)
			}
		}
		k, err := r.ra.ReadAt(p[n:n+int(end-off)], off)
		n += k
		off += int64(k)
		if err != nil && !(err == io.EOF && off == size) {
			return n, r.failed(err)
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// failed turns a read's error into the reader's: an authentication failure
// is ErrCorrupt, or ErrConflict if the item has since got a new version (its
// new payload cannot open under the old record).
func (r *RangeReader) failed(err error) error {
	if !errors.Is(err, envelope.ErrCorrupt) && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if now, ierr := r.c.Transport.Item(r.ctx, r.it.ID); ierr == nil && now.Version != r.it.Version {
		return fmt.Errorf("%w: item %s is now at version %d, the reader opened version %d", ErrConflict, r.it.ID, now.Version, r.it.Version)
	}
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return corrupt(err)
}

// rangeSource is the envelope a RangeReader reads: the item's header, held
// in memory, then its payload, fetched by ranged downloads. fetch loads a
// span ahead of a ReadAt; what the envelope asks beyond it (the final
// segment, at open) is fetched on demand.
type rangeSource struct {
	r      *RangeReader
	header []byte
	off    int64  // source offset of buf
	buf    []byte // fetched payload bytes
}

// ReadAt implements io.ReaderAt over header || payload.
func (s *rangeSource) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(s.header)) {
		n = copy(p, s.header[off:])
		off += int64(n)
	}
	if n == len(p) {
		return n, nil
	}
	if !s.holds(off, int64(len(p)-n)) {
		if err := s.fetch(off, int64(len(p)-n)); err != nil {
			return n, err
		}
	}
	return n + copy(p[n:], s.buf[off-s.off:]), nil
}

// holds reports whether the buffer holds the n source bytes from off.
func (s *rangeSource) holds(off, n int64) bool {
	return off >= s.off && off-s.off <= int64(len(s.buf))-n
}

// fetch loads n source bytes from off (past the header) with one ranged
// download, refusing an answer for any other span or another payload size.
func (s *rangeSource) fetch(off, n int64) error {
	hl := int64(len(s.header))
	if n < 1 || off < hl {
		return corrupt(errors.New("range outside the payload"))
	}
	c, it := s.r.c, s.r.it
	rc, sp, err := c.Transport.DownloadRange(s.r.ctx, it.ID, off-hl, n, c.event(ActionDownload, it.ID, ""))
	if err != nil {
		return err
	}
	defer rc.Close()
	if sp != (Span{Off: off - hl, N: n, Size: it.Size}) {
		return corrupt(fmt.Errorf("asked for %d payload bytes at %d of %d, the server answered %d at %d of %d",
			n, off-hl, it.Size, sp.N, sp.Off, sp.Size))
	}
	if int64(cap(s.buf)) < n {
		s.buf = make([]byte, n)
	}
	s.buf = s.buf[:n]
	if _, err := io.ReadFull(rc, s.buf); err != nil {
		s.buf = s.buf[:0]
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return corrupt(fmt.Errorf("the server sent fewer than the %d bytes of its range", n))
		}
		return err
	}
	s.off = off
	return nil
}
