// Package api holds the JSON bodies of the vault server's own routes
// (API.md), shared by the server and the Go client; the account routes'
// are package account's. Byte fields are standard base64 in JSON, as in
// share's records.
package api

import "github.com/sealkit/sealkit/share"

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
