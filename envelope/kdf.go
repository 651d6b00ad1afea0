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
// (SPEC.md §1): one HKDF-SHA256 Extract, then an Expand per label, and the
// header MAC under the derived MAC key.
//
// Outside Go's FIPS 140-3 mode it computes HMAC-SHA256 (RFC 2104) over one
// reused SHA-256 state instead of calling crypto/hkdf and crypto/hmac: those
// allocate six objects per key, and an envelope needs four HMAC keys (the
// Extract, two Expands, the header MAC), which were most of the fixed cost
// of sealing or opening a small object. Every key here is 32 bytes, so the
// HMAC key never needs hashing down. In FIPS 140-3 mode
// (fips140.Enabled) every derivation goes through crypto/hkdf and
// crypto/hmac, so that it stays inside the validated module; a test holds
// the two paths to the same output.
type keySchedule struct {
	prk  [sha256.Size]byte
	tmp  [sha256.Size]byte
	d    hash.Hash // SHA-256, reused; nil until first use
	pad  [sha256.BlockSize]byte
	msg  [64]byte // a label and its counter, or a length
	hkey [sha256.Size]byte
}

// extract starts the schedule: prk = HKDF-Extract(salt, file key).
func (s *keySchedule) extract(key *Key, salt []byte) {
	if fips140.Enabled() {
		prk, err := hkdf.Extract(sha256.New, key.k[:], salt)
		if err != nil {
			panic("envelope: HKDF failed: " + err.Error()) // only for invalid lengths
		}
		copy(s.prk[:], prk)
		clear(prk)
		return
	}
	s.macStart(salt)
	s.d.Write(key.k[:])
	s.macSum(s.prk[:0])
}

// expand sets out to HKDF-Expand(prk, label, 32).
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
	if len(label)+1 > len(s.msg) {
		panic("envelope: KDF label too long") // labels are constants
	}
	s.macStart(s.prk[:])
	n := copy(s.msg[:], label)
	s.msg[n] = 1 // the block counter: one 32-byte block
	s.d.Write(s.msg[:n+1])
	s.macSum(out[:0])
}

// headerMAC appends HMAC-SHA256(mac_key, body || uint64be(len(ad)) || ad).
func (s *keySchedule) headerMAC(out, body, ad []byte) []byte {
	s.expand(&s.tmp, labelHeaderMAC)
	defer clear(s.tmp[:])
	binary.BigEndian.PutUint64(s.msg[:8], uint64(len(ad)))
	if fips140.Enabled() {
		m := hmac.New(sha256.New, s.tmp[:])
		m.Write(body)
		m.Write(s.msg[:8])
		m.Write(ad)
		return m.Sum(out)
	}
	s.macStart(s.tmp[:])
	s.d.Write(body)
	s.d.Write(s.msg[:8])
	s.d.Write(ad)
	return s.macSum(out)
}

// macStart begins HMAC-SHA256 under a 32-byte key: the inner hash of
// key ⊕ ipad. The message follows through s.d.
func (s *keySchedule) macStart(key []byte) {
	if len(key) != len(s.hkey) {
		panic("envelope: HMAC key of the wrong size") // every key here is 32 bytes
	}
	if s.d == nil {
		s.d = sha256.New()
	}
	copy(s.hkey[:], key)
	s.padWith(0x36)
	s.d.Reset()
	s.d.Write(s.pad[:])
}

// macSum appends the HMAC begun by macStart: the outer hash of
// key ⊕ opad || inner hash.
func (s *keySchedule) macSum(out []byte) []byte {
	inner := s.d.Sum(s.msg[:0])
	s.padWith(0x5c)
	s.d.Reset()
	s.d.Write(s.pad[:])
	s.d.Write(inner)
	out = s.d.Sum(out)
	s.d.Reset()
	clear(s.hkey[:])
	clear(s.pad[:])
	clear(s.msg[:])
	return out
}

// padWith sets pad to the HMAC key ⊕ b, zero-padded to the block size.
func (s *keySchedule) padWith(b byte) {
	for i := range s.pad {
		s.pad[i] = b
	}
	subtle.XORBytes(s.pad[:len(s.hkey)], s.pad[:len(s.hkey)], s.hkey[:])
}

// destroy clears the schedule's secrets. Best effort, as Key.Destroy.
func (s *keySchedule) destroy() {
	clear(s.prk[:])
	clear(s.tmp[:])
	if s.d != nil {
		s.d.Reset()
	}
}
