package share

import (
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/envelope"
)

// recipientFor parses a published public key into an envelope recipient.
func recipientFor(k PublicKey) (envelope.Recipient, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	switch k.Kind {
	case KindRSA:
		return envelope.ParseRSARecipient(k.Bytes)
	case KindX25519:
		return envelope.ParseX25519Recipient(k.Bytes)
	default:
		return envelope.ParseHybridRecipient(k.Bytes)
	}
}

// preferredKey picks which of a user's published keys to wrap for: the
// post-quantum hybrid if published, then RSA-OAEP, then X25519.
func preferredKey(keys []PublicKey) (PublicKey, error) {
	for _, kind := range []string{KindHybrid, KindRSA, KindX25519} {
		for _, k := range keys {
			if k.Kind == kind {
				return k, nil
			}
		}
	}
	return PublicKey{}, invalid("no usable public key")
}

// PublicKeyOf returns the PublicKey record for an envelope recipient of a
// kind users can publish (RSA, X25519 or hybrid).
func PublicKeyOf(r envelope.Recipient) (PublicKey, error) {
	switch r := r.(type) {
	case *envelope.RSARecipient:
		return PublicKey{Kind: KindRSA, Bytes: r.MarshalPKIX()}, nil
	case *envelope.X25519Recipient:
		return PublicKey{Kind: KindX25519, Bytes: r.Bytes()}, nil
	case *envelope.HybridRecipient:
		return PublicKey{Kind: KindHybrid, Bytes: r.Bytes()}, nil
	}
	return PublicKey{}, fmt.Errorf("%w: %T cannot be published", ErrInvalid, r)
}

// unwrapBytes returns the 32-byte secret in an envelope wrapped-key record,
// trying each identity in turn. It is UnwrapKey for keys this package must
// use as bytes (space keys, connection private keys).
func unwrapBytes(record []byte, ids ...envelope.Identity) ([]byte, error) {
	stanzas, err := envelope.ParseWrappedKey(record)
	if err != nil {
		return nil, corrupt(err)
	}
	var errs []error
	for _, id := range ids {
		b, err := id.Unwrap(stanzas)
		if err == nil {
			if len(b) != envelope.KeySize {
				return nil, corrupt(errors.New("unwrapped key has the wrong size"))
			}
			return b, nil
		}
		errs = append(errs, err)
	}
	return nil, corrupt(&envelope.NoIdentityMatchError{Errors: errs})
}

// wrapBytes wraps a 32-byte secret for r as an envelope wrapped-key record.
func wrapBytes(secret []byte, r envelope.Recipient) ([]byte, error) {
	k, err := envelope.NewKeyFromBytes(secret)
	if err != nil {
		return nil, err
	}
	defer k.Destroy()
	return envelope.WrapKey(k, r)
}

func corrupt(err error) error {
	if err == nil {
		return ErrCorrupt
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}
