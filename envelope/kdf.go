package envelope

import (
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
)

// keySchedule derives an envelope's keys from its file key and salt
// (SPEC.md §1): one HKDF-SHA256 Extract (RFC 5869), then an Expand of one
// 32-byte block per label, and the header MAC under the derived MAC key.
//
// Outside Go's FIPS 140-3 mode it computes HMAC-SHA256 with [sha256HMAC],
// over one reused SHA-256 state, instead of calling crypto/hkdf and
// crypto/hmac: those allocate five or six objects per key, and an envelope
// needs three HMAC keys (the salt, the PRK, the header MAC key). Through
// them the schedule alone made 19 allocations, measured, more than the
// whole of the rest of a small envelope. In FIPS 140-3 mode
// (fips140.Enabled) every derivation goes through crypto/hkdf and
// crypto/hmac, so that it stays inside the validated module. Tests hold
// both paths to crypto/hmac, crypto/hkdf and the RFC 4231 and RFC 5869
// known answers.
type keySchedule struct {
	prk [sha256.Size]byte
	tmp [sha256.Size]byte
	mac sha256HMAC
	msg [8]byte // the associated data's length
}

// extract starts the schedule: prk = HKDF-Extract(salt, ikm).
func (s *keySchedule) extract(ikm, salt []byte) {
	if fips140.Enabled() {
		prk, err := hkdf.Extract(sha256.New, ikm, salt)
		if err != nil {
			panic("envelope: HKDF failed: " + err.Error()) // only for invalid lengths
		}
		copy(s.prk[:], prk)
		clear(prk)
		return
	}
	s.mac.start(salt)
	s.mac.d.Write(ikm)
	s.mac.finish(s.prk[:0])
}

// hkdfCounterOne is the block counter of HKDF-Expand's first and only block.
var hkdfCounterOne = []byte{1}

// expand sets out to HKDF-Expand(prk, label, 32): T(1) of RFC 5869 §2.3.
func (s *keySchedule) expand(out *[32]byte, label string) {
	if fips140.Enabled() {
		k, err := hkdf.Expand(sha256.New, s.prk[:], label, len(out))
		if err != nil {
			panic("envelope: HKDF failed: " + err.Error())
		}
		copy(out[:], k)
		clear(k)
		return
	}
	s.mac.start(s.prk[:])
	s.mac.writeString(label)
	s.mac.d.Write(hkdfCounterOne)
	s.mac.finish(out[:0])
}

// headerMAC appends HMAC-SHA256(mac_key, body || uint64be(len(ad)) || ad).
func (s *keySchedule) headerMAC(out, body, ad []byte) []byte {
	s.expand(&s.tmp, labelHeaderMAC)
	defer clear(s.tmp[:])
	binary.BigEndian.PutUint64(s.msg[:], uint64(len(ad)))
	if fips140.Enabled() {
		m := hmac.New(sha256.New, s.tmp[:])
		m.Write(body)
		m.Write(s.msg[:])
		m.Write(ad)
		return m.Sum(out)
	}
	s.mac.start(s.tmp[:])
	s.mac.d.Write(body)
	s.mac.d.Write(s.msg[:])
	s.mac.d.Write(ad)
	return s.mac.finish(out)
}

// destroy clears the schedule's secrets. Best effort, as Key.Destroy.
func (s *keySchedule) destroy() {
	clear(s.prk[:])
	clear(s.tmp[:])
	s.mac.destroy()
}

// sha256HMAC is HMAC-SHA256 exactly as RFC 2104 defines it, composed from
// crypto/sha256 alone and reusable for one key after another without
// allocating: H((K ⊕ opad) || H((K ⊕ ipad) || message)), where K is the key
// zero-padded to the block size, or its hash if it is longer than a block.
// It is used outside FIPS 140-3 mode only; see [keySchedule].
type sha256HMAC struct {
	d     hash.Hash // SHA-256, reused; nil until first use
	key   [sha256.BlockSize]byte
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
	chunk [sha256.BlockSize]byte // for writeString
}

// start begins a MAC under key; the message follows through m.d.
func (m *sha256HMAC) start(key []byte) {
	if m.d == nil {
		m.d = sha256.New()
	}
	clear(m.key[:])
	if len(key) > sha256.BlockSize {
		m.d.Reset()
		m.d.Write(key)
		m.d.Sum(m.key[:0])
	} else {
		copy(m.key[:], key)
	}
	m.padWith(0x36)
	m.d.Reset()
	m.d.Write(m.pad[:])
}

// writeString writes label to the message through a buffer in m: a
// string converted to []byte for a hash.Hash would escape and allocate.
func (m *sha256HMAC) writeString(label string) {
	for len(label) > 0 {
		n := copy(m.chunk[:], label)
		m.d.Write(m.chunk[:n])
		label = label[n:]
	}
}

// finish appends the MAC begun by start to out and clears the key.
func (m *sha256HMAC) finish(out []byte) []byte {
	inner := m.d.Sum(m.inner[:0])
	m.padWith(0x5c)
	m.d.Reset()
	m.d.Write(m.pad[:])
	m.d.Write(inner)
	out = m.d.Sum(out)
	m.destroy()
	return out
}

// padWith sets pad to the padded key ⊕ b.
func (m *sha256HMAC) padWith(b byte) {
	for i := range m.pad {
		m.pad[i] = b
	}
	subtle.XORBytes(m.pad[:], m.pad[:], m.key[:])
}

// destroy clears the key and the hash state that depends on it.
func (m *sha256HMAC) destroy() {
	clear(m.key[:])
	clear(m.pad[:])
	clear(m.inner[:])
	clear(m.chunk[:])
	if m.d != nil {
		m.d.Reset()
	}
}
