// Package keylog is sealkit's key transparency log: an append-only Merkle
// log (RFC 6962 / RFC 9162 hashing) of key-bundle entries, with
// checkpoints in the C2SP tlog-checkpoint form signed as C2SP signed
// notes, so a server that hands different users different keys for one
// name is caught.
//
// Server side, a [Log] over a [Store] appends entries ([Log.Append]),
// signs checkpoints and answers proofs with bounded work; [NewHandler]
// serves it over HTTP and [HTTPSource] reads it back. Client side, all
// pure verification that WebCrypto can reproduce (Ed25519 and SHA-256
// only):
//   - [Verifier] checks a checkpoint's signature and an entry's inclusion;
//   - [Client] keeps the newest checkpoint it has seen and accepts a newer
//     one only with a valid consistency proof, reporting [ErrFork],
//     [ErrRollback] or [ErrBadProof];
//   - [Monitor] scans the log for entries under its user's name that the
//     user did not make ([ErrUnknownKey], [ErrUnknownEntry], [ErrReplayed]).
//
// The Merkle tree and proof code is github.com/transparency-dev/merkle;
// checkpoints and notes are github.com/transparency-dev/formats/log and
// golang.org/x/mod/sumdb/note. The formats, limits and the storage model
// are in SPEC.md.
package keylog
