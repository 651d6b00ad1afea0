package account

import (
	"context"
	"errors"
	"strings"

	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// LoginStart returns user's account record (KDF parameters, salt, wrapped
// master KEK), or ErrNotFound. Anyone may ask: a guess against the record
// costs a full KDF run, which is what the passphrase gives anyway; limit
// it per client address, never per user (which would let anyone lock the
// user out).
func (s *Service) LoginStart(ctx context.Context, user string) (*LoginStartResponse, error) {
	if !share.ValidID(user) {
		return nil, ErrInvalid
	}
	e, err := s.cfg.Stores.Keystore.Get(ctx, user, idAccount)
	if err != nil {
		return nil, notFound(err)
	}
	return &LoginStartResponse{Account: e.Data}, nil
}

// Login checks the auth key the client derived from the passphrase and
// returns the user's account and sealed key records. The login back-off
// (Config.LoginRate, per user and the client address in ctx, which
// httplimit's Limits.Handler puts there; without one it refuses with
// httplimit.ErrNoClientAddr) is asked first and refuses with a
// *httplimit.RetryError; the check is in constant time; an unknown user
// and a wrong key are both ErrBadCredentials.
func (s *Service) Login(ctx context.Context, user string, authKey []byte) (*KeysResponse, error) {
	if !share.ValidID(user) || len(authKey) != authKeySize {
		return nil, ErrInvalid
	}
	stored, err := s.cfg.Stores.Keystore.Get(ctx, user, idVerifier)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if err := s.verifier.Verify(ctx, user, stored.Data, authKey); err != nil {
		if errors.Is(err, keystore.ErrUnlock) {
			return nil, ErrBadCredentials
		}
		return nil, err
	}
	return s.Keys(ctx, user)
}

// Keys returns user's account and sealed key records, for a caller that
// authenticated user already (a signed request or a session token).
func (s *Service) Keys(ctx context.Context, user string) (*KeysResponse, error) {
	entries, err := s.cfg.Stores.Keystore.List(ctx, user)
	if err != nil {
		return nil, err
	}
	var resp KeysResponse
	for _, e := range entries {
		switch {
		case e.ID == idAccount:
			resp.Account = e.Data
		case strings.HasPrefix(e.ID, keyPrefix):
			resp.KeyRecords = append(resp.KeyRecords, e.Data)
		}
	}
	if resp.Account == nil {
		return nil, ErrNotFound
	}
	return &resp, nil
}

// notFound turns the keystore's ErrNotFound into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, keystore.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
