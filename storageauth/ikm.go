package storageauth

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// IKM source labels (SPEC.md §3): the same 32 bytes used as a PRF output and
// as a seed give unrelated keys.
const (
	labelPRF    = "webauthn prf"
	labelWallet = "eip-191 wallet signature"
	labelSeed   = "raw seed"
)

// WalletMessage is the fixed text a wallet signs with EIP-191 personal_sign
// (the "\x19Ethereum Signed Message:\n" prefix, then Keccak-256) to produce
// IKM for IKMFromWalletSignature. It is part of the format: changing one
// byte changes every key derived from it.
const WalletMessage = "sealkit storage authorisation v1\n\n" +
	"Signing this message unlocks your encrypted keyring. " +
	"The signature is a secret key: only sign it in applications you trust."

// ikmSize is the length of every IKM the helpers return.
const ikmSize = 32

// PRFOutputSize is the length of a WebAuthn PRF extension output (the
// hmac-secret HMAC-SHA-256 result).
const PRFOutputSize = 32

// SeedSize is the length of a raw seed for IKMFromSeed.
const SeedSize = 32

// WalletSignatureSize is an Ethereum signature: r || s || v.
const WalletSignatureSize = 65

func sourceIKM(input []byte, label string) ([]byte, error) {
	return hkdf.Key(sha256.New, input, []byte(hkdfSalt), label, ikmSize)
}

// IKMFromPRF turns the 32-byte output of the WebAuthn PRF extension
// (navigator.credentials.get with extensions.prf.eval.first set to an
// application-chosen salt) into IKM for Derive.
func IKMFromPRF(prfOutput []byte) ([]byte, error) {
	if len(prfOutput) != PRFOutputSize {
		return nil, malformed("PRF output must be 32 bytes")
	}
	return sourceIKM(prfOutput, labelPRF)
}

// IKMFromSeed turns a raw 32-byte secret seed (from a backup code, a KMS, a
// hardware token) into IKM for Derive.
func IKMFromSeed(seed []byte) ([]byte, error) {
	if len(seed) != SeedSize {
		return nil, malformed("seed must be 32 bytes")
	}
	return sourceIKM(seed, labelSeed)
}

// IKMFromWalletSignature turns a wallet's 65-byte signature (r || s || v)
// over WalletMessage into IKM for Derive. The recovery byte v is dropped and
// s is normalised to the lower half of the group order, so wallets that
// differ only there give the same IKM.
//
// Only wallets that sign deterministically (RFC 6979, as MetaMask, Ledger
// and most others do) give the same signature, and so the same keys, every
// time: check with two signatures before relying on one.
func IKMFromWalletSignature(sig []byte) ([]byte, error) {
	if len(sig) != WalletSignatureSize {
		return nil, malformed("wallet signature must be 65 bytes (r || s || v)")
	}
	switch sig[64] {
	case 0, 1, 27, 28:
	default:
		return nil, malformed("wallet signature recovery byte must be 0, 1, 27 or 28")
	}
	var rb, sb [32]byte
	copy(rb[:], sig[:32])
	copy(sb[:], sig[32:64])
	var r, s secp256k1.ModNScalar
	if r.SetBytes(&rb) != 0 || s.SetBytes(&sb) != 0 || r.IsZero() || s.IsZero() {
		return nil, malformed("wallet signature r or s out of range")
	}
	if s.IsOverHalfOrder() {
		s.Negate()
	}
	sb = s.Bytes()
	input := append(rb[:], sb[:]...)
	defer clear(input)
	return sourceIKM(input, labelWallet)
}
