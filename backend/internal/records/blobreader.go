package records

import (
	"context"
	"fmt"
	"io"

	"github.com/sealkit/sealkit/backend/driver"
)

// OpenBlob returns a reader over bytes [off, off+n) of blob id, fetching
// one chunk at a time; n < 0 means to the end. It checks the range against
// the stored size before reading anything, and reads the generation it
// found then: a put or delete of id while it reads makes it fail, never
// return bytes of two blobs. It checks ctx before each chunk it fetches, so
// a reader whose context is done stops within a chunk on every backend.
func OpenBlob(ctx context.Context, b driver.Blobs, id string, off, n int64) (io.ReadCloser, error) {
	st, err := b.StatBlob(ctx, id)
	if err != nil {
		return nil, err
	}
	size := st.Size
	if off < 0 || off > size {
		return nil, fmt.Errorf("records: blob range starts at %d, outside a %d-byte blob", off, size)
	}
	end := size
	if n >= 0 {
		if n > size-off {
			return nil, fmt.Errorf("records: blob range of %d bytes at %d exceeds a %d-byte blob", n, off, size)
		}
		end = off + n
	}
	return &blobReader{ctx: ctx, b: b, id: id, gen: st.Gen, off: off, end: end, seq: -1}, nil
}

type blobReader struct {
	ctx      context.Context
	b        driver.Blobs
	id, gen  string
	off, end int64
	seq      int64  // the chunk held in buf
	buf      []byte // chunk seq
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	seq := r.off / driver.ChunkSize
	if seq != r.seq {
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		c, err := r.b.ReadBlobChunk(r.ctx, r.id, r.gen, seq)
		if err != nil {
			return 0, err
		}
		r.buf, r.seq = c, seq
	}
	in := r.off - seq*driver.ChunkSize
	if in >= int64(len(r.buf)) {
		return 0, fmt.Errorf("records: blob %q chunk %d is shorter than its recorded size", r.id, seq)
	}
	k := copy(p, r.buf[in:min(int64(len(r.buf)), in+(r.end-r.off))])
	r.off += int64(k)
	return k, nil
}

func (r *blobReader) Close() error {
	r.buf = nil
	return nil
}
