package keylog

import (
	"encoding/json"
	"fmt"

	"github.com/sealkit/sealkit/internal/httpwire"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Proof limits.
const (
	// MaxProofHashes caps the hashes of one proof: below 2^53 an inclusion
	// proof has at most 53 and a consistency proof at most 54.
	MaxProofHashes = 64
	// MaxProofBytes caps a proof's JSON encoding.
	MaxProofBytes = 8 << 10
)

// InclusionProof proves that the entry at Index is in the tree of Size:
// the RFC 9162 inclusion path, leaf to root.
type InclusionProof struct {
	Index  uint64   `json:"index"`
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes"`
}

// ConsistencyProof proves that the tree of Old is a prefix of the tree of
// New (RFC 9162 consistency proof).
type ConsistencyProof struct {
	Old    uint64   `json:"old"`
	New    uint64   `json:"new"`
	Hashes [][]byte `json:"hashes"`
}

// wire is the JSON convention of keylog's HTTP API and proof encodings.
var wire = httpwire.Convention{
	Package:  "keylog",
	TooLarge: ErrMalformed,
	Invalid:  ErrMalformed,
	Codes: []httpwire.Code{
		{Code: "not_found", Status: 404, Err: ErrNotFound},
		{Code: "out_of_range", Status: 400, Err: ErrRange},
		{Code: "malformed", Status: 400, Err: ErrMalformed},
	},
}

func checkHashes(hs [][]byte) error {
	if len(hs) > MaxProofHashes {
		return malformed("proof of %d hashes, over %d", len(hs), MaxProofHashes)
	}
	for _, h := range hs {
		if len(h) != HashSize {
			return malformed("proof hash of %d bytes, want %d", len(h), HashSize)
		}
	}
	return nil
}

// ParseInclusionProof decodes the JSON form of an inclusion proof
// ({"index", "size", "hashes": [base64…]}, no other fields, at most
// [MaxProofBytes]), refusing with [ErrMalformed] what is over a cap or has
// a hash not of [HashSize] bytes.
func ParseInclusionProof(b []byte) (*InclusionProof, error) {
	var p InclusionProof
	if err := wire.DecodeJSON(b, MaxProofBytes, &p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *InclusionProof) check() error {
	if p.Size > MaxSize || p.Index >= p.Size {
		return malformed("inclusion proof of index %d in size %d", p.Index, p.Size)
	}
	return checkHashes(p.Hashes)
}

// ParseConsistencyProof decodes the JSON form of a consistency proof
// ({"old", "new", "hashes": [base64…]}), with the caps of
// [ParseInclusionProof] and Old ≤ New.
func ParseConsistencyProof(b []byte) (*ConsistencyProof, error) {
	var p ConsistencyProof
	if err := wire.DecodeJSON(b, MaxProofBytes, &p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *ConsistencyProof) check() error {
	if p.New > MaxSize || p.Old > p.New {
		return malformed("consistency proof from size %d to %d", p.Old, p.New)
	}
	return checkHashes(p.Hashes)
}

// Marshal returns p's JSON form.
func (p *InclusionProof) Marshal() []byte { return mustJSON(p) }

// Marshal returns p's JSON form.
func (p *ConsistencyProof) Marshal() []byte { return mustJSON(p) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("keylog: " + err.Error()) // only slices and integers: cannot fail
	}
	return b
}

// VerifyInclusion checks that e is the entry at p.Index of the tree cp
// commits to. p.Size must be cp.Size; any failure is [ErrBadProof] (or
// [ErrMalformed] for an entry or proof over a cap).
func (v *Verifier) VerifyInclusion(cp *Checkpoint, e Entry, p *InclusionProof) error {
	if err := e.Check(); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	if p.Size != cp.Size {
		return fmt.Errorf("%w: proof for size %d, checkpoint of size %d", ErrBadProof, p.Size, cp.Size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.Size, e.LeafHash(), p.Hashes, cp.Hash); err != nil {
		return fmt.Errorf("%w: inclusion: %v", ErrBadProof, err)
	}
	return nil
}

// VerifyConsistency checks that the tree old commits to is a prefix of
// the one new commits to. Sizes that do not match the proof, or a proof
// that does not verify, are [ErrBadProof]; it says nothing about forks
// (see [Client.Accept]).
func (v *Verifier) VerifyConsistency(old, new *Checkpoint, p *ConsistencyProof) error {
	if err := p.check(); err != nil {
		return err
	}
	if p.Old != old.Size || p.New != new.Size {
		return fmt.Errorf("%w: proof from %d to %d, checkpoints of %d and %d", ErrBadProof, p.Old, p.New, old.Size, new.Size)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, p.Old, p.New, p.Hashes, old.Hash, new.Hash); err != nil {
		return fmt.Errorf("%w: consistency: %v", ErrBadProof, err)
	}
	return nil
}
