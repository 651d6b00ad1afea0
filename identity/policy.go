package identity

import (
	"context"
	"errors"
	"time"
)

// Defaults for freshness checks when a MaxAge or MaxSkew field is 0.
const (
	// DefaultMaxAge is how long after "created" a signature is accepted.
	DefaultMaxAge = 5 * time.Minute
	// DefaultMaxSkew is how far a client clock may run ahead of the
	// server's, and how long past "expires" a signature is still accepted.
	DefaultMaxSkew = 30 * time.Second
	// MinNonceLength is the shortest accepted nonce (Transport sends 22
	// base64url characters: 128 random bits).
	MinNonceLength = 16
)

// freshness is the shared clock policy of Verifier and MessageVerifier.
type freshness struct {
	maxAge, maxSkew time.Duration
	now             time.Time
}

func newFreshness(maxAge, maxSkew time.Duration, now func() time.Time) freshness {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if now == nil {
		now = time.Now
	}
	return freshness{maxAge, maxSkew, now()}
}

// check refuses signatures from the future, older than maxAge or past
// expires, and returns until when the nonce must be remembered.
func (f freshness) check(created, expires time.Time) (time.Time, error) {
	if created.IsZero() {
		return time.Time{}, reject(ReasonPolicy, "created is required")
	}
	if created.After(f.now.Add(f.maxSkew)) {
		return time.Time{}, reject(ReasonStale, "created is in the future")
	}
	until := created.Add(f.maxAge + f.maxSkew)
	if !expires.IsZero() {
		if expires.Before(created) {
			return time.Time{}, reject(ReasonMalformed, "expires before created")
		}
		if e := expires.Add(f.maxSkew); e.Before(until) {
			until = e
		}
	}
	if !f.now.Before(until) {
		return time.Time{}, reject(ReasonStale, "signature too old or expired")
	}
	return until, nil
}

func checkNonce(nonce string) error {
	if len(nonce) < MinNonceLength || len(nonce) > MaxNonceLength {
		return reject(ReasonPolicy, "nonce missing or of bad length")
	}
	return nil
}

// lookupKey finds an unrevoked key.
func lookupKey(ctx context.Context, reg KeyRegistry, keyID string) (KeyEntry, error) {
	if reg == nil {
		return KeyEntry{}, reject(ReasonUnavailable, "no key registry configured")
	}
	if keyID == "" {
		return KeyEntry{}, reject(ReasonPolicy, "keyid is required")
	}
	e, err := reg.Lookup(ctx, keyID)
	switch {
	case errors.Is(err, ErrNotFound):
		return KeyEntry{}, reject(ReasonUnknownKey, "key is not registered")
	case err != nil:
		return KeyEntry{}, rejectErr(ReasonUnavailable, "key registry", err)
	case e.PublicKey == nil || e.KeyID() != keyID:
		return KeyEntry{}, reject(ReasonUnavailable, "key registry returned a different key")
	case e.Revoked:
		return KeyEntry{}, reject(ReasonRevokedKey, "key is revoked")
	}
	return e, nil
}

func remember(ctx context.Context, rs ReplayStore, keyID, nonce string, until time.Time) error {
	err := rs.Remember(ctx, keyID, nonce, until)
	switch {
	case errors.Is(err, ErrExists):
		return reject(ReasonReplayed, "nonce already used")
	case err != nil:
		return rejectErr(ReasonUnavailable, "replay store", err)
	}
	return nil
}
