// Package server is the reference zero-knowledge vault server: an
// http.Handler built only from sealkit's public API (share, identity,
// keystore, storageauth, httplimit and the backends) and the module's
// wire convention (internal/httpwire).
//
// It stores what clients made — keystore account and key records, public
// keys, item records, wrapped keys and ciphertext — and never a key that
// opens any of it. Users authenticate with RFC 9421 signed requests (their
// Ed25519 key, registered at sign-up) or with a short-lived EdDSA token
// obtained by a signed request after login. The server adds what share's
// Service leaves to applications: registration and login (in one
// transaction over every store), the quota and item limit it gives the
// Service's hooks, rate limits on login and link attempts, answers signed
// with its response key, and JSON errors with the status codes of API.md.
//
// The HTTP API is in API.md beside main.go; New builds the handler so tests
// run it in process, and Serve runs it with graceful shutdown.
package server
