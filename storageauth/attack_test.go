package storageauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/storageauth"
)

// victimServer returns a server whose store holds the victim's slot at
// version 2, and the victim's version-1 and version-2 records.
func victimServer(t *testing.T, victim *storageauth.Keys) (*storageauth.Server, *storageauth.MemoryStore, [2]*storageauth.Record) {
	t.Helper()
	store := storageauth.NewMemoryStore()
	srv := storageauth.NewServer(store)
	var recs [2]*storageauth.Record
	for i := range recs {
		r, err := victim.Seal([]byte("victim keyring"), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Put(context.Background(), r); err != nil {
			t.Fatalf("storing version %d: %v", i+1, err)
		}
		recs[i] = r
	}
	return srv, store, recs
}

func mustSeal(t testing.TB, k *storageauth.Keys, keyring string, v uint64) *storageauth.Record {
	t.Helper()
	r, err := k.Seal([]byte(keyring), v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestAttacks: every forged, replayed, mutated or oversized store request is
// refused with the expected error and leaves the stored slot unchanged.
func TestAttacks(t *testing.T) {
	for _, scheme := range schemes {
		t.Run(scheme.String(), func(t *testing.T) {
			victim := testKeys(t, scheme, 1)
			attacker := testKeys(t, scheme, 2)
			vid := victim.ID().String()
			other := storageauth.Ed25519
			if scheme == storageauth.Ed25519 {
				other = storageauth.ECDSAP256
			}
			otherScheme := testKeys(t, other, 1)

			cases := []struct {
				name string
				rec  func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record
				want error
			}{
				{"garbage-into-victim-slot", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					return &storageauth.Record{ID: vid, Version: 3, Ciphertext: randBytes(64), Signature: randBytes(64)}
				}, storageauth.ErrInvalidSignature},
				{"signed-by-another-id", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, attacker, "attacker keyring", 3)
					r.ID = vid
					return r
				}, storageauth.ErrInvalidSignature},
				{"replay-old-version", func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record {
					return old[0].Clone()
				}, storageauth.ErrConflict},
				{"replay-current-version", func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record {
					return old[1].Clone()
				}, storageauth.ErrConflict},
				{"same-version-new-content", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					return mustSeal(t, victim, "other", 2)
				}, storageauth.ErrConflict},
				{"old-ciphertext-relabelled", func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record {
					r := old[0].Clone()
					r.Version = 3
					return r
				}, storageauth.ErrInvalidSignature},
				{"mutated-ciphertext", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "new keyring", 3)
					r.Ciphertext[len(r.Ciphertext)/2] ^= 0x80
					return r
				}, storageauth.ErrInvalidSignature},
				{"truncated-ciphertext", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "new keyring", 3)
					r.Ciphertext = r.Ciphertext[:len(r.Ciphertext)-1]
					return r
				}, storageauth.ErrInvalidSignature},
				{"truncated-below-nonce-and-tag", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "", 3)
					r.Ciphertext = r.Ciphertext[:27]
					return r
				}, storageauth.ErrMalformed},
				{"mutated-signature", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "new keyring", 3)
					r.Signature[5] ^= 1
					return r
				}, storageauth.ErrInvalidSignature},
				{"short-signature", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "new keyring", 3)
					r.Signature = r.Signature[:63]
					return r
				}, storageauth.ErrMalformed},
				{"wrong-scheme-signature", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					// Same IKM, other scheme: a real signature over the
					// right message, by a key of the wrong kind.
					r := mustSeal(t, otherScheme, "x", 3)
					good := mustSeal(t, victim, "x", 3)
					good.Signature = r.Signature
					return good
				}, storageauth.ErrInvalidSignature},
				{"wrong-scheme-prefix", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "x", 3)
					_, enc, _ := strings.Cut(vid, ":")
					r.ID = other.String() + ":" + enc
					return r
				}, storageauth.ErrMalformed},
				{"retrieve-proof-as-store-signature", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "x", 3)
					p, err := victim.SignRetrieve(time.Unix(3, 0))
					if err != nil {
						t.Fatal(err)
					}
					r.Signature = p.Signature
					return r
				}, storageauth.ErrInvalidSignature},
				{"version-zero", func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record {
					r := old[0].Clone()
					r.Version = 0
					return r
				}, storageauth.ErrMalformed},
				{"version-above-max", func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record {
					r := old[0].Clone()
					r.Version = storageauth.MaxVersion + 1
					return r
				}, storageauth.ErrMalformed},
				{"oversized-ciphertext", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					return &storageauth.Record{ID: vid, Version: 3, Ciphertext: make([]byte, storageauth.MaxCiphertextBytes+1), Signature: randBytes(64)}
				}, storageauth.ErrTooLarge},
			}
			if scheme == storageauth.Secp256k1 {
				cases = append(cases, struct {
					name string
					rec  func(t *testing.T, old [2]*storageauth.Record) *storageauth.Record
					want error
				}{"high-s-malleated", func(t *testing.T, _ [2]*storageauth.Record) *storageauth.Record {
					r := mustSeal(t, victim, "x", 3)
					copy(r.Signature[32:], negateModN(r.Signature[32:]))
					return r
				}, storageauth.ErrInvalidSignature})
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					srv, store, old := victimServer(t, victim)
					err := srv.Put(context.Background(), c.rec(t, old))
					if !errors.Is(err, c.want) {
						t.Fatalf("Put: %v, want %v", err, c.want)
					}
					assertStored(t, store, old[1])
				})
			}
		})
	}
}

func assertStored(t *testing.T, store storageauth.Store, want *storageauth.Record) {
	t.Helper()
	got, err := store.Get(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("slot: %v", err)
	}
	if got.Version != want.Version || !bytes.Equal(got.Ciphertext, want.Ciphertext) || !bytes.Equal(got.Signature, want.Signature) {
		t.Fatalf("slot changed: now version %d", got.Version)
	}
}

// TestConcurrentWriters: of two (or more) valid writes of the same version,
// exactly one is stored and the others get ErrConflict.
func TestConcurrentWriters(t *testing.T) {
	victim := testKeys(t, storageauth.Ed25519, 1)
	for round := range 20 {
		srv, store, _ := victimServer(t, victim)
		const writers = 4
		recs := make([]*storageauth.Record, writers)
		for i := range recs {
			recs[i] = mustSeal(t, victim, "device", 3)
		}
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range recs {
			wg.Go(func() {
				<-start
				errs[i] = srv.Put(context.Background(), recs[i])
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: two writers won", round)
				}
				winner = i
			case !errors.Is(err, storageauth.ErrConflict):
				t.Fatalf("round %d: %v, want ErrConflict", round, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		assertStored(t, store, recs[winner])
	}
}

// TestRetrieveProof: with RequireRetrieveProof, only the slot's owner,
// within the window, learns whether the slot exists.
func TestRetrieveProof(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, scheme := range schemes {
		t.Run(scheme.String(), func(t *testing.T) {
			victim := testKeys(t, scheme, 1)
			attacker := testKeys(t, scheme, 2)
			srv, _, old := victimServer(t, victim)
			srv.RequireRetrieveProof = true
			srv.Now = func() time.Time { return now }
			vid := victim.ID().String()
			proof := func(k *storageauth.Keys, at time.Time) *storageauth.RetrieveProof {
				p, err := k.SignRetrieve(at)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			got, err := srv.Get(context.Background(), vid, proof(victim, now))
			if err != nil || got.Version != old[1].Version {
				t.Fatalf("owner's Get: %v", err)
			}
			// Edges of the window are accepted.
			for _, d := range []time.Duration{-storageauth.DefaultProofWindow, storageauth.DefaultProofWindow} {
				if _, err := srv.Get(context.Background(), vid, proof(victim, now.Add(d))); err != nil {
					t.Fatalf("proof at now%+v: %v", d, err)
				}
			}
			// The owner of an empty slot learns it is empty.
			if _, err := srv.Get(context.Background(), attacker.ID().String(), proof(attacker, now)); !errors.Is(err, storageauth.ErrNotFound) {
				t.Fatalf("owner's Get of an empty slot: %v, want ErrNotFound", err)
			}
			tampered := proof(victim, now)
			tampered.Timestamp++
			refused := map[string]*storageauth.RetrieveProof{
				"none":              nil,
				"other-key":         proof(attacker, now),
				"too-old":           proof(victim, now.Add(-storageauth.DefaultProofWindow-time.Second)),
				"too-new":           proof(victim, now.Add(storageauth.DefaultProofWindow+time.Second)),
				"timestamp-changed": tampered,
				"store-signature":   {Timestamp: now.Unix(), Signature: old[1].Signature},
			}
			for name, p := range refused {
				if _, err := srv.Get(context.Background(), vid, p); !errors.Is(err, storageauth.ErrInvalidSignature) {
					t.Errorf("%s: %v, want ErrInvalidSignature", name, err)
				}
				// An empty slot answers the same: no enumeration.
				if _, err := srv.Get(context.Background(), attacker.ID().String(), p); !errors.Is(err, storageauth.ErrInvalidSignature) && name != "other-key" {
					t.Errorf("%s on an empty slot: %v, want ErrInvalidSignature", name, err)
				}
			}
		})
	}
}

// laxStore checks only prev, not that the new version is above it: the
// server's own version check must still refuse replays over it.
type laxStore struct {
	mu sync.Mutex
	m  map[string]*storageauth.Record
}

func (s *laxStore) Get(_ context.Context, id string) (*storageauth.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[id]
	if !ok {
		return nil, storageauth.ErrNotFound
	}
	return r.Clone(), nil
}

func (s *laxStore) CompareAndSwap(_ context.Context, rec *storageauth.Record, prev uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur uint64
	if r, ok := s.m[rec.ID]; ok {
		cur = r.Version
	}
	if cur != prev {
		return storageauth.ErrConflict
	}
	s.m[rec.ID] = rec.Clone()
	return nil
}

func TestServerVersionCheckOverLaxStore(t *testing.T) {
	victim := testKeys(t, storageauth.Ed25519, 1)
	store := &laxStore{m: map[string]*storageauth.Record{}}
	srv := storageauth.NewServer(store)
	v1, v2 := mustSeal(t, victim, "a", 1), mustSeal(t, victim, "b", 2)
	for _, r := range []*storageauth.Record{v1, v2} {
		if err := srv.Put(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*storageauth.Record{v1, v2, mustSeal(t, victim, "c", 2)} {
		if err := srv.Put(context.Background(), r); !errors.Is(err, storageauth.ErrConflict) {
			t.Fatalf("version %d over 2: %v, want ErrConflict", r.Version, err)
		}
	}
	assertStored(t, store, v2)
}
