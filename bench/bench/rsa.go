package bench

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/envelope"
)

// targetRSAUnwrap is the performance target for RSA-4096 unwrap vs bare OAEP.
const targetRSAUnwrap = 0.95

func buildRSA(cfg Config) ([]Pending, error) {
	bits := cfg.RSABits()
	name := fmt.Sprintf("rsa%d-unwrap", bits)
	return []Pending{lazy(name, func() (*Comparison, error) { return makeRSA(name, bits) })}, nil
}

// makeRSA compares unwrapping a file key from a wrapped-key record with an
// RSA identity against a bare rsa.DecryptOAEP (SHA-256) of 32 bytes with
// the same key.
func makeRSA(name string, bits int) (*Comparison, error) {
	id, err := envelope.GenerateRSAIdentity(bits)
	if err != nil {
		return nil, err
	}
	rec, err := envelope.WrapKey(envelope.NewKey(), id.Recipient())
	if err != nil {
		return nil, err
	}
	der, err := id.MarshalPKCS8()
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, randomBytes(32), nil)
	if err != nil {
		return nil, err
	}
	return &Comparison{
		Name:  name,
		Title: fmt.Sprintf("RSA-%d recipient unwrap", bits),
		Ours: Contender{Name: "sealkit UnwrapKey", Op: func() error {
			_, err := envelope.UnwrapKey(rec, id)
			return err
		}},
		Rivals: []Rival{{Contender: Contender{Name: "bare rsa.DecryptOAEP", Op: func() error {
			_, err := rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil)
			return err
		}}, Ratio: name + "/vs-decrypt-oaep", Target: targetRSAUnwrap}},
	}, nil
}
