package sharehttp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sealkit/sealkit/share"
)

// Framed bodies (the upload request, the link access response) are
// uint32be(len(record)) || record || payload, so the JSON record is read,
// capped, before the payload streams.

// appendFrame appends the frame head of record: its length and its JSON.
func appendFrame(dst []byte, record any) ([]byte, error) {
	b, err := json.Marshal(record)
	if err != nil {
		return nil, err
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...), nil
}

// readFrame reads a frame head's record of at most max bytes from r,
// leaving r at the payload.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, fmt.Errorf("%w: short frame", share.ErrInvalid)
	}
	l := binary.BigEndian.Uint32(n[:])
	if int64(l) > int64(max) {
		return nil, fmt.Errorf("%w: framed record over %d bytes", share.ErrTooLarge, max)
	}
	// Grow with the bytes that arrive rather than trusting the length
	// prefix: a sender that declares 8 MiB and sends nothing costs little.
	b, err := io.ReadAll(io.LimitReader(r, int64(l)))
	if err != nil || len(b) != int(l) {
		return nil, fmt.Errorf("%w: short frame", share.ErrInvalid)
	}
	return b, nil
}

// EncodeUploadFrame returns the head of an upload body (POST /v1/items):
// the length and JSON of up. The blob's ciphertext follows it.
func EncodeUploadFrame(up *share.Upload) ([]byte, error) {
	return appendFrame(nil, up)
}

// UploadFrame is the part of an upload body before the payload: the
// decoded upload and the JSON record it came from.
type UploadFrame struct {
	Upload *share.Upload
	record []byte
}

// ReadUploadFrame reads and decodes the head of an upload body from r,
// leaving r at the payload. The record is capped at
// [share.MaxUploadRecord] ([share.ErrTooLarge]); a short or invalid one is
// [share.ErrInvalid]. The [Handler] reads uploads with it; a server that
// must see an upload first (to charge a quota) reads it too and gives the
// Handler the body [UploadFrame.Body] rebuilds.
func ReadUploadFrame(r io.Reader) (*UploadFrame, error) {
	b, err := readFrame(r, share.MaxUploadRecord)
	if err != nil {
		return nil, err
	}
	up, err := share.DecodeUpload(b)
	if err != nil {
		return nil, err
	}
	return &UploadFrame{Upload: up, record: b}, nil
}

// RecordLen returns the length of the JSON record: the item record with
// its header (base64) and the wrapped keys, close to what the stores will
// hold for them.
func (f *UploadFrame) RecordLen() int64 { return int64(len(f.record)) }

// Len returns the number of body bytes before the payload.
func (f *UploadFrame) Len() int64 { return 4 + int64(len(f.record)) }

// Body returns the whole upload body again: the head read, then payload.
func (f *UploadFrame) Body(payload io.Reader) io.Reader {
	n := binary.BigEndian.AppendUint32(nil, uint32(len(f.record)))
	return io.MultiReader(bytes.NewReader(n), bytes.NewReader(f.record), payload)
}
