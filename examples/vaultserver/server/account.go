package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Record IDs in the keystore. "account" and "key/…" are keystore's layout
// (keystore SPEC §5); the server's own records begin "vault/".
const (
	idAccount   = "account"
	keyPrefix   = "key/"
	idVerifier  = "vault/verifier"
	authKeySize = 32
)

// handleRegister checks everything in the request, then writes the
// account, its key records, the login verifier, the account count, the
// signing key and the directory entry in one transaction: a failure
// leaves nothing of the account.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	if limited(w, s.loginIP, "register:"+httplimit.ClientAddr(r)) {
		return
	}
	var req api.RegisterRequest
	if err := readJSON(r, api.MaxRegisterBody, &req); err != nil {
		writeError(w, err)
		return
	}
	pub, records, err := s.checkRegistration(&req)
	if err != nil {
		s.cfg.Logger.Info("registration refused", "err", err)
		writeError(w, errInvalid)
		return
	}
	user := req.User
	if records[idVerifier], err = s.login.Enroll(user, req.AuthKey); err != nil {
		writeError(w, err)
		return
	}
	records[idAccount] = req.Account
	ctx := r.Context()
	err = s.cfg.Stores.Atomic(ctx, func(tx *backend.Stores) error {
		for id, rec := range records {
			if _, err := tx.Keystore.Put(ctx, user, id, rec); err != nil {
				return err
			}
		}
		if err := addCount(ctx, tx.Keystore, idUserCount, int64(s.cfg.MaxUsers), errUserLimit); err != nil {
			return err
		}
		if err := tx.KeyRegistry.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: user}); err != nil {
			return err
		}
		dir := &share.Service{Stores: tx.Share, Now: s.cfg.Now}
		return dir.PublishUser(ctx, user, req.Directory)
	})
	switch {
	case errors.Is(err, keystore.ErrExists), errors.Is(err, identity.ErrExists):
		err = errExists
	case errors.Is(err, errCountBusy):
		err = &httplimit.RetryError{Err: httplimit.ErrRateLimited, Wait: time.Second} // other processes are registering
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.RegisterResponse{User: user, KeyID: pub.KeyID()})
}

// checkRegistration validates everything in req before anything is stored,
// and returns the signing key and the key records by store ID.
func (s *Server) checkRegistration(req *api.RegisterRequest) (*identity.PublicKey, map[string][]byte, error) {
	if !share.ValidID(req.User) {
		return nil, nil, errors.New("user name")
	}
	a, err := keystore.ParseAccount(req.Account)
	if err != nil {
		return nil, nil, err
	}
	if a.Owner() != req.User {
		return nil, nil, errors.New("account owner")
	}
	pol := keystore.Policy{Params: a.Params()}
	if s.cfg.KDFPolicy != nil {
		pol.InsecureAllowWeak = s.cfg.KDFPolicy.InsecureAllowWeak
	}
	if err := pol.Validate(); err != nil { // the KDF floors: a weak account would leak its passphrase
		return nil, nil, err
	}
	if len(req.AuthKey) != authKeySize {
		return nil, nil, errors.New("auth key size")
	}
	if len(req.KeyRecords) > api.MaxKeyRecords {
		return nil, nil, errors.New("too many key records")
	}
	records := make(map[string][]byte, len(req.KeyRecords))
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
func (s *Server) checkProof(b []byte, user string, pub *identity.PublicKey) error {
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

func (s *Server) handleLoginStart(w http.ResponseWriter, r *http.Request) {
	var req api.LoginStartRequest
	if err := readJSON(r, api.MaxLoginBody, &req); err != nil {
		writeError(w, err)
		return
	}
	// Per address only: the account record is no secret (a guess
	// against it costs the KDF), and a per-user limit would let anyone
	// stop the user from logging in.
	if limited(w, s.loginIP, "ip:"+httplimit.ClientAddr(r)) {
		return
	}
	if !share.ValidID(req.User) {
		writeError(w, errInvalid)
		return
	}
	e, err := s.cfg.Stores.Keystore.Get(r.Context(), req.User, idAccount)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.LoginStartResponse{Account: e.Data})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req api.LoginRequest
	if err := readJSON(r, api.MaxLoginBody, &req); err != nil {
		writeError(w, err)
		return
	}
	if limited(w, s.loginIP, "ip:"+httplimit.ClientAddr(r)) {
		return
	}
	if !share.ValidID(req.User) || len(req.AuthKey) != authKeySize {
		writeError(w, errInvalid)
		return
	}
	ctx := r.Context() // with the client address: loginRate keys attempts by user and address
	stored, err := s.cfg.Stores.Keystore.Get(ctx, req.User, idVerifier)
	if err != nil {
		if errors.Is(err, keystore.ErrNotFound) {
			err = errBadCredentials
		}
		writeError(w, err)
		return
	}
	// Verify asks the back-off of this user and address first (429 while
	// it runs) and compares in constant time; a wrong key is ErrUnlock (401).
	if err := s.login.Verify(ctx, req.User, stored.Data, req.AuthKey); err != nil {
		writeError(w, err)
		return
	}
	s.writeKeys(w, r, req.User)
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request, p principal) {
	s.writeKeys(w, r, p.Owner)
}

// writeKeys answers with the user's account and sealed key records.
func (s *Server) writeKeys(w http.ResponseWriter, r *http.Request, user string) {
	entries, err := s.cfg.Stores.Keystore.List(r.Context(), user)
	if err != nil {
		writeError(w, err)
		return
	}
	var resp api.KeysResponse
	for _, e := range entries {
		switch {
		case e.ID == idAccount:
			resp.Account = e.Data
		case strings.HasPrefix(e.ID, keyPrefix):
			resp.KeyRecords = append(resp.KeyRecords, e.Data)
		}
	}
	if resp.Account == nil {
		writeError(w, keystore.ErrNotFound)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleToken exchanges a signed request for a short-lived token. A token
// cannot renew itself: the request must carry a signature.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, p principal) {
	if p.Verified == nil {
		writeError(w, identity.ErrMissingSignature)
		return
	}
	tok, err := s.issuer.Issue(p.Verified, TokenAudience)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.TokenResponse{Token: tok, ExpiresAt: s.cfg.Now().Add(s.cfg.TokenTTL)})
}
