package keystore

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/sealkit/sealkit/internal/aeskw"
)

// accountMagic opens every account record: "SKAC".
var accountMagic = []byte("SKAC")

const (
	accountVersion = 1
	// MaxOwnerLen caps an owner identifier (bytes) in every record.
	MaxOwnerLen = 255
)

// Account is the passphrase-protected root of a user's keys: the KDF
// parameters and salt, and the random 256-bit master KEK wrapped (AES-KW)
// under the unlock key and, optionally, under the recovery key. It holds no
// secret a server could use: storing it server-side is the point.
type Account struct {
	owner    string
	params   KDFParams
	salt     []byte
	wrapped  []byte // AES-KW(unlockKey, KEK)
	recovery []byte // AES-KW(recoveryWrapKey, KEK), or empty
}

// Owner returns the account's owner identifier.
func (a *Account) Owner() string { return a.owner }

// Params returns the KDF parameters the account was sealed with.
func (a *Account) Params() KDFParams { return a.params }

// HasRecovery reports whether a recovery key can unlock the account.
func (a *Account) HasRecovery() bool { return len(a.recovery) != 0 }

// NewAccount creates an account for owner protected by passphrase with the
// policy's parameters (nil: DefaultPolicy), and a recovery key that is a
// second way in. Show the recovery key to its owner once (RecoveryKey.Phrase)
// and do not store it. The returned session is unlocked; its AuthKey is what
// the server enrolls (Verifier.Enroll). A passphrase that RFC 8265
// OpaqueString refuses returns ErrPassphrase (SPEC.md §2).
func NewAccount(owner, passphrase string, p *Policy) (*Account, *Session, *RecoveryKey, error) {
	p = orDefault(p)
	if err := checkOwner(owner); err != nil {
		return nil, nil, nil, err
	}
	if _, err := preparePassphrase(passphrase); err != nil {
		return nil, nil, nil, err
	}
	if err := p.check(p.Params); err != nil {
		return nil, nil, nil, err
	}
	kek := make([]byte, kekSize)
	rand.Read(kek)
	rk := GenerateRecoveryKey()
	a := &Account{owner: owner}
	var err error
	if a.recovery, err = aeskw.Wrap(rk.wrapKey(), kek); err != nil {
		return nil, nil, nil, err
	}
	authKey, err := a.setPassphrase(kek, passphrase, p.Params)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, newSession(owner, kek, authKey, false), rk, nil
}

// setPassphrase gives a a fresh salt and params, and wraps kek under the
// passphrase. It returns the new auth key.
func (a *Account) setPassphrase(kek []byte, passphrase string, params KDFParams) ([]byte, error) {
	salt := make([]byte, saltSize)
	rand.Read(salt)
	stretched, err := stretch(passphrase, salt, params)
	if err != nil {
		return nil, err
	}
	defer clear(stretched)
	unlockKey := subkey(stretched, labelUnlock)
	defer clear(unlockKey)
	wrapped, err := aeskw.Wrap(unlockKey, kek)
	if err != nil {
		return nil, err
	}
	a.params, a.salt, a.wrapped = params, salt, wrapped
	return subkey(stretched, labelAuth), nil
}

// Unlock derives the keys from passphrase and unwraps the master KEK. The
// record's parameters must satisfy the policy (nil: DefaultPolicy): within
// the caps (already checked by ParseAccount) and at or above the floors
// (ErrPolicy otherwise, before any KDF work). A wrong passphrase costs the
// full KDF and returns ErrUnlock. If the policy asks for stronger parameters
// than the record's, Session.NeedsRehash reports it; store the record that
// Session.ChangePassphrase returns for the same passphrase. The passphrase
// is prepared as SPEC.md §2 says (RFC 8265 OpaqueString: NFC, non-ASCII
// spaces as U+0020); one it refuses returns ErrPassphrase before the KDF.
func (a *Account) Unlock(passphrase string, p *Policy) (*Session, error) {
	p = orDefault(p)
	if err := p.check(a.params); err != nil {
		return nil, err
	}
	stretched, err := stretch(passphrase, a.salt, a.params)
	if err != nil {
		return nil, err
	}
	defer clear(stretched)
	unlockKey := subkey(stretched, labelUnlock)
	defer clear(unlockKey)
	kek, err := aeskw.Unwrap(unlockKey, a.wrapped)
	if err != nil {
		return nil, ErrUnlock
	}
	return newSession(a.owner, kek, subkey(stretched, labelAuth), p.needsRehash(a.params)), nil
}

// Recover unwraps the master KEK with the recovery key. The session has no
// auth key: set a new passphrase with Session.ChangePassphrase. A key that
// does not open the account returns ErrUnlock.
func (a *Account) Recover(rk *RecoveryKey) (*Session, error) {
	if len(a.recovery) == 0 || rk == nil {
		return nil, ErrUnlock
	}
	wk := rk.wrapKey()
	defer clear(wk)
	kek, err := aeskw.Unwrap(wk, a.recovery)
	if err != nil {
		return nil, ErrUnlock
	}
	return newSession(a.owner, kek, nil, false), nil
}

// Bytes returns the account record (SPEC.md §3).
func (a *Account) Bytes() []byte {
	b := append([]byte(nil), accountMagic...)
	b = append(b, accountVersion)
	b = appendString8(b, a.owner)
	b = append(b, byte(a.params.KDF))
	switch a.params.KDF {
	case Argon2id:
		b = binary.BigEndian.AppendUint32(b, a.params.Time)
		b = binary.BigEndian.AppendUint32(b, a.params.MemoryKiB)
		b = append(b, a.params.Threads)
	case PBKDF2SHA256:
		b = binary.BigEndian.AppendUint32(b, a.params.Iterations)
	}
	b = append(b, a.salt...)
	b = append(b, a.wrapped...)
	b = append(b, byte(len(a.recovery)))
	return append(b, a.recovery...)
}

// ParseAccount parses an account record. It refuses malformed records
// (ErrCorrupt) and KDF parameters above the caps (ErrPolicy) before any
// KDF work; the floors are a policy matter, checked by Unlock.
func ParseAccount(b []byte) (*Account, error) {
	r := newReader(b)
	if !bytes.Equal(r.bytes(len(accountMagic)), accountMagic) {
		return nil, fmt.Errorf("%w: not an account record", ErrCorrupt)
	}
	if v := r.u8(); v != accountVersion {
		return nil, fmt.Errorf("%w: account record version %d", ErrCorrupt, v)
	}
	a := &Account{owner: string(r.bytes(int(r.u8())))}
	a.params.KDF = KDF(r.u8())
	switch a.params.KDF {
	case Argon2id:
		a.params.Time, a.params.MemoryKiB, a.params.Threads = r.u32(), r.u32(), r.u8()
	case PBKDF2SHA256:
		a.params.Iterations = r.u32()
	default:
		if r.ok {
			return nil, fmt.Errorf("%w: unknown KDF %d", ErrCorrupt, uint8(a.params.KDF))
		}
	}
	a.salt = bytes.Clone(r.bytes(saltSize))
	a.wrapped = bytes.Clone(r.bytes(wrappedKEK))
	n := int(r.u8())
	if n != 0 && n != wrappedKEK {
		return nil, fmt.Errorf("%w: recovery field of %d bytes", ErrCorrupt, n)
	}
	a.recovery = bytes.Clone(r.bytes(n))
	if !r.done() {
		return nil, fmt.Errorf("%w: truncated account record or trailing data", ErrCorrupt)
	}
	if err := checkOwner(a.owner); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := checkCaps(a.params); err != nil {
		return nil, err
	}
	return a, nil
}

func checkOwner(owner string) error {
	if owner == "" || len(owner) > MaxOwnerLen {
		return fmt.Errorf("keystore: owner must be 1 to %d bytes", MaxOwnerLen)
	}
	return nil
}

// equalBytes is a constant-time comparison for secrets and MACs.
func equalBytes(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
