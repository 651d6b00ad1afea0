package keystore

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// Every KDF label of the derivation chain (SPEC.md §2). Each purpose has its
// own, so no key is ever used for two things.
const (
	// labelAuth derives the auth key: what a server may verify at login.
	labelAuth = "sealkit/keystore/v1/auth"
	// labelUnlock derives the key that AES-KW-unwraps the master KEK.
	labelUnlock = "sealkit/keystore/v1/unlock"
	// labelRecovery derives, from the recovery key, the second wrapping key
	// of the master KEK.
	labelRecovery = "sealkit/keystore/v1/recovery"
	// labelPrivateKey derives, from the master KEK, the AES-256-GCM key that
	// seals private keys.
	labelPrivateKey = "sealkit/keystore/v1/private-key"
	// labelDEK derives, from the master KEK, the AES-256-GCM key that seals
	// DEKs.
	labelDEK = "sealkit/keystore/v1/dek"
	// labelEnvelopeKEK derives, from the master KEK, the key Session.KEK
	// returns: an envelope KEK recipient for DEKs kept in other registries.
	labelEnvelopeKEK = "sealkit/keystore/v1/envelope-kek"
	// labelRecoveryChecksum derives the checksum of a printed recovery key.
	labelRecoveryChecksum = "sealkit/keystore/v1/recovery-checksum"
	// labelShareCheck derives the key check value carried by recovery
	// shares, so a combination of shares from different splits is refused.
	labelShareCheck = "sealkit/keystore/v1/recovery-share-check"
	// labelVerifier prefixes what the server-side verifier MACs.
	labelVerifier = "sealkit/keystore/v1/verifier"
	// labelKeyRecordAD prefixes the associated data of a sealed key record.
	labelKeyRecordAD = "sealkit/keystore/v1/key-record"
)

const (
	saltSize      = 32 // KDF salt
	stretchedSize = 32 // KDF output
	kekSize       = 32 // master KEK
	wrappedKEK    = kekSize + 8
)

// subkey is HKDF-SHA256(secret, salt = "", info = label, 32).
func subkey(secret []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, label, 32)
	if err != nil {
		panic("keystore: HKDF: " + err.Error()) // only for impossible lengths
	}
	return k
}
