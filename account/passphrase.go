package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/keystore"
)

// ChangePassphrase replaces user's account record with req.Account (the
// same master KEK wrapped under the new passphrase: keystore
// Session.ChangePassphrase) and re-enrolls the login verifier with
// req.AuthKey, in one transaction, once req.OldAuthKey passed the login
// check (with its back-off: ctx carries the client address as for
// Login). A wrong old key is ErrBadCredentials and changes nothing; a
// concurrent change of the same account is ErrConflict. Key records stay
// as they are: they are sealed under the master KEK, which does not change.
func (s *Service) ChangePassphrase(ctx context.Context, user string, req *ChangePassphraseRequest) error {
	if err := s.checkAccount(user, req.Account, req.AuthKey); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(req.OldAuthKey) != authKeySize {
		return ErrInvalid
	}
	old, err := s.cfg.Stores.Keystore.Get(ctx, user, idVerifier)
	if errors.Is(err, keystore.ErrNotFound) {
		return ErrBadCredentials
	}
	if err != nil {
		return err
	}
	if err := s.verifier.Verify(ctx, user, old.Data, req.OldAuthKey); err != nil {
		if errors.Is(err, keystore.ErrUnlock) {
			return ErrBadCredentials
		}
		return err
	}
	verifier, err := s.verifier.Enroll(user, req.AuthKey)
	if err != nil {
		return err
	}
	err = s.cfg.Stores.Atomic(ctx, func(tx *backend.Stores) error {
		acct, err := tx.Keystore.Get(ctx, user, idAccount)
		if err != nil {
			return err
		}
		if _, err := tx.Keystore.Update(ctx, user, idAccount, acct.Version, req.Account); err != nil {
			return err
		}
		// The version the old key was checked against: a change in between
		// is a conflict, never a second change on a stale check.
		_, err = tx.Keystore.Update(ctx, user, idVerifier, old.Version, verifier)
		return err
	})
	switch {
	case errors.Is(err, keystore.ErrConflict):
		return ErrConflict
	case errors.Is(err, keystore.ErrNotFound):
		return ErrNotFound
	}
	return err
}

// checkAccount checks an account record and auth key a client sends for
// user: the record parses, is user's and meets the KDF floors, and the
// auth key has keystore's size.
func (s *Service) checkAccount(user string, account, authKey []byte) error {
	a, err := keystore.ParseAccount(account)
	if err != nil {
		return err
	}
	if a.Owner() != user {
		return errors.New("account owner")
	}
	// The KDF floors: a weak account would leak its passphrase.
	pol := keystore.Policy{Params: a.Params(), InsecureAllowWeak: s.cfg.InsecureAllowWeakKDF}
	if err := pol.Validate(); err != nil {
		return err
	}
	if len(authKey) != authKeySize {
		return errors.New("auth key size")
	}
	return nil
}
