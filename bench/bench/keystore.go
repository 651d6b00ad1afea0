package bench

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"fmt"

	"github.com/sealkit/sealkit/keystore"
	"golang.org/x/crypto/argon2"
)

// targetUnlock is the performance target: unlock costs at most 1% over the KDF.
const targetUnlock = 0.99

// benchPassphrase is long enough for HMAC keys in FIPS 140-only mode.
const benchPassphrase = "correct horse battery staple"

func buildKeystorePBKDF2(cfg Config) ([]Pending, error) {
	pol := keystore.BrowserPolicy()
	if cfg.Mode == Tiny {
		pol = &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000}, InsecureAllowWeak: true}
	}
	return []Pending{unlockPending(pol)}, nil
}

func buildKeystoreArgon2id(Config) ([]Pending, error) {
	return []Pending{unlockPending(keystore.DefaultPolicy())}, nil
}

func unlockPending(pol *keystore.Policy) Pending {
	name := "unlock/" + kdfName(pol.Params)
	return lazy(name, func() (*Comparison, error) { return makeUnlock(name, pol) })
}

func kdfName(p keystore.KDFParams) string {
	if p.KDF == keystore.Argon2id {
		return fmt.Sprintf("argon2id-t%d-m%dKiB-p%d", p.Time, p.MemoryKiB, p.Threads)
	}
	return fmt.Sprintf("pbkdf2-%d", p.Iterations)
}

// makeUnlock compares parsing an account record and unlocking it (KDF,
// HKDF split, AES-KW unwrap of the master KEK, session set-up) with the
// bare KDF at the record's parameters.
func makeUnlock(name string, pol *keystore.Policy) (*Comparison, error) {
	acct, s, _, err := keystore.NewAccount("alice", benchPassphrase, pol)
	if err != nil {
		return nil, err
	}
	s.Close()
	rec := acct.Bytes()
	p := pol.Params
	salt := randomBytes(32)
	bare := func() error {
		_, err := pbkdf2.Key(sha256.New, benchPassphrase, salt, int(p.Iterations), 32)
		return err
	}
	if p.KDF == keystore.Argon2id {
		bare = func() error {
			argon2.IDKey([]byte(benchPassphrase), salt, p.Time, p.MemoryKiB, p.Threads, 32)
			return nil
		}
	}
	return &Comparison{
		Name:  name,
		Title: "keystore unlock, " + p.String(),
		Ours: Contender{Name: "sealkit ParseAccount + Unlock", Op: func() error {
			a, err := keystore.ParseAccount(rec)
			if err != nil {
				return err
			}
			s, err := a.Unlock(benchPassphrase, pol)
			if err != nil {
				return err
			}
			s.Close()
			return nil
		}},
		Rivals: []Rival{{Contender: Contender{Name: "bare KDF, same parameters", Op: bare},
			Ratio: name + "/vs-bare-kdf", Target: targetUnlock, Bare: true}},
	}, nil
}
