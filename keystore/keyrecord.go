package keystore

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Kind is the type of key a record holds; its string is stored in the record.
type Kind string

// Key kinds. RSA keys are for RSA-OAEP (envelope recipients) and signatures;
// X25519 and MLKEM768X25519 are envelope recipients; Ed25519 and ECDSAP256
// sign; DEK is a 32-byte symmetric data key.
const (
	RSA2048        Kind = "rsa-2048"
	RSA3072        Kind = "rsa-3072"
	RSA4096        Kind = "rsa-4096"
	X25519         Kind = "x25519"
	MLKEM768X25519 Kind = "mlkem768x25519"
	Ed25519        Kind = "ed25519"
	ECDSAP256      Kind = "ecdsa-p256"
	DEK            Kind = "dek"
)

// Kinds lists every kind, in the order of SPEC.md §4.
func Kinds() []Kind {
	return []Kind{RSA2048, RSA3072, RSA4096, X25519, MLKEM768X25519, Ed25519, ECDSAP256, DEK}
}

// publicSize is the exact public-part length of a kind, 0 when it varies
// (DER), and -1 for DEK, which has none.
func (k Kind) publicSize() (int, bool) {
	switch k {
	case RSA2048, RSA3072, RSA4096, ECDSAP256:
		return 0, true
	case X25519, Ed25519:
		return 32, true
	case MLKEM768X25519:
		return 1216, true
	case DEK:
		return -1, true
	}
	return 0, false
}

var keyRecordMagic = []byte("SKKR")

const (
	keyRecordVersion = 1
	// MaxNameLen caps a key name: 1 to 128 bytes of [A-Za-z0-9._-].
	MaxNameLen = 128
	// MaxPublicLen and MaxSealedLen cap a key record's fields (an RSA-4096
	// SPKI is 550 bytes, its sealed PKCS#8 about 2,400).
	MaxPublicLen = 2048    // a public key (SPKI)
	MaxSealedLen = 4096    // a sealed private key
	gcmOverhead  = 12 + 16 // random nonce || … || tag
)

// KeyRecord is one version of a named key of one owner: its public part in
// the clear (SPKI DER for RSA and ECDSA, raw bytes for X25519, Ed25519 and
// MLKEM768X25519, none for DEKs) and its private part sealed with
// AES-256-GCM under a key derived from the owner's master KEK. The
// associated data names owner, name, kind, version and the public part, so
// a record moved or altered in any of them does not open.
type KeyRecord struct {
	owner   string
	name    string
	kind    Kind
	version uint32
	public  []byte
	sealed  []byte
}

// Owner returns the owner the record is sealed for.
func (r *KeyRecord) Owner() string { return r.owner }

// Name returns the key's name, shared by all its versions.
func (r *KeyRecord) Name() string { return r.name }

// Kind returns the key's kind.
func (r *KeyRecord) Kind() Kind { return r.kind }

// Version returns the key version, from 1.
func (r *KeyRecord) Version() uint32 { return r.version }

// Public returns a copy of the public part (nil for a DEK).
func (r *KeyRecord) Public() []byte { return bytes.Clone(r.public) }

// Bytes returns the key record (SPEC.md §4).
func (r *KeyRecord) Bytes() []byte {
	b := append([]byte(nil), keyRecordMagic...)
	b = append(b, keyRecordVersion)
	b = r.appendNaming(b)
	b = appendBytes16(b, r.public)
	return appendBytes16(b, r.sealed)
}

// appendNaming appends owner, name, kind and version as both the record and
// the associated data encode them.
func (r *KeyRecord) appendNaming(b []byte) []byte {
	b = appendString8(b, r.owner)
	b = appendString8(b, r.name)
	b = appendString8(b, string(r.kind))
	return binary.BigEndian.AppendUint32(b, r.version)
}

// ad is the associated data of the sealed part:
// label || owner || name || kind || version || public, length-prefixed.
func (r *KeyRecord) ad() []byte {
	b := make([]byte, 0, len(labelKeyRecordAD)+len(r.owner)+len(r.name)+len(r.kind)+len(r.public)+12)
	b = append(b, labelKeyRecordAD...)
	b = r.appendNaming(b)
	return appendBytes16(b, r.public)
}

// ParseKeyRecord parses a key record. It checks structure and limits, not
// authenticity: Session.OpenKey does that.
func ParseKeyRecord(b []byte) (*KeyRecord, error) {
	rd := newReader(b)
	if !bytes.Equal(rd.bytes(len(keyRecordMagic)), keyRecordMagic) {
		return nil, fmt.Errorf("%w: not a key record", ErrCorrupt)
	}
	if v := rd.u8(); v != keyRecordVersion {
		return nil, fmt.Errorf("%w: key record version %d", ErrCorrupt, v)
	}
	r := &KeyRecord{}
	r.owner = string(rd.bytes(int(rd.u8())))
	r.name = string(rd.bytes(int(rd.u8())))
	r.kind = Kind(rd.bytes(int(rd.u8())))
	r.version = rd.u32()
	r.public = bytes.Clone(rd.bytes(int(rd.u16())))
	r.sealed = bytes.Clone(rd.bytes(int(rd.u16())))
	if !rd.done() {
		return nil, fmt.Errorf("%w: truncated key record or trailing data", ErrCorrupt)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return r, nil
}

// check validates the fields against SPEC.md §4's limits.
func (r *KeyRecord) check() error {
	if err := checkOwner(r.owner); err != nil {
		return err
	}
	if err := checkName(r.name); err != nil {
		return err
	}
	if r.version == 0 {
		return fmt.Errorf("keystore: key version 0")
	}
	size, ok := r.kind.publicSize()
	switch {
	case !ok:
		return fmt.Errorf("keystore: unknown key kind")
	case size < 0 && len(r.public) != 0,
		size > 0 && len(r.public) != size,
		size == 0 && (len(r.public) == 0 || len(r.public) > MaxPublicLen):
		return fmt.Errorf("keystore: public part of %d bytes for kind %s", len(r.public), r.kind)
	case len(r.sealed) <= gcmOverhead || len(r.sealed) > MaxSealedLen:
		return fmt.Errorf("keystore: sealed part of %d bytes", len(r.sealed))
	}
	return nil
}

func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("keystore: key name must be 1 to %d bytes", MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("keystore: key name may only hold [A-Za-z0-9._-]")
		}
	}
	return nil
}
