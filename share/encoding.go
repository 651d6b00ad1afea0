package share

import (
	"bytes"
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
