// Package server is the reference zero-knowledge vault server: an
// http.Handler built only from sealkit's public API (share, identity,
// keystore, storageauth and the sqlite/postgres backends).
//
// It stores what clients made — keystore account and key records, public
// keys, item records, wrapped keys and ciphertext — and never a key that
// opens any of it. Users authenticate with RFC 9421 signed requests (their
// Ed25519 key, registered at sign-up) or with a short-lived EdDSA token
// obtained by a signed request after login. The server adds what share's
// Service leaves to applications: registration and login, a per-user file
// index, quotas and a size limit, rate limits on login and link attempts,
// and JSON errors with the status codes of API.md.
//
// The HTTP API is in API.md beside main.go; New builds the handler so tests
// run it in process, and Serve runs it with graceful shutdown.
package server
