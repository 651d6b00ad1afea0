// Package keystore is a passphrase-protected key hierarchy: a random master
// KEK, wrapped under a key stretched from the user's passphrase (and under a
// recovery key), seals the user's private keys and DEKs, which a server may
// store without being able to open them.
//
// The derivation chain (SPEC.md §2, every label a named constant):
//
//	pass      = RFC 8265 OpaqueString(passphrase)   NFC, non-ASCII spaces as U+0020
//	stretched = Argon2id or PBKDF2-HMAC-SHA256(pass, salt(32))
//	authKey   = HKDF(stretched, "sealkit/keystore/v1/auth")    what a server verifies
//	unlockKey = HKDF(stretched, "sealkit/keystore/v1/unlock")  AES-KW-unwraps the master KEK
//	recovery  = HKDF(recoveryKey, "sealkit/keystore/v1/recovery") unwraps a second copy
//	sealing   = HKDF(masterKEK, ".../private-key" or ".../dek") AES-256-GCM, AD names the record
//
// Preparing the passphrase makes the NFC and NFD spellings of one
// passphrase one key; one that [RFC 8265] OpaqueString refuses (empty,
// control characters, …) is [ErrPassphrase]. Changing the passphrase rewraps the
// master KEK only. KDF parameters are
// stored in the account record, capped while parsing (a hostile record
// cannot demand minutes of CPU or gigabytes of memory), held to OWASP's
// floors by a [Policy], and raised on the next unlock when the Policy has
// moved on ([Session.NeedsRehash], [Keystore.Unlock]).
//
// # Two trust models, one format
//
// Zero-knowledge (client-side unlock): the client runs
// the KDF, unlocks, generates and opens keys; the server stores the account
// and key records (a [Store] behind its API) and checks logins with a
// [Verifier] over the auth key. The server never sees the passphrase, the
// unlock key or the master KEK; a stolen database costs an attacker one
// full KDF run per passphrase guess. Use an Argon2id policy in Go clients
// and [BrowserPolicy] (PBKDF2, WebCrypto) for accounts browsers unlock.
//
// Server custody: the server creates the account with a
// one-time passphrase from [GeneratePassphrase] (160 bits, returned to the
// user once and never stored), keeps the records, and unlocks per request
// with the passphrase the user presents, closing the Session after it.
// The server holds the user's keys while a request runs: a compromised
// server can capture them then, but records at rest stay sealed.
//
// Ways in: [NewAccount], [Account.Unlock] and [Account.Recover] work on
// records as bytes; [Keystore] does the same over a [Store] with
// compare-and-swap. A [Session] opens key records on demand and is an
// [envelope.Identity] for the records given to it, so [envelope.Open] and
// [envelope.UnwrapKey] accept it.
//
// Errors: a wrong passphrase or recovery key is [ErrUnlock], after the full
// KDF cost; a malformed or tampered record wraps [ErrCorrupt]; parameters
// outside policy wrap [ErrPolicy]; stores speak [ErrNotFound], [ErrExists]
// and [ErrConflict] (shared by every sealkit store). The byte formats are in
// SPEC.md with golden vectors in testdata/vectors.json.
//
// The passphrase KDF is Argon2id ([RFC 9106]) or PBKDF2 ([RFC 8018]); the
// subkeys are HKDF ([RFC 5869]); the master KEK is wrapped with AES-KW
// ([RFC 3394]).
//
// [RFC 8265]: https://www.rfc-editor.org/rfc/rfc8265.html
// [RFC 9106]: https://www.rfc-editor.org/rfc/rfc9106.html
// [RFC 8018]: https://www.rfc-editor.org/rfc/rfc8018.html
// [RFC 5869]: https://www.rfc-editor.org/rfc/rfc5869.html
// [RFC 3394]: https://www.rfc-editor.org/rfc/rfc3394.html
package keystore
