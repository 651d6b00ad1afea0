package keystore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sealkit/sealkit/envelope"
)

// Keystore keeps accounts and key records in a Store. It is the same code in
// both trust models: a client that holds the Store's data (through its own
// transport) in the zero-knowledge model, or the server in the
// server-custody model (see the package doc).
//
// Store IDs (SPEC.md §5): "account" for the account record and
// "key/<name>/<version>" (decimal version) for key records.
type Keystore struct {
	store  Store
	policy *Policy
}

const (
	accountID = "account"
	keyPrefix = "key/"
)

func keyID(name string, version uint32) string {
	return keyPrefix + name + "/" + strconv.FormatUint(uint64(version), 10)
}

// New returns a Keystore over store with policy (nil: DefaultPolicy).
func New(store Store, policy *Policy) *Keystore {
	return &Keystore{store: store, policy: orDefault(policy)}
}

// Register creates owner's account (ErrExists if there is one) and returns
// the unlocked session and the recovery key to show once.
func (ks *Keystore) Register(ctx context.Context, owner, passphrase string) (*Session, *RecoveryKey, error) {
	a, s, rk, err := NewAccount(owner, passphrase, ks.policy)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ks.store.Put(ctx, owner, accountID, a.Bytes()); err != nil {
		s.Close()
		rk.Destroy()
		return nil, nil, err
	}
	return s, rk, nil
}

// Account fetches and parses owner's account record, and its store version.
func (ks *Keystore) Account(ctx context.Context, owner string) (*Account, uint64, error) {
	e, err := ks.store.Get(ctx, owner, accountID)
	if err != nil {
		return nil, 0, err
	}
	a, err := ParseAccount(e.Data)
	if err != nil {
		return nil, 0, err
	}
	if a.owner != owner {
		return nil, 0, fmt.Errorf("%w: account record of another owner", ErrCorrupt)
	}
	return a, e.Version, nil
}

// Unlock unlocks owner's account with passphrase. When the policy has moved
// on since the record was written it also stores an upgraded record (one
// more KDF run); if another writer changed the record meanwhile, the
// upgrade is left for the next unlock. The session's AuthKey is then the
// new one: re-enroll it with the Verifier.
func (ks *Keystore) Unlock(ctx context.Context, owner, passphrase string) (*Session, error) {
	a, ver, err := ks.Account(ctx, owner)
	if err != nil {
		return nil, err
	}
	s, err := a.Unlock(passphrase, ks.policy)
	if err != nil {
		return nil, err
	}
	if s.NeedsRehash() {
		na, err := s.ChangePassphrase(a, passphrase, ks.policy)
		if err == nil {
			_, err = ks.store.Update(ctx, owner, accountID, ver, na.Bytes())
		}
		if err != nil && !errors.Is(err, ErrConflict) {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Recover unlocks owner's account with the recovery key and sets
// newPassphrase, so the session returned has an AuthKey to enroll.
func (ks *Keystore) Recover(ctx context.Context, owner string, rk *RecoveryKey, newPassphrase string) (*Session, error) {
	a, ver, err := ks.Account(ctx, owner)
	if err != nil {
		return nil, err
	}
	s, err := a.Recover(rk)
	if err != nil {
		return nil, err
	}
	if err := ks.storePassphrase(ctx, s, a, ver, newPassphrase); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ChangePassphrase rewraps the session's master KEK under newPassphrase and
// stores the account record; nothing else is re-encrypted.
func (ks *Keystore) ChangePassphrase(ctx context.Context, s *Session, newPassphrase string) error {
	a, ver, err := ks.Account(ctx, s.owner)
	if err != nil {
		return err
	}
	return ks.storePassphrase(ctx, s, a, ver, newPassphrase)
}

func (ks *Keystore) storePassphrase(ctx context.Context, s *Session, a *Account, ver uint64, pass string) error {
	na, err := s.ChangePassphrase(a, pass, ks.policy)
	if err != nil {
		return err
	}
	_, err = ks.store.Update(ctx, s.owner, accountID, ver, na.Bytes())
	return err
}

// CreateKey generates a key of kind as version 1 of name and stores it
// (ErrExists if name has a version 1).
func (ks *Keystore) CreateKey(ctx context.Context, s *Session, name string, kind Kind) (*KeyRecord, error) {
	return ks.put(ctx, s, name, kind, 1)
}

func (ks *Keystore) put(ctx context.Context, s *Session, name string, kind Kind, version uint32) (*KeyRecord, error) {
	r, err := s.GenerateKey(name, kind, version)
	if err != nil {
		return nil, err
	}
	if _, err := ks.store.Put(ctx, s.owner, keyID(name, version), r.Bytes()); err != nil {
		return nil, err
	}
	return r, nil
}

// Rotate generates a new key of the same kind as version n+1 of name, which
// becomes current; older versions stay stored and openable. Two concurrent
// rotations cannot both win: the loser gets ErrConflict.
func (ks *Keystore) Rotate(ctx context.Context, s *Session, name string) (*KeyRecord, error) {
	cur, err := ks.Key(ctx, s.owner, name, 0)
	if err != nil {
		return nil, err
	}
	r, err := ks.put(ctx, s, name, cur.kind, cur.version+1)
	if errors.Is(err, ErrExists) {
		return nil, fmt.Errorf("keystore: rotate %s: %w", name, ErrConflict)
	}
	return r, err
}

// Key fetches version of name (0: the current, highest version) and checks
// that the record is the one asked for.
func (ks *Keystore) Key(ctx context.Context, owner, name string, version uint32) (*KeyRecord, error) {
	if version == 0 {
		versions, err := ks.Versions(ctx, owner, name)
		if err != nil {
			return nil, err
		}
		if len(versions) == 0 {
			return nil, fmt.Errorf("keystore: key %s: %w", name, ErrNotFound)
		}
		version = versions[len(versions)-1]
	}
	e, err := ks.store.Get(ctx, owner, keyID(name, version))
	if err != nil {
		return nil, err
	}
	r, err := ParseKeyRecord(e.Data)
	if err != nil {
		return nil, err
	}
	if r.owner != owner || r.name != name || r.version != version {
		return nil, fmt.Errorf("%w: record stored as %s v%d names another key", ErrCorrupt, name, version)
	}
	return r, nil
}

// Versions lists the stored versions of name, increasing.
func (ks *Keystore) Versions(ctx context.Context, owner, name string) ([]uint32, error) {
	entries, err := ks.store.List(ctx, owner)
	if err != nil {
		return nil, err
	}
	var out []uint32
	prefix := keyPrefix + name + "/"
	for _, e := range entries {
		if v, ok := strings.CutPrefix(e.ID, prefix); ok {
			if n, err := strconv.ParseUint(v, 10, 32); err == nil && n > 0 {
				out = append(out, uint32(n))
			}
		}
	}
	slices.Sort(out) // IDs sort as strings ("10" < "9"); versions as numbers
	return out, nil
}

// Keys returns every key record of owner, all versions. Records that do not
// parse or are stored under another name are skipped with an error joined
// into err, so one bad record does not hide the others.
func (ks *Keystore) Keys(ctx context.Context, owner string) ([]*KeyRecord, error) {
	entries, err := ks.store.List(ctx, owner)
	if err != nil {
		return nil, err
	}
	var out []*KeyRecord
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.ID, keyPrefix) {
			continue
		}
		r, err := ParseKeyRecord(e.Data)
		if err == nil && (r.owner != owner || keyID(r.name, r.version) != e.ID) {
			err = fmt.Errorf("%w: record stored as %s names another key", ErrCorrupt, e.ID)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// OpenKey fetches and opens version of name (0: current).
func (ks *Keystore) OpenKey(ctx context.Context, s *Session, name string, version uint32) (*PrivateKey, error) {
	r, err := ks.Key(ctx, s.owner, name, version)
	if err != nil {
		return nil, err
	}
	return s.OpenKey(r)
}

// CreateDEK generates a 256-bit DEK as version 1 of name, stores it sealed,
// and returns it.
func (ks *Keystore) CreateDEK(ctx context.Context, s *Session, name string) (*envelope.Key, error) {
	r, err := ks.put(ctx, s, name, DEK, 1)
	if err != nil {
		return nil, err
	}
	return s.OpenDEK(r)
}

// OpenDEK fetches and opens version of the DEK name (0: current).
func (ks *Keystore) OpenDEK(ctx context.Context, s *Session, name string, version uint32) (*envelope.Key, error) {
	r, err := ks.Key(ctx, s.owner, name, version)
	if err != nil {
		return nil, err
	}
	return s.OpenDEK(r)
}

// LoadKeys adds all of the owner's key records to the session, so it can
// serve as the envelope.Identity for any of them (each opened on first use).
func (ks *Keystore) LoadKeys(ctx context.Context, s *Session) error {
	rs, err := ks.Keys(ctx, s.owner)
	s.AddKeys(rs...)
	return err
}
