// Package api holds the JSON bodies of the vault server's own routes
// (API.md), shared by the server and the Go client; the account routes'
// are package account's. Byte fields are standard base64 in JSON, as in
// share's records.
package api

// ServerKeyResponse publishes the server's response-signing key (API.md,
// "Signed responses"): PublicKey is the raw key, KeyID its RFC 7638
// thumbprint.
type ServerKeyResponse struct {
	Alg       string `json:"alg"`
	KeyID     string `json:"key_id"`
	PublicKey []byte `json:"public_key"`
}
