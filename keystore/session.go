package keystore

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/internal/aeskw"
)

// Session is an unlocked account: it holds the master KEK (and the sealing
// keys derived from it) in memory, seals new key records, opens records on
// demand, and, for the records added with AddKeys, is an envelope.Identity.
// Close clears what it holds. A Session is safe for concurrent use.
type Session struct {
	owner string

	mu      sync.Mutex
	kek     []byte
	authKey []byte
	rehash  bool
	keyAEAD cipher.AEAD // seals private keys
	dekAEAD cipher.AEAD // seals DEKs
	records []*KeyRecord
	opened  map[*KeyRecord]envelope.Identity
}

var _ envelope.Identity = (*Session)(nil)

func newSession(owner string, kek, authKey []byte, rehash bool) *Session {
	return &Session{
		owner: owner, kek: kek, authKey: authKey, rehash: rehash,
		keyAEAD: sealer(kek, labelPrivateKey),
		dekAEAD: sealer(kek, labelDEK),
		opened:  map[*KeyRecord]envelope.Identity{},
	}
}

// sealer is AES-256-GCM with random 12-byte nonces (prepended) under
// HKDF(kek, label): the form Go's FIPS module allows, and WebCrypto's.
func sealer(kek []byte, label string) cipher.AEAD {
	k := subkey(kek, label)
	defer clear(k)
	b, err := aes.NewCipher(k)
	if err != nil {
		panic("keystore: " + err.Error())
	}
	a, err := cipher.NewGCMWithRandomNonce(b)
	if err != nil {
		panic("keystore: " + err.Error())
	}
	return a
}

// Owner returns the account owner.
func (s *Session) Owner() string { return s.owner }

// AuthKey returns a copy of the 32-byte auth key derived at unlock (or at
// the last ChangePassphrase): what a client sends to the server's Verifier.
// It is nil for a session opened with a recovery key.
func (s *Session) AuthKey() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.authKey)
}

// NeedsRehash reports whether the account's KDF parameters are weaker than
// the policy's: store the record ChangePassphrase returns for the same
// passphrase (Keystore.Unlock does).
func (s *Session) NeedsRehash() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rehash
}

// ChangePassphrase returns a copy of a (the account this session unlocked)
// with the master KEK wrapped under newPassphrase, a fresh salt and the
// policy's parameters (nil: DefaultPolicy). Nothing else is re-encrypted:
// key records and the recovery path stay as they are. The session's AuthKey
// becomes the new one; enroll it with the server. A passphrase that RFC 8265
// OpaqueString refuses returns ErrPassphrase.
func (s *Session) ChangePassphrase(a *Account, newPassphrase string, p *Policy) (*Account, error) {
	p = orDefault(p)
	if a.owner != s.owner {
		return nil, fmt.Errorf("keystore: account of another owner")
	}
	if _, err := preparePassphrase(newPassphrase); err != nil {
		return nil, err
	}
	if err := p.check(p.Params); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, ErrClosed
	}
	na := &Account{owner: a.owner, recovery: bytes.Clone(a.recovery)}
	authKey, err := na.setPassphrase(s.kek, newPassphrase, p.Params)
	if err != nil {
		return nil, err
	}
	clear(s.authKey)
	s.authKey, s.rehash = authKey, false
	return na, nil
}

// NewRecoveryKey returns a copy of a whose recovery path is a fresh
// recovery key (the old one stops working once the copy is stored).
func (s *Session) NewRecoveryKey(a *Account) (*Account, *RecoveryKey, error) {
	if a.owner != s.owner {
		return nil, nil, fmt.Errorf("keystore: account of another owner")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, nil, ErrClosed
	}
	rk := GenerateRecoveryKey()
	wk := rk.wrapKey()
	defer clear(wk)
	rec, err := aeskw.Wrap(wk, s.kek)
	if err != nil {
		return nil, nil, err
	}
	na := *a
	na.recovery = rec
	return &na, rk, nil
}

// GenerateKey makes a new key of kind and seals it as version of name. For
// kind DEK, prefer NewDEK, which also returns the key.
func (s *Session) GenerateKey(name string, kind Kind, version uint32) (*KeyRecord, error) {
	priv, pub, err := generate(kind)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	return s.seal(name, kind, version, pub, priv)
}

// NewDEK makes a random 256-bit data key, sealed as version of name, and
// returns it with its record.
func (s *Session) NewDEK(name string, version uint32) (*KeyRecord, *envelope.Key, error) {
	r, err := s.GenerateKey(name, DEK, version)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.OpenDEK(r)
	return r, k, err
}

func (s *Session) seal(name string, kind Kind, version uint32, pub, priv []byte) (*KeyRecord, error) {
	r := &KeyRecord{owner: s.owner, name: name, kind: kind, version: version, public: pub}
	aead, err := s.aead(kind)
	if err != nil {
		return nil, err
	}
	r.sealed = aead.Seal(nil, nil, priv, r.ad())
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Session) aead(kind Kind) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, ErrClosed
	}
	if kind == DEK {
		return s.dekAEAD, nil
	}
	return s.keyAEAD, nil
}

// open authenticates and decrypts r's private part.
func (s *Session) open(r *KeyRecord) ([]byte, error) {
	if r.owner != s.owner {
		return nil, fmt.Errorf("%w: key record of another owner", ErrCorrupt)
	}
	aead, err := s.aead(r.kind)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nil, r.sealed, r.ad())
	if err != nil {
		return nil, fmt.Errorf("%w: key record %s v%d does not open", ErrCorrupt, r.name, r.version)
	}
	return pt, nil
}

// OpenKey opens a key record sealed by this account. A record moved to
// another owner, name, kind or version, or altered in any byte, returns
// ErrCorrupt.
func (s *Session) OpenKey(r *KeyRecord) (*PrivateKey, error) {
	if r.kind == DEK {
		return nil, fmt.Errorf("keystore: %s is a DEK; use OpenDEK", r.name)
	}
	pt, err := s.open(r)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	key, err := parsePrivate(r.kind, pt)
	if err != nil {
		return nil, fmt.Errorf("%w: key record %s v%d: %v", ErrCorrupt, r.name, r.version, err)
	}
	return &PrivateKey{kind: r.kind, name: r.name, version: r.version, key: key}, nil
}

// OpenDEK opens a DEK record sealed by this account.
func (s *Session) OpenDEK(r *KeyRecord) (*envelope.Key, error) {
	if r.kind != DEK {
		return nil, fmt.Errorf("keystore: %s is not a DEK", r.name)
	}
	pt, err := s.open(r)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	k, err := envelope.NewKeyFromBytes(pt)
	if err != nil {
		return nil, fmt.Errorf("%w: DEK record %s v%d", ErrCorrupt, r.name, r.version)
	}
	return k, nil
}

// AddKeys makes records available to Unwrap, which opens each on first use.
// Records of other owners and DEKs are ignored.
func (s *Session) AddKeys(records ...*KeyRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		if r.owner == s.owner && r.kind != DEK {
			s.records = append(s.records, r)
		}
	}
}

// hintSize is the length of envelope's public-key hints.
const hintSize = 8

// stanzaMatches reports whether a key of kind k unwraps stanzas of type typ.
func stanzaMatches(typ string, k Kind) bool {
	switch typ {
	case "rsa-oaep-256":
		return rsaBits(k) != 0
	case "x25519":
		return k == X25519
	case "mlkem768x25519":
		return k == MLKEM768X25519
	}
	return false
}

// Unwrap implements envelope.Identity over the records added with AddKeys:
// for each stanza it finds the records whose kind and public-key hint match
// (SHA-256(public)[:8], as envelope writes it), opens them on first use, and
// lets their identity unwrap.
func (s *Session) Unwrap(stanzas []*envelope.Stanza) ([]byte, error) {
	s.mu.Lock()
	records := s.records
	s.mu.Unlock()
	var lastErr error
	for _, st := range stanzas {
		for _, r := range records {
			if !stanzaMatches(st.Type, r.kind) {
				continue
			}
			if len(st.Hint) != 0 {
				h := sha256.Sum256(r.public)
				if !bytes.Equal(st.Hint, h[:hintSize]) {
					continue
				}
			}
			id, err := s.identity(r)
			if err != nil {
				lastErr = err
				continue
			}
			k, err := id.Unwrap([]*envelope.Stanza{st})
			if err == nil {
				return k, nil
			}
			if !errors.Is(err, envelope.ErrIncorrectIdentity) {
				lastErr = err
			}
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, fmt.Errorf("%w (keystore session)", envelope.ErrIncorrectIdentity)
}

func (s *Session) identity(r *KeyRecord) (envelope.Identity, error) {
	s.mu.Lock()
	id := s.opened[r]
	s.mu.Unlock()
	if id != nil {
		return id, nil
	}
	k, err := s.OpenKey(r)
	if err != nil {
		return nil, err
	}
	if id, err = k.Identity(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.opened != nil {
		s.opened[r] = id
	}
	s.mu.Unlock()
	return id, nil
}

// KEK returns the account's envelope KEK: a key derived from the master KEK
// (SPEC.md §2) that wraps and unwraps DEKs as an envelope recipient and
// identity, with the owner as its key ID. It is what share.Client.KEK
// takes: DEKs wrapped under it live in the share registry, not here, and
// changing the passphrase does not change it. The returned KEK holds its
// own copy of the key and outlives Close; drop it with the session.
func (s *Session) KEK() (*envelope.KEK, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, ErrClosed
	}
	k := subkey(s.kek, labelEnvelopeKEK)
	defer clear(k)
	return envelope.NewKEK(s.owner, k)
}

// Close clears the master KEK and auth key and drops the sealing keys and
// opened private keys (best effort: Go cannot promise that no copy
// remains). Every later use returns ErrClosed.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.kek)
	clear(s.authKey)
	s.kek, s.authKey, s.keyAEAD, s.dekAEAD = nil, nil, nil, nil
	s.records, s.opened = nil, nil
}
