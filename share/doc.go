// Package share is sealkit's sharing layer: encrypted items with a
// registry of per-recipient wrapped DEKs, E2EE shares to registered users,
// connections by invitation with per-connection keypairs, encryption
// spaces, public password links, revocation with optional key rotation, and
// a signed, hash-chained audit trail.
//
// Two halves meet at Transport:
//
//   - Client is the user side. It seals with envelope (associated data
//     ItemAD(id, owner, version), so a server that swaps ciphertexts,
//     headers or wrapped keys between records is caught at open), wraps and
//     unwraps DEKs, signs audit events with Ed25519, and keeps its private
//     keys under its own KEK.
//   - Service is the server side. It enforces the access-control matrix
//     (owner: upload, share, revoke, delete, read; recipient: read), checks
//     signed events and chains them, counts link downloads atomically, and
//     never holds a key that opens an item. Every method takes the acting,
//     already-verified user.
//
// Transports: Local calls a Service in process (the reference); package
// share/sharehttp carries the same calls over HTTP, with authentication
// left to its Handler's principal function and the client's *http.Client
// (identity's verifier and signing RoundTripper plug in there). Transport
// is made of small roles (Directory, Items, Shares, Connections, Links,
// LinkOpener); a function takes the smallest it uses.
//
// Storage: small registry interfaces (ItemStore, KeyStore, UserStore,
// ShareStore, InvitationStore, ConnectionStore, SpaceStore, LinkStore,
// AuditLog) with an in-memory implementation (Memory) and conformance
// suites in share/sharetest; BlobStore with MemoryBlobs and FileBlobs.
//
// Byte formats, labels, limits, the HTTP routes and what revocation can and
// cannot promise are in SPEC.md beside this file, with golden vectors in
// testdata/vectors.json.
package share
