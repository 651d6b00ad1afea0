package storageauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
)

// HKDF labels and salt (SPEC.md §2). Each purpose has its own label; a label
// never contains 0x00, so label || 0x00 || rest is unambiguous.
const (
	// hkdfSalt is the HKDF-Extract salt of every derivation in this package.
	hkdfSalt = "sealkit/storageauth/v1"
	// labelKEK derives the key that encrypts the keyring.
	labelKEK = "key encryption key"
	// labelSigningKey derives the storage-authorisation secret key; the
	// scheme name follows it so that one IKM never yields related keys for
	// two schemes.
	labelSigningKey = "storage authorisation secret key"
)

// Input limits for Derive.
const (
	// MinIKMLength is the shortest accepted IKM: 256 bits.
	MinIKMLength = 32
	// MaxIKMLength bounds the IKM so hostile callers cannot cause large work.
	MaxIKMLength = 1024
	// MaxInfoLength bounds the caller's context string.
	MaxInfoLength = 1024
)

// kekSize is the AES-256 key length.
const kekSize = 32

// Keys is what one IKM yields: the key that encrypts the keyring (KEK) and
// the storage-authorisation keypair whose public key is the slot ID. It does
// not print its secrets; its String is the slot ID.
type Keys struct {
	id   ID
	aead cipher.AEAD // AES-256-GCM under the KEK, random 12-byte nonce prepended
	sk   signer
}

// Derive computes the KEK and the storage-authorisation keypair of scheme
// from ikm and an application context info (for example an application or
// account name; it may be empty), as SPEC.md §2 specifies:
//
//	prk  = HKDF-Extract(salt = "sealkit/storageauth/v1", ikm)
//	kek  = HKDF-Expand(prk, "key encryption key" || 0x00 || info, 32)
//	sask = HKDF-Expand(prk, "storage authorisation secret key" || 0x00 || scheme || 0x00 || info, L)
//
// ikm should come from IKMFromPRF, IKMFromWalletSignature or IKMFromSeed,
// which separate the sources; it must be 32 to 1024 bytes. The same inputs
// always give the same keys, on any device.
func Derive(scheme Scheme, ikm, info []byte) (*Keys, error) {
	if len(ikm) < MinIKMLength || len(ikm) > MaxIKMLength {
		return nil, malformed("IKM must be 32 to 1024 bytes")
	}
	if len(info) > MaxInfoLength {
		return nil, malformed("info longer than 1024 bytes")
	}
	n := signingKeyOKMSize(scheme)
	if n == 0 {
		return nil, malformed("unknown scheme")
	}
	prk, err := hkdf.Extract(sha256.New, ikm, []byte(hkdfSalt))
	if err != nil {
		return nil, err
	}
	defer clear(prk)
	kek, err := hkdf.Expand(sha256.New, prk, labelKEK+"\x00"+string(info), kekSize)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	okm, err := hkdf.Expand(sha256.New, prk, labelSigningKey+"\x00"+scheme.String()+"\x00"+string(info), n)
	if err != nil {
		return nil, err
	}
	defer clear(okm)
	sk, pub, err := newSigner(scheme, okm)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &Keys{id: newID(scheme, pub), aead: aead, sk: sk}, nil
}

// ID returns the slot ID: the scheme and the public key.
func (k *Keys) ID() ID { return k.id }

// String returns the slot ID; it never prints a secret.
func (k *Keys) String() string { return "storageauth.Keys{" + k.id.String() + "}" }

// GoString is String, so %#v does not print secrets either.
func (k *Keys) GoString() string { return k.String() }
