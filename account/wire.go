package account

import (
	"time"

	"github.com/sealkit/sealkit/share"
)

// Caps on requests (SPEC.md, "Limits").
const (
	// MaxRegisterBody caps a registration: the account record, up to
	// MaxKeyRecords key records and the directory entry.
	MaxRegisterBody = 256 << 10
	// MaxLoginBody caps the two login requests.
	MaxLoginBody = 4 << 10
	// MaxKeyRecords caps the key records of a registration.
	MaxKeyRecords = 16
	// MaxSignedBody caps the bodies of the signed routes (keys, token),
	// which carry none that is read: share's cap on its small records.
	MaxSignedBody = share.MaxSmallRecord
)

// RegisterRequest creates an account. Everything in it was made on the
// client: the keystore account record (its master KEK wrapped under the
// passphrase), the auth key the server enrolls, sealed key records, the
// Ed25519 signing key, the users-directory entry and a signed message
// ([SignRegistration]) proving the client holds that signing key. Byte
// fields are standard base64 in JSON.
type RegisterRequest struct {
	User       string      `json:"user"`
	Account    []byte      `json:"account"`
	AuthKey    []byte      `json:"auth_key"`
	KeyRecords [][]byte    `json:"key_records"`
	SigningKey []byte      `json:"signing_key"`
	Directory  *share.User `json:"directory"`
	Proof      []byte      `json:"proof"`
}

// RegisterResponse answers a registration: the user and the key ID
// (RFC 7638 thumbprint) of its registered signing key.
type RegisterResponse struct {
	User  string `json:"user"`
	KeyID string `json:"key_id"`
}

// LoginStartRequest asks for a user's account record.
type LoginStartRequest struct {
	User string `json:"user"`
}

// LoginStartResponse carries the account record: the KDF parameters and
// salt, and the master KEK wrapped under the passphrase.
type LoginStartResponse struct {
	Account []byte `json:"account"`
}

// LoginRequest presents the auth key derived from the passphrase.
type LoginRequest struct {
	User    string `json:"user"`
	AuthKey []byte `json:"auth_key"`
}

// KeysResponse carries a user's account and sealed key records (the
// encrypted private key fetch); login and the keys route return it.
type KeysResponse struct {
	Account    []byte   `json:"account"`
	KeyRecords [][]byte `json:"key_records"`
}

// TokenResponse carries a session token and its expiry.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ChangePassphraseRequest replaces the caller's account record and login
// verifier: OldAuthKey is the auth key of the current passphrase, Account
// the record keystore's Session.ChangePassphrase returned, AuthKey the
// session's auth key after it.
type ChangePassphraseRequest struct {
	OldAuthKey []byte `json:"old_auth_key"`
	Account    []byte `json:"account"`
	AuthKey    []byte `json:"auth_key"`
}
