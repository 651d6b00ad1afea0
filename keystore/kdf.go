package keystore

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// KDF names a passphrase-stretching function. Its value is the algorithm
// byte of the account record (SPEC.md §3).
type KDF uint8

const (
	// Argon2id (RFC 9106, version 0x13) is memory-hard: the default.
	Argon2id KDF = 1
	// PBKDF2SHA256 is PBKDF2-HMAC-SHA256, which WebCrypto has: for accounts
	// that browser clients unlock, and for the FIPS profile.
	PBKDF2SHA256 KDF = 2
)

// String returns the KDF's name, as the CLI and errors show it.
func (k KDF) String() string {
	switch k {
	case Argon2id:
		return "argon2id"
	case PBKDF2SHA256:
		return "pbkdf2-sha256"
	}
	return fmt.Sprintf("kdf(%d)", uint8(k))
}

// KDFParams are a passphrase KDF and its cost. Time, MemoryKiB and Threads
// are Argon2id's; Iterations is PBKDF2's. They are stored in the account
// record so that any client can repeat the derivation.
type KDFParams struct {
	KDF        KDF    // which derivation
	Time       uint32 // Argon2id passes
	MemoryKiB  uint32 // Argon2id memory in KiB
	Threads    uint8  // Argon2id lanes
	Iterations uint32 // PBKDF2 iterations
}

// String returns the KDF and its cost, e.g. "argon2id(t=3,m=65536KiB,p=4)".
func (p KDFParams) String() string {
	if p.KDF == PBKDF2SHA256 {
		return fmt.Sprintf("pbkdf2-sha256(i=%d)", p.Iterations)
	}
	return fmt.Sprintf("%v(t=%d,m=%dKiB,p=%d)", p.KDF, p.Time, p.MemoryKiB, p.Threads)
}

// Floors and caps. The floors are OWASP's (Password Storage Cheat Sheet):
// Argon2id at least m=19 MiB, t=2, p=1, or an equivalent trade of memory for
// passes (46 MiB×1, 12 MiB×3, 9 MiB×4, 7 MiB×5), which we write as
// m ≥ 7 MiB and m×t ≥ 35 MiB; PBKDF2-HMAC-SHA256 at least 600,000
// iterations. The caps bound what a stored record may demand: every record
// is checked against them while it is parsed, before any KDF work.
const (
	MinArgon2idMemoryKiB = 7 << 10
	MinArgon2idWork      = 35 << 10 // MemoryKiB × Time
	MinPBKDF2Iterations  = 600_000

	MaxArgon2idTime      = 16
	MaxArgon2idMemoryKiB = 1 << 20 // 1 GiB
	MaxArgon2idThreads   = 16
	MaxPBKDF2Iterations  = 10_000_000
)

// Policy says which KDF parameters new records get and which stored ones are
// accepted. Unlock refuses records below the floors (a server that serves
// weakened parameters must not learn a cheaply guessable auth key) and
// reports NeedsRehash for records of the policy's KDF that are weaker than
// Params in any dimension, so the caller can store an upgraded record.
//
// A record of the other KDF is accepted within its own floors and caps and
// is not rewritten automatically: an account's KDF is what all its clients
// can run (browsers: PBKDF2). Switch with Session.ChangePassphrase.
type Policy struct {
	// Params are used for new and upgraded records.
	Params KDFParams

	// InsecureAllowWeak lowers the floors to what the algorithms themselves
	// accept (Argon2id t ≥ 1, m ≥ 8×p KiB; PBKDF2 ≥ 1 iteration), for fast
	// tests and test vectors only. Never set it in production: the package
	// never sets it for you, and a nil *Policy means DefaultPolicy.
	InsecureAllowWeak bool
}

// DefaultPolicy is Argon2id with RFC 9106's second recommended setting
// (t=3, m=64 MiB, p=4), above OWASP's minimum in every dimension.
func DefaultPolicy() *Policy {
	return &Policy{Params: KDFParams{KDF: Argon2id, Time: 3, MemoryKiB: 64 << 10, Threads: 4}}
}

// BrowserPolicy is PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP 2023):
// for accounts that WebCrypto clients must unlock, and for the FIPS profile.
func BrowserPolicy() *Policy {
	return &Policy{Params: KDFParams{KDF: PBKDF2SHA256, Iterations: MinPBKDF2Iterations}}
}

func orDefault(p *Policy) *Policy {
	if p == nil {
		return DefaultPolicy()
	}
	return p
}

// checkCaps refuses parameters no record may carry: unknown KDF, above the
// caps, or below what the algorithm itself accepts. It does no KDF work.
func checkCaps(p KDFParams) error {
	switch p.KDF {
	case Argon2id:
		if p.Time == 0 || p.Threads == 0 || p.MemoryKiB < 8*uint32(p.Threads) {
			return fmt.Errorf("%w: %v is not valid Argon2id", ErrPolicy, p)
		}
		if p.Time > MaxArgon2idTime || p.MemoryKiB > MaxArgon2idMemoryKiB || p.Threads > MaxArgon2idThreads {
			return fmt.Errorf("%w: %v above the cap (t≤%d, m≤%d KiB, p≤%d)", ErrPolicy, p,
				MaxArgon2idTime, MaxArgon2idMemoryKiB, MaxArgon2idThreads)
		}
	case PBKDF2SHA256:
		if p.Iterations == 0 || p.Iterations > MaxPBKDF2Iterations {
			return fmt.Errorf("%w: %v outside [1, %d]", ErrPolicy, p, MaxPBKDF2Iterations)
		}
	default:
		return fmt.Errorf("%w: unknown KDF %d", ErrPolicy, uint8(p.KDF))
	}
	return nil
}

// Validate checks the policy's own Params: within the caps and, unless
// InsecureAllowWeak is set, at or above the floors. It wraps ErrPolicy.
func (pol *Policy) Validate() error { return pol.check(pol.Params) }

// check accepts p if it is within the caps and, unless the policy allows
// weak parameters, at or above the OWASP floors.
func (pol *Policy) check(p KDFParams) error {
	if err := checkCaps(p); err != nil {
		return err
	}
	if pol.InsecureAllowWeak {
		return nil
	}
	switch p.KDF {
	case Argon2id:
		if p.MemoryKiB < MinArgon2idMemoryKiB || uint64(p.MemoryKiB)*uint64(p.Time) < MinArgon2idWork {
			return fmt.Errorf("%w: %v below the OWASP minimum", ErrPolicy, p)
		}
	case PBKDF2SHA256:
		if p.Iterations < MinPBKDF2Iterations {
			return fmt.Errorf("%w: %v below %d iterations", ErrPolicy, p, MinPBKDF2Iterations)
		}
	}
	return nil
}

// needsRehash reports whether a record with params p should be rewritten
// with pol.Params.
func (pol *Policy) needsRehash(p KDFParams) bool {
	t := pol.Params
	if p.KDF != t.KDF {
		return false
	}
	if p.KDF == PBKDF2SHA256 {
		return p.Iterations < t.Iterations
	}
	return p.Time < t.Time || p.MemoryKiB < t.MemoryKiB
}

// stretch prepares the passphrase (preparePassphrase: the one way a
// passphrase reaches a KDF here) and runs the KDF. p must have passed
// checkCaps.
func stretch(passphrase string, salt []byte, p KDFParams) ([]byte, error) {
	pass, err := preparePassphrase(passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(pass)
	switch p.KDF {
	case Argon2id:
		return argon2.IDKey(pass, salt, p.Time, p.MemoryKiB, p.Threads, stretchedSize), nil
	case PBKDF2SHA256:
		return pbkdf2.Key(sha256.New, string(pass), salt, int(p.Iterations), stretchedSize)
	}
	return nil, fmt.Errorf("%w: unknown KDF %d", ErrPolicy, uint8(p.KDF))
}
