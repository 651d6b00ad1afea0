package envelope

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"

	"github.com/sealkit/sealkit/internal/aeskw"
)

// Passphrase recipients stretch a passphrase into a 256-bit wrapping key and
// wrap the file key with AES-KW. The KDF salt is the label followed by 32
// random bytes, so keys stretched here cannot collide with any stretched
// elsewhere from the same passphrase.
//
// PBKDF2-HMAC-SHA256 is what browsers have (WebCrypto deriveBits); Argon2id
// (RFC 9106) is memory-hard and the better choice where it is available.
const (
	pbkdf2Type    = "pbkdf2"
	labelPBKDF2   = "sealkit/envelope/v1/pbkdf2"
	argon2idType  = "argon2id"
	labelArgon2id = "sealkit/envelope/v1/argon2id"
	kdfSaltSize   = 32

	// DefaultPBKDF2Iterations is OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
	DefaultPBKDF2Iterations = 600_000
	// MinPBKDF2Iterations is the floor below which nothing is sealed or opened.
	MinPBKDF2Iterations = 600_000
	// MaxPBKDF2Iterations is the default ceiling on what an envelope may ask for.
	MaxPBKDF2Iterations = 10_000_000
)

// Argon2idParams are Argon2id's cost parameters.
type Argon2idParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
}

var (
	// DefaultArgon2id is RFC 9106's second recommended setting.
	DefaultArgon2id = Argon2idParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}
	// MaxArgon2id is the default ceiling on what an envelope may ask for.
	MaxArgon2id = Argon2idParams{Time: 10, MemoryKiB: 256 << 10, Threads: 16}
)

// minArgon2idWork is the floor on MemoryKiB × Time: OWASP's minimum settings
// (19 MiB × 2, 46 MiB × 1, 12 MiB × 3, 9 MiB × 4, 7 MiB × 5) all reach it.
const (
	minArgon2idWork   = 35 << 10
	minArgon2idMemory = 7 << 10
)

func (p Argon2idParams) check(ceiling Argon2idParams) error {
	switch {
	case p.Time == 0 || p.Threads == 0 || p.MemoryKiB < minArgon2idMemory ||
		uint64(p.MemoryKiB)*uint64(p.Time) < minArgon2idWork:
		return errors.New("envelope: Argon2id parameters below the OWASP minimum")
	case p.MemoryKiB < 8*uint32(p.Threads):
		return errors.New("envelope: Argon2id memory below 8 KiB per thread")
	case p.Time > ceiling.Time || p.MemoryKiB > ceiling.MemoryKiB || p.Threads > ceiling.Threads:
		return fmt.Errorf("envelope: Argon2id parameters %+v above the limit %+v", p, ceiling)
	}
	return nil
}

func checkIterations(n, ceiling int) error {
	if n < MinPBKDF2Iterations || n > ceiling {
		return fmt.Errorf("envelope: %d PBKDF2 iterations outside [%d, %d]", n, MinPBKDF2Iterations, ceiling)
	}
	return nil
}

func kdfSalt(label string, salt []byte) []byte {
	return append([]byte(label), salt...)
}

// PBKDF2Recipient wraps file keys under a passphrase with PBKDF2.
type PBKDF2Recipient struct {
	pass       string
	iterations int
}

var _ ClassifiedRecipient = (*PBKDF2Recipient)(nil)

// NewPBKDF2Recipient returns a recipient with DefaultPBKDF2Iterations.
func NewPBKDF2Recipient(passphrase string) (*PBKDF2Recipient, error) {
	if passphrase == "" {
		return nil, errors.New("envelope: empty passphrase")
	}
	return &PBKDF2Recipient{pass: passphrase, iterations: DefaultPBKDF2Iterations}, nil
}

// SetIterations sets the iteration count, at least MinPBKDF2Iterations.
func (r *PBKDF2Recipient) SetIterations(n int) error {
	if err := checkIterations(n, MaxPBKDF2Iterations); err != nil {
		return err
	}
	r.iterations = n
	return nil
}

// Class reports Passphrase.
func (r *PBKDF2Recipient) Class() Class { return Passphrase }

// Wrap implements Recipient. The body is salt(32) || uint32be(iterations) ||
// AES-KW(PBKDF2(passphrase, label || salt, iterations), file key).
func (r *PBKDF2Recipient) Wrap(fileKey []byte) ([]*Stanza, error) {
	salt := make([]byte, kdfSaltSize)
	rand.Read(salt)
	wk, err := pbkdf2.Key(sha256.New, r.pass, kdfSalt(labelPBKDF2, salt), r.iterations, 32)
	if err != nil {
		return nil, err
	}
	defer clear(wk)
	wrapped, err := aeskw.Wrap(wk, fileKey)
	if err != nil {
		return nil, err
	}
	body := binary.BigEndian.AppendUint32(salt, uint32(r.iterations))
	return []*Stanza{{Type: pbkdf2Type, Body: append(body, wrapped...)}}, nil
}

// Argon2idRecipient wraps file keys under a passphrase with Argon2id.
type Argon2idRecipient struct {
	pass   string
	params Argon2idParams
}

var _ ClassifiedRecipient = (*Argon2idRecipient)(nil)

// NewArgon2idRecipient returns a recipient with DefaultArgon2id parameters.
func NewArgon2idRecipient(passphrase string) (*Argon2idRecipient, error) {
	if passphrase == "" {
		return nil, errors.New("envelope: empty passphrase")
	}
	return &Argon2idRecipient{pass: passphrase, params: DefaultArgon2id}, nil
}

// SetParams sets the cost parameters, which must meet OWASP's minimum and
// stay within MaxArgon2id.
func (r *Argon2idRecipient) SetParams(p Argon2idParams) error {
	if err := p.check(MaxArgon2id); err != nil {
		return err
	}
	r.params = p
	return nil
}

// Class reports Passphrase.
func (r *Argon2idRecipient) Class() Class { return Passphrase }

// Wrap implements Recipient. The body is salt(32) || uint32be(time) ||
// uint32be(memory KiB) || uint8(threads) || AES-KW(Argon2id(...), file key).
func (r *Argon2idRecipient) Wrap(fileKey []byte) ([]*Stanza, error) {
	salt := make([]byte, kdfSaltSize)
	rand.Read(salt)
	p := r.params
	wk := argon2.IDKey([]byte(r.pass), kdfSalt(labelArgon2id, salt), p.Time, p.MemoryKiB, p.Threads, 32)
	defer clear(wk)
	wrapped, err := aeskw.Wrap(wk, fileKey)
	if err != nil {
		return nil, err
	}
	body := binary.BigEndian.AppendUint32(salt, p.Time)
	body = binary.BigEndian.AppendUint32(body, p.MemoryKiB)
	body = append(body, p.Threads)
	return []*Stanza{{Type: argon2idType, Body: append(body, wrapped...)}}, nil
}

// PassphraseIdentity unwraps PBKDF2 and Argon2id stanzas with a passphrase.
// It refuses, before doing any work, stanzas whose cost parameters are below
// the floors or above its ceilings, so a hostile envelope cannot make it
// spend minutes of CPU or gigabytes of memory.
type PassphraseIdentity struct {
	pass          string
	maxIterations int
	maxArgon2id   Argon2idParams
}

var _ Identity = (*PassphraseIdentity)(nil)

// NewPassphraseIdentity returns an identity with the default ceilings
// (MaxPBKDF2Iterations, MaxArgon2id).
func NewPassphraseIdentity(passphrase string) (*PassphraseIdentity, error) {
	if passphrase == "" {
		return nil, errors.New("envelope: empty passphrase")
	}
	return &PassphraseIdentity{pass: passphrase, maxIterations: MaxPBKDF2Iterations, maxArgon2id: MaxArgon2id}, nil
}

// SetMaxWork raises or lowers the ceilings applied to stanzas.
func (i *PassphraseIdentity) SetMaxWork(pbkdf2Iterations int, argon2id Argon2idParams) {
	i.maxIterations, i.maxArgon2id = pbkdf2Iterations, argon2id
}

// Unwrap implements Identity. A wrong passphrase costs the full KDF and
// yields ErrIncorrectIdentity; a stanza over the ceilings yields a distinct
// error that says so.
func (i *PassphraseIdentity) Unwrap(stanzas []*Stanza) ([]byte, error) {
	// Writers never put a passphrase stanza beside another stanza (see
	// CheckRecipients), and openers refuse such headers before any identity
	// runs; refusing them here too keeps a direct caller of Unwrap to one
	// KDF run instead of one per stanza.
	for _, s := range stanzas {
		if (s.Type == pbkdf2Type || s.Type == argon2idType) && len(stanzas) != 1 {
			return nil, errors.New("a passphrase stanza must be the only stanza")
		}
	}
	for _, s := range stanzas {
		var wk []byte
		var wrapped []byte
		switch s.Type {
		case pbkdf2Type:
			if len(s.Body) != kdfSaltSize+4+wrappedKeySize {
				return nil, errors.New("malformed pbkdf2 stanza")
			}
			iter := binary.BigEndian.Uint32(s.Body[kdfSaltSize:])
			if err := checkIterations(int(iter), i.maxIterations); err != nil {
				return nil, err
			}
			var err error
			wk, err = pbkdf2.Key(sha256.New, i.pass, kdfSalt(labelPBKDF2, s.Body[:kdfSaltSize]), int(iter), 32)
			if err != nil {
				return nil, err
			}
			wrapped = s.Body[kdfSaltSize+4:]
		case argon2idType:
			if len(s.Body) != kdfSaltSize+9+wrappedKeySize {
				return nil, errors.New("malformed argon2id stanza")
			}
			b := s.Body[kdfSaltSize:]
			p := Argon2idParams{Time: binary.BigEndian.Uint32(b), MemoryKiB: binary.BigEndian.Uint32(b[4:]), Threads: b[8]}
			if err := p.check(i.maxArgon2id); err != nil {
				return nil, err
			}
			wk = argon2.IDKey([]byte(i.pass), kdfSalt(labelArgon2id, s.Body[:kdfSaltSize]), p.Time, p.MemoryKiB, p.Threads, 32)
			wrapped = b[9:]
		default:
			continue
		}
		fk, err := aeskw.Unwrap(wk, wrapped)
		clear(wk)
		if err == nil {
			return fk, nil
		}
	}
	return nil, incorrect("passphrase")
}
