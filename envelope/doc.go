// Package envelope seals objects for one or more recipients: per-object
// envelope encryption that is streaming, seekable and key-committing.
//
// Each envelope has a fresh 256-bit file key (DEK). The payload is a STREAM
// of AES-256-GCM segments (64 KiB by default) under a key derived from the
// DEK, so memory stays O(segment) for any size, truncation and reordering
// are detected, and any byte range can be read without the rest
// (NewReaderAt). The header carries the DEK wrapped for each recipient
// (RSA-OAEP, X25519 and ML-KEM-768+X25519 through HPKE, passphrases, KEKs,
// external AEADs such as a KMS), optional encrypted metadata, and an HMAC
// that commits to the DEK and binds caller-supplied associated data.
//
// Ways in:
//   - [Seal] and [Open]: one-shot over byte slices; [SealAppend] and
//     [OpenAppend] append to a caller's buffer, as [crypto/cipher.AEAD] does.
//   - [NewWriter] and [NewReader]: streaming, io.WriteCloser and io.Reader;
//     [NewPayloadWriter] writes the payload alone and hands back the header,
//     for stores that keep the two apart.
//   - [NewReaderAt]: random access for HTTP range requests on large objects.
//   - [WrapKey], [UnwrapKey] and [Rewrap]: keys kept apart from the envelope,
//     and recipients added or removed without touching the payload.
//
// Every way in takes the associated data as its argument after the data,
// as [crypto/cipher.AEAD] and crypto/hpke do: it is the binding that stops a
// server from swapping ciphertexts between records, so it is not an option
// to forget. nil is the empty associated data.
//
// Threat model: whoever stores or carries envelopes (a server, a CDN) may
// read, change, drop, reorder or swap any byte; they learn the payload
// length, the segment size, the recipients' key hints and nothing else.
// Open either returns the plaintext the sender sealed for this associated
// data or an error: a *NoIdentityMatchError when none of the given keys
// opens it, an error wrapping ErrCorrupt when it was changed. A recipient
// can read and re-seal what it can open; envelopes are not signatures.
//
// Keys have a one-line text form for files and command lines (SPEC §10):
// recipients print with String and parse with ParseRecipient or
// ParseRecipients, identities with SecretKeyString and ParseIdentity.
//
// The byte format is specified in SPEC.md beside this file, with golden
// vectors in testdata/vectors.json.
package envelope
