package identity

import (
	"io"
	"net/http"
)

// Chunk sizes of a buffered request body: the first chunk is small (up
// to maxFirstChunk when the declared length asks for it, so a small body
// takes one chunk and its EOF no other), each next one as large as
// everything read so far, up to maxBodyChunk.
const (
	minBodyChunk  = 512
	maxFirstChunk = 4 << 10
	maxBodyChunk  = 64 << 10
)

// bufferedBody is a request body read into memory in chunks allocated as
// its bytes arrive, so memory follows what the client actually sent: a
// Content-Length never sizes a buffer, and nothing is copied to grow one.
// Reading it back drops each chunk once consumed.
type bufferedBody struct {
	chunks [][]byte
	n      int64
	first  [4][]byte // chunks' first backing array: small bodies need no other
}

var _ io.WriterTo = (*bufferedBody)(nil)

// readBufferedBody reads body to EOF, at most limit bytes (more is
// ErrBodyTooLarge), passing every byte to digest as it arrives, and closes
// body. declared is the Content-Length (-1 if unknown): it sizes the first
// chunk only, and never above maxFirstChunk.
func readBufferedBody(body io.ReadCloser, limit, declared int64, digest io.Writer) (*bufferedBody, error) {
	b := &bufferedBody{}
	b.chunks = b.first[:0]
	if body == nil || body == http.NoBody {
		return b, nil
	}
	defer body.Close()
	var c []byte // the chunk being filled
	for {
		if len(c) == cap(c) {
			// Never allocate past limit+1 in all: one byte over the cap
			// is enough to tell the body is too large. (b.n ≤ limit here;
			// limit−b.n+1 is taken only when small, so it cannot overflow.)
			size := min(max(minBodyChunk, b.n), maxBodyChunk)
			if b.n == 0 && declared >= minBodyChunk {
				size = min(declared, maxFirstChunk-1) + 1 // declared+1 could overflow
			}
			if left := limit - b.n; left < size {
				size = left + 1
			}
			c = make([]byte, 0, size)
			b.chunks = append(b.chunks, c)
		}
		n, err := body.Read(c[len(c):cap(c)])
		if n > 0 {
			digest.Write(c[len(c) : len(c)+n])
			c = c[:len(c)+n]
			b.chunks[len(b.chunks)-1] = c
			b.n += int64(n)
			if b.n > limit {
				return nil, reject(ReasonBodyTooLarge, "body exceeds the cap")
			}
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, readError(err)
		}
	}
}

// Read implements io.Reader.
func (b *bufferedBody) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(b.chunks) > 0 {
		k := copy(p[n:], b.chunks[0])
		n += k
		b.consume(k)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo implements io.WriterTo, so io.Copy hands chunks over without an
// intermediate buffer.
func (b *bufferedBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(b.chunks) > 0 {
		c := b.chunks[0]
		k, err := w.Write(c)
		total += int64(k)
		b.consume(k)
		if err == nil && k < len(c) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// consume drops k bytes from the front, and the first chunk when empty.
func (b *bufferedBody) consume(k int) {
	b.chunks[0] = b.chunks[0][k:]
	if len(b.chunks[0]) == 0 {
		b.chunks[0] = nil
		b.chunks = b.chunks[1:]
	}
}

// Close implements io.Closer.
func (b *bufferedBody) Close() error { return nil }
