package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
)

// lyingDirectory is a server that answers one user's directory lookup
// with a record of its own: keys it holds, in a bundle it signed.
type lyingDirectory struct {
	share.Transport
	victim string
	forged *share.User
}

func (l *lyingDirectory) User(ctx context.Context, id string) (*share.User, error) {
	if id == l.victim {
		return l.forged, nil
	}
	return l.Transport.User(ctx, id)
}

// keySubstitution shows the client refusing a substituted key: the server
// answers Alice's lookup of Bob with its own key, which would let it open
// whatever Alice shares "with Bob". Alice's client pinned Bob's identity
// key when it first shared with him, so the forged bundle, signed by
// another key, is refused.
func keySubstitution(ctx context.Context, s *steps, alice *user, item string) error {
	inbox, err := envelope.GenerateX25519Identity()
	if err != nil {
		return err
	}
	pk, err := share.PublicKeyOf(inbox.Recipient())
	if err != nil {
		return err
	}
	_, serverKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	forged, err := share.NewUser("bob", []share.PublicKey{pk}, serverKey)
	if err != nil {
		return err
	}
	c := alice.Client
	lied := &share.Client{User: c.User, Identities: c.Identities, KEK: c.KEK, SigningKey: c.SigningKey,
		ConnectionKeys: c.ConnectionKeys, Pins: c.Pins,
		Transport: &lyingDirectory{Transport: c.Transport, victim: "bob", forged: forged}}
	_, err = lied.Share(ctx, item, "bob")
	if !errors.Is(err, share.ErrKeyChanged) {
		return fmt.Errorf("a share to a substituted key for bob: %v, want %v", err, share.ErrKeyChanged)
	}
	s.say("A lying server answered Alice's lookup of Bob with a key of its own, in a bundle it signed: her client, which pinned Bob's identity key at the first share, refused (%v); nothing was wrapped to the server's key.", share.ErrKeyChanged)
	return nil
}
