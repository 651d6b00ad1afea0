package identity

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
)

// atRestLabel starts the HKDF info of identity-derived at-rest keys.
const atRestLabel = "sealkit identity at-rest key v1"

// AtRestKeySize is the size of derived at-rest keys (AES-256).
const AtRestKeySize = 32

// ErrNotEd25519 is returned when a derivation needs an Ed25519 key and got
// another kind.
var ErrNotEd25519 = errors.New("identity: key derivation needs an Ed25519 key")

// ErrUnverified is returned by DeriveServerKey for a *Verified that this
// package did not produce.
var ErrUnverified = errors.New("identity: derivation needs a verified request or message")

// DeriveServerKey returns the at-rest key for the client whose request (or
// message) v verified, in namespace (for example "vault/docs"):
//
//	HKDF-SHA256(ikm  = X25519(server, X25519(client Ed25519 public key)),
//	            salt = salt,
//	            info = atRestLabel || 0x00 || clientX || serverX || namespace)
//
// The client derives the same key with DeriveClientKey. Keys differ per
// client, per server key and per namespace; nothing is stored. X25519 is
// not available in FIPS 140-only mode, where this returns an error.
func DeriveServerKey(server *ecdh.PrivateKey, v *Verified, salt []byte, namespace string) ([]byte, error) {
	if !v.valid() {
		return nil, ErrUnverified
	}
	pub := v.PublicKey()
	if pub.Algorithm() != Ed25519 {
		return nil, ErrNotEd25519
	}
	cx, err := Ed25519PublicKeyToX25519(pub.ed)
	if err != nil {
		return nil, err
	}
	cpub, err := ecdh.X25519().NewPublicKey(cx)
	if err != nil {
		return nil, err
	}
	return deriveAtRest(server, cpub, cx, server.PublicKey().Bytes(), salt, namespace)
}

// DeriveClientKey is the client's side of DeriveServerKey: its Ed25519 key
// converted to X25519, ECDH with the server's X25519 public key, the same
// HKDF.
func DeriveClientKey(client *PrivateKey, server *ecdh.PublicKey, salt []byte, namespace string) ([]byte, error) {
	if client.ed == nil {
		return nil, ErrNotEd25519
	}
	xs := Ed25519PrivateKeyToX25519(client.ed)
	defer clear(xs)
	priv, err := ecdh.X25519().NewPrivateKey(xs)
	if err != nil {
		return nil, err
	}
	return deriveAtRest(priv, server, priv.PublicKey().Bytes(), server.Bytes(), salt, namespace)
}

func deriveAtRest(priv *ecdh.PrivateKey, peer *ecdh.PublicKey, clientX, serverX, salt []byte, namespace string) ([]byte, error) {
	shared, err := priv.ECDH(peer) // fails on an all-zero (low-order) result
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	info := make([]byte, 0, len(atRestLabel)+1+64+len(namespace))
	info = append(info, atRestLabel...)
	info = append(info, 0)
	info = append(info, clientX...)
	info = append(info, serverX...)
	info = append(info, namespace...)
	return hkdf.Key(sha256.New, shared, salt, string(info), AtRestKeySize)
}
