package storageauth

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Server is the server side of storage authorisation: it stores a record
// under a slot ID only if the record is signed by that ID's key and its
// version is above the stored one, so nobody can fill another user's slot
// or roll it back. It never sees a key that opens a keyring.
//
// Server is an http.Handler (see ServeHTTP); Put and Get are the same checks
// for callers in the same process. Set its fields before first use.
type Server struct {
	// Store holds the records. Required.
	Store Store

	// RequireRetrieveProof makes Get refuse requests without a valid
	// RetrieveProof, which stops slot enumeration. Clients of this package
	// always send one.
	RequireRetrieveProof bool

	// ProofWindow is how far a retrieve proof's timestamp may be from Now;
	// zero means DefaultProofWindow. A proof can be replayed within it, which
	// only returns the ciphertext again.
	ProofWindow time.Duration

	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// MaxCiphertext is the longest ciphertext Put stores, in bytes; zero
	// means DefaultMaxCiphertext, and values above MaxCiphertextBytes mean
	// MaxCiphertextBytes. Slots are anonymous, so every byte allowed here
	// is a byte anyone can make the server keep. A longer ciphertext is
	// ErrTooLarge.
	MaxCiphertext int

	// AllowCreate, if set, is asked before a record goes into an empty
	// slot, after its signature verified: anyone can make a slot ID, so
	// this is where a server bounds who creates slots and how many (per
	// client address, say, carried in ctx by a middleware). Its error stops
	// the store and is returned by Put; wrap ErrRateLimited or ErrFull to
	// have ServeHTTP answer 429 or 507. Updates of a slot that holds a
	// record do not ask it.
	AllowCreate func(ctx context.Context, id string) error
}

// DefaultMaxCiphertext is Server.MaxCiphertext's default, 64 KiB: a keyring
// is a handful of keys, far below it.
const DefaultMaxCiphertext = 64 << 10

func (s *Server) maxCiphertext() int {
	if s.MaxCiphertext <= 0 {
		return DefaultMaxCiphertext
	}
	return min(s.MaxCiphertext, MaxCiphertextBytes)
}

// maxBody is the longest PUT body read: half as much again as the longest
// ciphertext, as MaxRecordBytes is to MaxCiphertextBytes, which leaves room
// for base64url (4/3) and the other members.
func (s *Server) maxBody() int {
	n := s.maxCiphertext()
	return n + n/2
}

// NewServer returns a Server over store.
func NewServer(store Store) *Server { return &Server{Store: store} }

// Put verifies rec and stores it. It returns an error wrapping ErrMalformed
// or ErrTooLarge for a bad record (or a ciphertext over MaxCiphertext),
// ErrInvalidSignature if the signature does not verify under rec.ID,
// ErrConflict if rec.Version is not above the stored version (replay,
// rollback, or a lost race), or AllowCreate's error for a refused new slot.
// On any error the stored slot is unchanged.
func (s *Server) Put(ctx context.Context, rec *Record) error {
	id, err := rec.check()
	if err != nil {
		return err
	}
	if n := s.maxCiphertext(); len(rec.Ciphertext) > n {
		return &wrapped{"ciphertext longer than " + strconv.Itoa(n) + " bytes", ErrTooLarge}
	}
	if !verify(id, storeMessage(rec.ID, rec.Version, rec.Ciphertext), rec.Signature) {
		return &wrapped{"store signature does not verify under the slot ID", ErrInvalidSignature}
	}
	var prev uint64
	cur, err := s.Store.Get(ctx, rec.ID)
	switch {
	case err == nil:
		prev = cur.Version
	case !errors.Is(err, ErrNotFound):
		return err
	}
	if rec.Version <= prev {
		return &wrapped{"version " + strconv.FormatUint(rec.Version, 10) +
			" is not above the stored version " + strconv.FormatUint(prev, 10), ErrConflict}
	}
	if prev == 0 && s.AllowCreate != nil {
		if err := s.AllowCreate(ctx, rec.ID); err != nil {
			return err
		}
	}
	return s.Store.CompareAndSwap(ctx, rec, prev)
}

// Get returns the record stored under id. proof may be nil unless
// RequireRetrieveProof is set; a proof that is given must be valid. Errors
// wrap ErrMalformed, ErrInvalidSignature or ErrNotFound; with
// RequireRetrieveProof, ErrNotFound is only ever returned to the slot's
// owner.
func (s *Server) Get(ctx context.Context, id string, proof *RetrieveProof) (*Record, error) {
	pid, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	if proof == nil && s.RequireRetrieveProof {
		return nil, &wrapped{"retrieve proof required", ErrInvalidSignature}
	}
	if proof != nil {
		if err := s.checkProof(pid, proof); err != nil {
			return nil, err
		}
	}
	return s.Store.Get(ctx, id)
}

func (s *Server) checkProof(id ID, p *RetrieveProof) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	window := s.ProofWindow
	if window <= 0 {
		window = DefaultProofWindow
	}
	t := now().Unix()
	w := int64(window / time.Second)
	if p.Timestamp < 0 || p.Timestamp < t-w || p.Timestamp > t+w {
		return &wrapped{"retrieve proof timestamp outside the window", ErrInvalidSignature}
	}
	if !verify(id, retrieveMessage(id.String(), p.Timestamp), p.Signature) {
		return &wrapped{"retrieve proof does not verify under the slot ID", ErrInvalidSignature}
	}
	return nil
}
