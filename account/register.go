package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// RegisterPurpose is the purpose of the signed message that proves, at
// registration, that the client holds the signing key it registers.
const RegisterPurpose = "sealkit-vault-register"

// busyRetry is how long a registration that lost the account count to
// another process is told to wait.
const busyRetry = time.Second

// SignRegistration returns the proof of a RegisterRequest: an identity
// signed message by key, of purpose RegisterPurpose, whose payload is the
// user name. It is fresh for identity's message lifetime.
func SignRegistration(key *identity.PrivateKey, user string) ([]byte, error) {
	m, err := identity.SignMessage(key, RegisterPurpose, []byte(user))
	if err != nil {
		return nil, err
	}
	return m.MarshalJSON()
}

// Register checks everything in req, then writes the account, its key
// records, the login verifier, the account count, the signing key and the
// directory entry in one transaction: a failure leaves nothing of the
// account. Any failed check is ErrInvalid; a taken name or key is
// ErrExists; a full service is ErrUserLimit.
func (s *Service) Register(ctx context.Context, req *RegisterRequest) (*RegisterResponse, error) {
	pub, records, err := s.checkRegistration(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err) // the reason, for logs; nothing of it is matched
	}
	user := req.User
	if records[idVerifier], err = s.verifier.Enroll(user, req.AuthKey); err != nil {
		return nil, err
	}
	records[idAccount] = req.Account
	err = s.cfg.Stores.Atomic(ctx, func(tx *backend.Stores) error {
		for id, rec := range records {
			if _, err := tx.Keystore.Put(ctx, user, id, rec); err != nil {
				return err
			}
		}
		if err := tx.Increment(ctx, UserCounter, s.cfg.MaxUsers); err != nil {
			return err
		}
		if err := tx.KeyRegistry.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: user}); err != nil {
			return err
		}
		dir := &share.Service{Stores: tx.Share, Now: s.cfg.Now}
		return dir.PublishUser(ctx, user, req.Directory)
	})
	switch {
	case err == nil:
		return &RegisterResponse{User: user, KeyID: pub.KeyID()}, nil
	case errors.Is(err, keystore.ErrExists), errors.Is(err, identity.ErrExists):
		return nil, ErrExists
	case errors.Is(err, backend.ErrCounterFull):
		return nil, ErrUserLimit
	case errors.Is(err, backend.ErrCounterBusy): // other processes are registering
		return nil, &httplimit.RetryError{Err: httplimit.ErrRateLimited, Wait: busyRetry}
	case errors.Is(err, share.ErrInvalid):
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil, err
}

// checkRegistration validates everything in req before anything is stored,
// and returns the signing key and the key records by store ID.
func (s *Service) checkRegistration(req *RegisterRequest) (*identity.PublicKey, map[string][]byte, error) {
	if !share.ValidID(req.User) {
		return nil, nil, errors.New("user name")
	}
	if err := s.checkAccount(req.User, req.Account, req.AuthKey); err != nil {
		return nil, nil, err
	}
	if len(req.KeyRecords) > MaxKeyRecords {
		return nil, nil, errors.New("too many key records")
	}
	records := make(map[string][]byte, len(req.KeyRecords)+2)
	for _, b := range req.KeyRecords {
		kr, err := keystore.ParseKeyRecord(b)
		if err != nil {
			return nil, nil, err
		}
		if kr.Owner() != req.User {
			return nil, nil, errors.New("key record owner")
		}
		id := fmt.Sprintf("%s%s/%d", keyPrefix, kr.Name(), kr.Version())
		if _, dup := records[id]; dup {
			return nil, nil, errors.New("duplicate key record")
		}
		records[id] = b
	}
	pub, err := identity.NewEd25519PublicKey(req.SigningKey)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkProof(req.Proof, req.User, pub); err != nil {
		return nil, nil, err
	}
	d := req.Directory
	if d == nil || d.ID != req.User || !bytes.Equal(d.SigningKey, req.SigningKey) {
		return nil, nil, errors.New("directory entry")
	}
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	return pub, records, nil
}

// checkProof verifies the registration's signed message: right purpose,
// made by pub (which is not registered yet), recent, payload the user name.
func (s *Service) checkProof(b []byte, user string, pub *identity.PublicKey) error {
	m, err := identity.ParseSignedMessage(b)
	if err != nil {
		return err
	}
	if err := identity.VerifyMessage(m, pub, RegisterPurpose, s.cfg.Now()); err != nil {
		return err
	}
	if string(m.Payload) != user {
		return identity.ErrBadSignature
	}
	return nil
}
