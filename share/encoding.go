package share

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// MaxUploadRecord caps the JSON part of an upload (item record and keys).
const MaxUploadRecord = 8 << 20

// validator is a record with a Validate method.
type validator[T any] interface {
	*T
	Validate() error
}

// decode parses one JSON record of at most max bytes: unknown fields,
// trailing data and invalid records are refused with ErrInvalid.
func decode[T any, P validator[T]](b []byte, max int) (*T, error) {
	if len(b) > max {
		return nil, fmt.Errorf("%w: record over %d bytes", ErrTooLarge, max)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	v := new(T)
	if err := d.Decode(v); err != nil {
		return nil, invalid("json: %v", err)
	}
	if d.More() {
		return nil, invalid("trailing data after record")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, invalid("trailing data after record")
	}
	if err := P(v).Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// Record decoders: each caps the size, refuses unknown fields and trailing
// bytes, and validates, returning an error wrapping ErrInvalid or
// ErrTooLarge. SPEC.md describes the JSON of each.
func DecodeItem(b []byte) (*Item, error)             { return decode[Item](b, MaxRecordSize) }
func DecodeWrappedKey(b []byte) (*WrappedKey, error) { return decode[WrappedKey](b, MaxSmallRecord) }
func DecodeUser(b []byte) (*User, error)             { return decode[User](b, MaxSmallRecord) }
func DecodeShare(b []byte) (*Share, error)           { return decode[Share](b, MaxSmallRecord) }
func DecodeInvitation(b []byte) (*Invitation, error) { return decode[Invitation](b, MaxSmallRecord) }
func DecodeConnection(b []byte) (*Connection, error) { return decode[Connection](b, MaxSmallRecord) }
func DecodeSpace(b []byte) (*Space, error)           { return decode[Space](b, MaxSmallRecord) }
func DecodeLink(b []byte) (*Link, error)             { return decode[Link](b, MaxSmallRecord) }
func DecodeLinkParams(b []byte) (*LinkParams, error) { return decode[LinkParams](b, MaxSmallRecord) }
func DecodeLinkGrant(b []byte) (*LinkGrant, error)   { return decode[LinkGrant](b, MaxRecordSize) }
func DecodeEvent(b []byte) (*Event, error)           { return decode[Event](b, MaxSmallRecord) }
func DecodeAuditEntry(b []byte) (*AuditEntry, error) { return decode[AuditEntry](b, MaxSmallRecord) }
func DecodeUpload(b []byte) (*Upload, error)         { return decode[Upload](b, MaxUploadRecord) }

// DecodeAuditChain decodes a JSON array of audit entries (at most
// MaxAuditEntries).
func DecodeAuditChain(b []byte) ([]*AuditEntry, error) {
	return decodeList[AuditEntry](b, MaxAuditEntries)
}

// MaxAuditEntries caps a decoded audit chain.
const MaxAuditEntries = 100_000

func decodeList[T any, P validator[T]](b []byte, maxN int) ([]*T, error) {
	if len(b) > maxN*1024 {
		return nil, ErrTooLarge
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, invalid("json: %v", err)
	}
	if len(raw) > maxN {
		return nil, ErrTooLarge
	}
	out := make([]*T, len(raw))
	for i, r := range raw {
		v, err := decode[T, P](r, MaxRecordSize)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Framed bodies (upload, link access) are uint32be(len(record)) || record
// || payload, so the record is read, capped, before the payload streams.

func writeFrame(w io.Writer, record any) error {
	b, err := json.Marshal(record)
	if err != nil {
		return err
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func readFrame(r io.Reader, max int) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, invalid("short frame")
	}
	l := binary.BigEndian.Uint32(n[:])
	if int64(l) > int64(max) {
		return nil, fmt.Errorf("%w: framed record", ErrTooLarge)
	}
	// Grow with the bytes that arrive rather than trusting the length
	// prefix: a sender that declares 8 MiB and sends nothing costs little.
	b, err := io.ReadAll(io.LimitReader(r, int64(l)))
	if err != nil || len(b) != int(l) {
		return nil, invalid("short frame")
	}
	return b, nil
}

// UploadFrame is the part of a framed upload body (POST /v1/items) before
// the payload: the decoded upload and the JSON record it came from. A
// server that must see an upload before Handler stores it (to charge a
// quota, say) reads it with ReadUploadFrame and passes Handler the body
// that Body rebuilds.
type UploadFrame struct {
	Upload *Upload
	record []byte
}

// ReadUploadFrame reads and decodes the record part of a framed upload body
// from r, leaving r at the payload. The record is capped at MaxUploadRecord
// (ErrTooLarge); a short or invalid one is ErrInvalid.
func ReadUploadFrame(r io.Reader) (*UploadFrame, error) {
	b, err := readFrame(r, MaxUploadRecord)
	if err != nil {
		return nil, err
	}
	up, err := DecodeUpload(b)
	if err != nil {
		return nil, err
	}
	return &UploadFrame{Upload: up, record: b}, nil
}

// RecordLen returns the length of the JSON record: the item record with its
// header (base64) and the wrapped keys, close to what the stores will hold
// for them.
func (f *UploadFrame) RecordLen() int64 { return int64(len(f.record)) }

// Len returns the number of body bytes before the payload.
func (f *UploadFrame) Len() int64 { return 4 + int64(len(f.record)) }

// Body returns the whole framed body again: the frame read, then payload.
func (f *UploadFrame) Body(payload io.Reader) io.Reader {
	n := binary.BigEndian.AppendUint32(nil, uint32(len(f.record)))
	return io.MultiReader(bytes.NewReader(n), bytes.NewReader(f.record), payload)
}
