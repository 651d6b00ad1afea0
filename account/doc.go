// Package account is the zero-knowledge account flow every server built
// on sealkit runs: registration, login, the encrypted key fetch and
// session tokens, over [backend.Stores].
//
// Everything secret is made and opened on the client (keystore): the
// server stores the account record (the master KEK wrapped under the
// passphrase), sealed key records, public keys and a peppered verifier of
// the auth key the passphrase derives; it never sees the passphrase or a
// key that opens a user's data. [Service.Register] checks a registration
// whole — the account record and its KDF floor, the auth key, the key
// records, the Ed25519 signing key with its proof of possession
// ([SignRegistration]), the users-directory entry — and then writes the
// account, its records, the login verifier, one place of the durable
// account count ([backend.Stores.Increment]), the signing key
// (identity.KeyRegistry) and the directory entry (share) in one
// transaction. [Service.Login] checks the auth key behind a back-off per
// user and client address; [Service.Token] exchanges a signed request for
// a short-lived token; [Service.ChangePassphrase] stores the rewrapped
// account record and the new login verifier together.
//
// The HTTP binding lives here too, not in a sub-package as share's does:
// the Service exists only on servers and the wire types are its own
// arguments, so [Routes] (one table), the [Handler] that serves it and
// the [Client] that calls it share this package. SPEC.md beside this file
// gives the routes, bodies, caps and error codes.
//
// The Service's methods are the account's life cycle: each operation on an
// account (recovery, sessions and deletion would be more) is one method
// and one entry of the route table, which the Handler and the Client both
// read.
package account
