// Package identity authenticates clients by Ed25519 (or ECDSA P-256) keys
// they generate themselves: key IDs, signed messages, HTTP message
// signatures ([RFC 9421]) with Content-Digest ([RFC 9530]), replay
// protection, signed responses, identity-derived at-rest keys and
// short-lived session tokens.
//
// A client holds a [PrivateKey]; the server knows only [PublicKey] values,
// listed in a [KeyRegistry] by key ID (the [RFC 7638] JWK thumbprint), with
// an owner, permissions and a revoked flag. Ways in:
//   - [Transport]: an http.RoundTripper that signs every request and can
//     verify signed responses.
//   - [Verifier]: server middleware ([Verifier.Check], [Verifier.Handler])
//     that refuses requests that are unsigned, malformed, from unknown or
//     revoked keys, stale, replayed, oversized or not over TLS, and hands a
//     *[Verified] to the handler through the request context.
//   - [SignMessage] and [MessageVerifier]: the same guarantees for messages
//     that travel outside HTTP ({payload, signature, public_key_id}).
//   - [ResponseSigner] and [VerifyResponse]: the server signs what it answers.
//   - [DeriveServerKey] and [DeriveClientKey]: per-client at-rest keys from
//     ECDH between the client's key (converted Ed25519 → X25519) and a
//     server X25519 key. On the server the derivation takes a *[Verified],
//     so it cannot run before a signature has been checked.
//   - [TokenIssuer] and [TokenVerifier]: EdDSA JWTs ([RFC 7519], [RFC 8037])
//     issued after a signed login challenge.
//   - [KeyBundle], [SignBundle] and [VerifyBundle]: a user's published keys
//     signed by their identity key, versioned and hash-chained, so a client
//     can refuse a substituted or rolled-back key; [SafetyNumber] for people
//     to compare identity keys out of band.
//
// Every rejection is a *[RejectError] carrying a machine-readable [Reason]
// and an HTTP status (401, 403 or 503); compare with errors.Is against the
// Err… values. Byte formats, labels and limits are in SPEC.md beside this
// file, with golden vectors in testdata/vectors.json.
//
// [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519.html
// [RFC 7638]: https://www.rfc-editor.org/rfc/rfc7638.html
// [RFC 8037]: https://www.rfc-editor.org/rfc/rfc8037.html
// [RFC 9421]: https://www.rfc-editor.org/rfc/rfc9421.html
// [RFC 9530]: https://www.rfc-editor.org/rfc/rfc9530.html
package identity
