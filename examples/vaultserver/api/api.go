// Package api holds the JSON bodies of the vault server's own routes
// (API.md), shared by the server and the Go client. Byte fields are
// standard base64 in JSON, as in share's records.
package api

import (
	"time"

	"github.com/sealkit/sealkit/share"
)

// Limits on request bodies.
const (
	MaxRegisterBody = 256 << 10
	MaxLoginBody    = 4 << 10
	MaxKeyRecords   = 16
)

// RegisterRequest creates an account. Everything in it was made on the
// client: the keystore account record (its master KEK wrapped under the
// passphrase), the auth key the server enrolls, sealed key records, the
// Ed25519 signing key, the users-directory entry and a signed message
// (identity.SignedMessage JSON, purpose "sealkit-vault-register", payload
// the user name) proving the client holds that signing key.
type RegisterRequest struct {
	User       string      `json:"user"`
	Account    []byte      `json:"account"`
	AuthKey    []byte      `json:"auth_key"`
	KeyRecords [][]byte    `json:"key_records"`
	SigningKey []byte      `json:"signing_key"`
	Directory  *share.User `json:"directory"`
	Proof      []byte      `json:"proof"`
}

// RegisterResponse answers a registration.
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
// encrypted private key fetch); login and GET /api/v1/keys return it.
type KeysResponse struct {
	Account    []byte   `json:"account"`
	KeyRecords [][]byte `json:"key_records"`
}

// TokenResponse carries a session token.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// FilesResponse is a page of a user's own items, oldest first. Next is
// the cursor of the next page ("after"), "" on the last page.
type FilesResponse struct {
	Files  []*share.Item `json:"files"`
	Total  int           `json:"total"`
	Limit  int           `json:"limit"`
	Offset int           `json:"offset"`
	Next   string        `json:"next,omitempty"`
}

// StorageResponse is a user's storage usage.
type StorageResponse struct {
	UsedBytes      int64   `json:"used_bytes"`
	QuotaBytes     int64   `json:"quota_bytes"`
	PercentageUsed float64 `json:"percentage_used"`
	FileCount      int     `json:"file_count"`
	MaxObjectBytes int64   `json:"max_object_bytes"`
}

// ServerKeyResponse publishes the server's response-signing key (API.md,
// "Signed responses"): PublicKey is the raw key, KeyID its RFC 7638
// thumbprint.
type ServerKeyResponse struct {
	Alg       string `json:"alg"`
	KeyID     string `json:"key_id"`
	PublicKey []byte `json:"public_key"`
}
