package identity

import (
	"context"
	"slices"
	"time"
)

// Verified is the outcome of a successful verification: a signed request
// (Verifier) or signed message (MessageVerifier) from a registered,
// unrevoked key, fresh and not replayed. Only this package creates a usable
// one, so functions that take a *Verified (DeriveServerKey,
// TokenIssuer.Issue) cannot run before a signature was checked; a zero
// Verified is refused by them.
type Verified struct {
	ok        bool
	entry     KeyEntry
	created   time.Time
	nonce     string
	signature string // the request's Signature field, for response binding
}

// KeyID returns the verified key's ID.
func (v *Verified) KeyID() string { return v.entry.KeyID() }

// PublicKey returns the verified key.
func (v *Verified) PublicKey() *PublicKey { return v.entry.PublicKey }

// Owner returns the registry's owner for the key.
func (v *Verified) Owner() string { return v.entry.Owner }

// Permissions returns a copy of the key's permissions at verification time.
func (v *Verified) Permissions() []string { return slices.Clone(v.entry.Permissions) }

// HasPermission reports whether the key holds perm.
func (v *Verified) HasPermission(perm string) bool {
	return v.ok && slices.Contains(v.entry.Permissions, perm)
}

// Created returns the signature's creation time.
func (v *Verified) Created() time.Time { return v.created }

// Nonce returns the signature's nonce.
func (v *Verified) Nonce() string { return v.nonce }

func (v *Verified) valid() bool { return v != nil && v.ok && v.entry.PublicKey != nil }

type verifiedKey struct{}

func withVerified(ctx context.Context, v *Verified) context.Context {
	return context.WithValue(ctx, verifiedKey{}, v)
}

// VerifiedFromContext returns the *Verified that Verifier.Handler stored in
// a request's context.
func VerifiedFromContext(ctx context.Context) (*Verified, bool) {
	v, ok := ctx.Value(verifiedKey{}).(*Verified)
	return v, ok && v.valid()
}

// KeyIDFromContext returns the verified key ID that Verifier.Handler stored
// in a request's context.
func KeyIDFromContext(ctx context.Context) (string, bool) {
	v, ok := VerifiedFromContext(ctx)
	if !ok {
		return "", false
	}
	return v.KeyID(), true
}
