package keystore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// Verifier is the server's check of a client's auth key at login, for the
// zero-knowledge model: the client sends Session.AuthKey, never the
// passphrase, and the server stores only Enroll's output.
//
// The stored value is HMAC-SHA256(pepper, label || len(owner) || owner ||
// authKey), with a server-wide secret pepper kept apart from the database
// (an HSM, a KMS, a config secret). A slow hash would add nothing: the auth
// key already carries the full KDF cost and 256 bits of output; the pepper
// means a stolen database alone cannot even test guesses against the
// verifier (the account record still can, at full KDF cost per guess: that
// is the floor of what a passphrase gives). The HKDF split keeps the auth
// key from revealing anything about the unlock key.
type Verifier struct {
	pepper  []byte
	limiter AttemptLimiter
}

// AttemptLimiter counts and limits login attempts, per owner (or per
// client address: the key is the caller's). Allow is called before the
// check and refuses with an error of its choosing (a "retry later" with a
// delay, an account lock); Done is called after it with the outcome.
type AttemptLimiter interface {
	// Allow is called before a check; an error refuses the attempt.
	Allow(ctx context.Context, owner string) error
	// Done is called after a check that Allow let through, with its outcome.
	Done(ctx context.Context, owner string, ok bool)
}

// MinPepperSize is the shortest pepper NewVerifier accepts.
const MinPepperSize = 32

const verifierVersion = 1

// NewVerifier returns a Verifier with a pepper of at least 32 random bytes
// and an optional limiter (nil: none).
func NewVerifier(pepper []byte, limiter AttemptLimiter) (*Verifier, error) {
	if len(pepper) < MinPepperSize {
		return nil, fmt.Errorf("keystore: pepper must be at least %d bytes", MinPepperSize)
	}
	return &Verifier{pepper: append([]byte(nil), pepper...), limiter: limiter}, nil
}

func (v *Verifier) tag(owner string, authKey []byte) []byte {
	m := hmac.New(sha256.New, v.pepper)
	m.Write([]byte(labelVerifier))
	m.Write([]byte{byte(len(owner))})
	m.Write([]byte(owner))
	m.Write(authKey)
	return append([]byte{verifierVersion}, m.Sum(nil)...)
}

// Enroll returns the 33-byte value to store for owner's auth key (at
// registration, and again after every passphrase change or rehash).
func (v *Verifier) Enroll(owner string, authKey []byte) ([]byte, error) {
	if err := checkOwner(owner); err != nil {
		return nil, err
	}
	if len(authKey) != 32 {
		return nil, fmt.Errorf("keystore: auth key must be 32 bytes")
	}
	return v.tag(owner, authKey), nil
}

// Verify checks authKey against the stored value in constant time. It asks
// the limiter first (returning its error unchanged) and tells it the
// outcome. A mismatch returns ErrUnlock.
func (v *Verifier) Verify(ctx context.Context, owner string, stored, authKey []byte) error {
	if v.limiter != nil {
		if err := v.limiter.Allow(ctx, owner); err != nil {
			return err
		}
	}
	ok := checkOwner(owner) == nil && len(authKey) == 32 && hmac.Equal(v.tag(owner, authKey), stored)
	if v.limiter != nil {
		v.limiter.Done(ctx, owner, ok)
	}
	if !ok {
		return ErrUnlock
	}
	return nil
}
