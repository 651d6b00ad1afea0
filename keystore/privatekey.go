package keystore

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/envelope"
)

// PrivateKey is an opened key record: the parsed private key of its kind.
// It does not print itself.
type PrivateKey struct {
	kind    Kind
	name    string
	version uint32
	key     any // *rsa.PrivateKey, *ecdh.PrivateKey, ed25519.PrivateKey, *ecdsa.PrivateKey, *envelope.HybridIdentity
}

// Kind returns the key's kind.
func (k *PrivateKey) Kind() Kind { return k.kind }

// Name returns the key's name.
func (k *PrivateKey) Name() string { return k.name }

// Version returns the key's version.
func (k *PrivateKey) Version() uint32 { return k.version }

// Key returns the standard-library key: *rsa.PrivateKey, *ecdh.PrivateKey
// (X25519), ed25519.PrivateKey, *ecdsa.PrivateKey, or for MLKEM768X25519 an
// *envelope.HybridIdentity.
func (k *PrivateKey) Key() any { return k.key }

// Signer returns the key as a crypto.Signer (RSA, Ed25519, ECDSA P-256).
func (k *PrivateKey) Signer() (crypto.Signer, error) {
	if s, ok := k.key.(crypto.Signer); ok {
		return s, nil
	}
	return nil, fmt.Errorf("keystore: a %s key does not sign", k.kind)
}

// Identity returns the key as an envelope.Identity (RSA, X25519,
// MLKEM768X25519), for envelope.Open and envelope.UnwrapKey.
func (k *PrivateKey) Identity() (envelope.Identity, error) {
	switch key := k.key.(type) {
	case *rsa.PrivateKey:
		return envelope.NewRSAIdentity(key)
	case *ecdh.PrivateKey:
		return envelope.ParseX25519Identity(key.Bytes())
	case *envelope.HybridIdentity:
		return key, nil
	}
	return nil, fmt.Errorf("keystore: a %s key is not an envelope identity", k.kind)
}

// String does not print the key.
func (k *PrivateKey) String() string {
	return fmt.Sprintf("keystore.PrivateKey(%s %s v%d)", k.kind, k.name, k.version)
}

// GoString does not print the key.
func (k *PrivateKey) GoString() string { return k.String() }

func rsaBits(kind Kind) int {
	switch kind {
	case RSA2048:
		return 2048
	case RSA3072:
		return 3072
	case RSA4096:
		return 4096
	}
	return 0
}

// generate makes a key of kind and returns its private encoding (PKCS#8,
// the 32-byte seed for MLKEM768X25519, the key itself for a DEK) and its
// public encoding.
func generate(kind Kind) (priv, pub []byte, err error) {
	var key any
	switch kind {
	case RSA2048, RSA3072, RSA4096:
		k, err := rsa.GenerateKey(rand.Reader, rsaBits(kind))
		if err != nil {
			return nil, nil, err
		}
		key = k
		if pub, err = x509.MarshalPKIXPublicKey(&k.PublicKey); err != nil {
			return nil, nil, err
		}
	case ECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		key = k
		if pub, err = x509.MarshalPKIXPublicKey(&k.PublicKey); err != nil {
			return nil, nil, err
		}
	case Ed25519:
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		key, pub = k, p
	case X25519:
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		key, pub = k, k.PublicKey().Bytes()
	case MLKEM768X25519:
		id, err := envelope.GenerateHybridIdentity()
		if err != nil {
			return nil, nil, err
		}
		return id.Bytes(), id.Recipient().Bytes(), nil
	case DEK:
		priv = make([]byte, envelope.KeySize)
		rand.Read(priv)
		return priv, nil, nil
	default:
		return nil, nil, fmt.Errorf("keystore: unknown key kind %q", kind)
	}
	priv, err = x509.MarshalPKCS8PrivateKey(key)
	return priv, pub, err
}

var errKeyType = errors.New("private key does not match the record's kind")

// parsePrivate parses the opened private part of a record of kind.
func parsePrivate(kind Kind, b []byte) (any, error) {
	if kind == MLKEM768X25519 {
		return envelope.ParseHybridIdentity(b)
	}
	key, err := x509.ParsePKCS8PrivateKey(b)
	if err != nil {
		return nil, err
	}
	ok := false
	switch k := key.(type) {
	case *rsa.PrivateKey:
		ok = k.N.BitLen() == rsaBits(kind)
	case *ecdsa.PrivateKey:
		ok = kind == ECDSAP256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		ok = kind == Ed25519
	case *ecdh.PrivateKey:
		ok = kind == X25519 && k.Curve() == ecdh.X25519()
	}
	if !ok {
		return nil, errKeyType
	}
	return key, nil
}
