// Package server is the reference zero-knowledge vault server: an
// http.Handler built only from sealkit's public API (share, identity,
// account, storageauth, httplimit and the backends) and the module's
// wire convention (internal/httpwire).
//
// It stores what clients made — keystore account and key records, public
// keys, item records, wrapped keys and ciphertext — and never a key that
// opens any of it. Users authenticate with RFC 9421 signed requests (their
// Ed25519 key, registered at sign-up) or with a short-lived EdDSA token
// obtained by a signed request after login. Registration and login are
// package account's (one transaction over every store); the server adds
// the quota and item limit it gives share's Service hooks, rate limits on
// link attempts and storageauth slots, answers signed
// with its response key, and JSON errors with the status codes of API.md.
//
// The HTTP API is in API.md beside main.go; New builds the handler so tests
// run it in process, and Serve runs it with graceful shutdown.
package server
