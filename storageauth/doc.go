// Package storageauth ties a server-side storage slot to a user without an
// account: from one secret the user holds before logging in (a passkey's
// PRF output, a wallet signature, a seed) it derives both the key that
// encrypts the user's keyring and a signing keypair whose public key is the
// slot ID. The server stores a ciphertext under an ID only if that ID's key
// signed it, at a version above the stored one, so nobody can fill another
// user's slot with garbage or roll it back to an old keyring.
//
// Client side:
//   - [IKMFromPRF], [IKMFromWalletSignature], [IKMFromSeed]: separate the
//     sources.
//   - [Derive]: IKM and an application context to [Keys] (KEK, keypair,
//     ID), with Ed25519 (default), ECDSA P-256 or secp256k1 signatures.
//   - [Keys.Seal] and [Keys.Open]: AES-256-GCM bound to slot and version,
//     and a signature over slot, version and ciphertext hash.
//   - [Client]: [Client.Store] and [Client.Retrieve] over HTTP, refusing
//     rollbacks.
//
// Server side:
//   - [Server]: [Server.Put] and [Server.Get] (and [Server.ServeHTTP])
//     verify before storing, compare-and-swap on the version, and
//     optionally require a retrieve proof.
//   - [Store]: the storage interface, [MemoryStore] its reference
//     implementation, [github.com/sealkit/sealkit/storageauth/storageauthtest.Run]
//     its conformance suite.
//
// Threat model: the server (or anyone on the network) may read, drop,
// replay or rewrite anything it stores or carries. It cannot read a keyring,
// cannot store anything a slot's owner did not sign, and cannot make a
// client that remembers its last version accept an older keyring. It can
// withhold the newest record from a client that has never seen it, and it
// learns slot IDs, versions, sizes and timing.
//
// Formats, labels and limits are specified in SPEC.md beside this file, with
// golden vectors in testdata/vectors.json.
package storageauth
