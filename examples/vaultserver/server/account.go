package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Record IDs in Stores.Records. "account" and "key/…" are keystore's layout
// (keystore SPEC §5); the server's own records begin "vault/".
const (
	idAccount   = "account"
	keyPrefix   = "key/"
	idVerifier  = "vault/verifier"
	filePrefix  = "vault/file/"
	authKeySize = 32
)

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
	ctx := r.Context()
	user := req.User
	if _, err := s.cfg.Stores.Records.Put(ctx, user, idAccount, req.Account); err != nil {
		if errors.Is(err, keystore.ErrExists) {
			err = errExists
		}
		writeError(w, err)
		return
	}
	// Counted once the name is ours, so that a taken name costs no count;
	// refused, the account record goes again.
	if err := s.addUser(ctx); err != nil {
		dctx, cancel := afterCommit(r)
		defer cancel()
		if derr := s.cfg.Stores.Records.Delete(dctx, user, idAccount); derr != nil {
			s.cfg.Logger.Error("registration: account record left", "err", derr)
		}
		writeError(w, err)
		return
	}
	// The account exists from here on; a failure below leaves it half made,
	// which a retry of the same name reports as "exists". A production
	// server would register in one transaction.
	for id, rec := range records {
		if _, err := s.cfg.Stores.Records.Put(ctx, user, id, rec); err != nil {
			writeError(w, err)
			return
		}
	}
	stored, err := s.login.Enroll(user, req.AuthKey)
	if err != nil {
		writeError(w, err)
		return
	}
	if _, err := s.cfg.Stores.Records.Put(ctx, user, idVerifier, stored); err != nil {
		writeError(w, err)
		return
	}
	if err := s.cfg.Stores.Registry.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: user}); err != nil {
		if errors.Is(err, identity.ErrExists) {
			err = errExists
		}
		writeError(w, err)
		return
	}
	if err := s.svc.PublishUser(ctx, user, req.Directory); err != nil {
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
	e, err := s.cfg.Stores.Records.Get(r.Context(), req.User, idAccount)
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
	stored, err := s.cfg.Stores.Records.Get(ctx, req.User, idVerifier)
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
		var rl *httplimit.RetryError
		if errors.As(err, &rl) {
			setRetryAfter(w, rl.Wait)
			err = errRateLimited
		}
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
	entries, err := s.cfg.Stores.Records.List(r.Context(), user)
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
		writeError(w, errNotFound)
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
