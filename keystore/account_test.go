package keystore_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sealkit/sealkit/keystore"
)

func TestRegisterUnlock(t *testing.T) {
	for name, p := range policies() {
		t.Run(name, func(t *testing.T) {
			a, s, _ := mustAccount(t, p)
			rec, err := s.GenerateKey("signing", keystore.Ed25519, 1)
			if err != nil {
				t.Fatal(err)
			}
			a2, err := keystore.ParseAccount(a.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a2.Bytes(), a.Bytes()) || a2.Owner() != "alice@example.com" || a2.Params() != p.Params || !a2.HasRecovery() {
				t.Fatal("account record does not round-trip")
			}
			s2, err := a2.Unlock("correct horse battery staple", p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.AuthKey(), s2.AuthKey()) || len(s2.AuthKey()) != 32 {
				t.Fatal("auth key differs between register and unlock")
			}
			if s2.NeedsRehash() {
				t.Fatal("NeedsRehash at the policy's own parameters")
			}
			if _, err := s2.OpenKey(rec); err != nil {
				t.Fatalf("key sealed at registration does not open after unlock: %v", err)
			}
		})
	}
}

func TestWrongPassphrase(t *testing.T) {
	for name, p := range policies() {
		t.Run(name, func(t *testing.T) {
			a, _, _ := mustAccount(t, p)
			for _, pass := range []string{"wrong", "correct horse battery stapl", "correct horse battery staple "} {
				s, err := a.Unlock(pass, p)
				if !errors.Is(err, keystore.ErrUnlock) || s != nil {
					t.Fatalf("Unlock(%q) = %v, %v; want ErrUnlock", pass, s, err)
				}
				if err != keystore.ErrUnlock {
					t.Fatalf("wrong passphrase error is not the one opaque ErrUnlock: %v", err)
				}
			}
		})
	}
}

func TestChangePassphrase(t *testing.T) {
	p := weakPBKDF2()
	a, s, rk := mustAccount(t, p)
	rec, _ := s.GenerateKey("enc", keystore.ECDSAP256, 1)
	oldAuth := s.AuthKey()
	a2, err := s.ChangePassphrase(a, "new passphrase", p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(s.AuthKey(), oldAuth) {
		t.Fatal("auth key unchanged after ChangePassphrase")
	}
	if _, err := a2.Unlock("correct horse battery staple", p); !errors.Is(err, keystore.ErrUnlock) {
		t.Fatalf("old passphrase on new record: %v", err)
	}
	s2, err := a2.Unlock("new passphrase", p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.AuthKey(), s.AuthKey()) {
		t.Fatal("session auth key is not the new record's")
	}
	if _, err := s2.OpenKey(rec); err != nil {
		t.Fatalf("key record sealed before the change does not open: %v", err)
	}
	// The recovery path is untouched.
	if _, err := a2.Recover(rk); err != nil {
		t.Fatalf("recovery key after passphrase change: %v", err)
	}
	// Switching KDF is a passphrase change too.
	a3, err := s2.ChangePassphrase(a2, "new passphrase", weakArgon2id())
	if err != nil || a3.Params().KDF != keystore.Argon2id {
		t.Fatalf("switch to Argon2id: %v, %v", a3, err)
	}
	if _, err := a3.Unlock("new passphrase", weakArgon2id()); err != nil {
		t.Fatal(err)
	}
}

func TestRecover(t *testing.T) {
	p := weakArgon2id()
	a, s, rk := mustAccount(t, p)
	rec, _ := s.GenerateKey("sig", keystore.Ed25519, 1)
	parsed, err := keystore.ParseRecoveryKey(strings.ToLower(rk.Phrase()))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := a.Recover(parsed)
	if err != nil {
		t.Fatal(err)
	}
	if rs.AuthKey() != nil {
		t.Fatal("a recovered session has an auth key")
	}
	if _, err := rs.OpenKey(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Recover(keystore.GenerateRecoveryKey()); err != keystore.ErrUnlock {
		t.Fatalf("another recovery key: %v, want ErrUnlock", err)
	}
	// Rotating the recovery key retires the old one.
	a2, rk2, err := rs.NewRecoveryKey(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a2.Recover(rk); err != keystore.ErrUnlock {
		t.Fatalf("old recovery key after rotation: %v", err)
	}
	if _, err := a2.Recover(rk2); err != nil {
		t.Fatal(err)
	}
}

func TestRecoveryKeyFormat(t *testing.T) {
	rk := keystore.GenerateRecoveryKey()
	phrase := rk.Phrase()
	if len(phrase) != 56+13 || strings.Count(phrase, "-") != 13 {
		t.Fatalf("phrase %d characters, want 14 groups of 4", len(phrase))
	}
	for _, s := range []string{fmt.Sprint(rk), fmt.Sprintf("%#v", rk), fmt.Sprintf("%+v", rk)} {
		if strings.Contains(s, phrase[:9]) {
			t.Fatal("recovery key prints itself")
		}
	}
	forgiving := strings.NewReplacer("0", "o", "1", "l", "-", " ").Replace(strings.ToLower(phrase))
	if got, err := keystore.ParseRecoveryKey(forgiving); err != nil || got.Phrase() != phrase {
		t.Fatalf("forgiving parse: %v", err)
	}
	typo := []byte(phrase)
	if typo[5] == 'A' {
		typo[5] = 'B'
	} else {
		typo[5] = 'A'
	}
	bad := []string{"", phrase[:len(phrase)-1], phrase + "0", string(typo), strings.Repeat("U", 56), strings.Repeat("0", 1000)}
	for _, s := range bad {
		if _, err := keystore.ParseRecoveryKey(s); !errors.Is(err, keystore.ErrRecoveryKey) {
			t.Errorf("ParseRecoveryKey(%.20q…) = %v, want ErrRecoveryKey", s, err)
		} else if len(s) > 8 && strings.Contains(err.Error(), s[:8]) {
			t.Errorf("error echoes the input")
		}
	}
}

func TestPolicy(t *testing.T) {
	argon := func(tm, m uint32, p uint8) keystore.KDFParams {
		return keystore.KDFParams{KDF: keystore.Argon2id, Time: tm, MemoryKiB: m, Threads: p}
	}
	pbkdf := func(n uint32) keystore.KDFParams {
		return keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: n}
	}
	tests := []struct {
		name         string
		params       keystore.KDFParams
		strict, weak bool // accepted by the default floors, by InsecureAllowWeak
	}{
		{"argon2id-owasp-min", argon(2, 19<<10, 1), true, true},
		{"argon2id-owasp-46MiB-t1", argon(1, 46<<10, 1), true, true},
		{"argon2id-owasp-7MiB-t5", argon(5, 7<<10, 1), true, true},
		{"argon2id-default", keystore.DefaultPolicy().Params, true, true},
		{"argon2id-cap", argon(16, 1<<20, 16), true, true},
		{"argon2id-below-floor", argon(1, 19<<10, 1), false, true},
		{"argon2id-tiny", argon(1, 64, 1), false, true},
		{"argon2id-memory-over-cap", argon(2, 1<<20+1, 1), false, false},
		{"argon2id-time-over-cap", argon(17, 19<<10, 1), false, false},
		{"argon2id-threads-over-cap", argon(2, 19<<10, 17), false, false},
		{"argon2id-zero-time", argon(0, 19<<10, 1), false, false},
		{"argon2id-memory-below-8p", argon(2, 63, 8), false, false},
		{"pbkdf2-floor", pbkdf(600_000), true, true},
		{"pbkdf2-below-floor", pbkdf(599_999), false, true},
		{"pbkdf2-cap", pbkdf(10_000_000), true, true},
		{"pbkdf2-over-cap", pbkdf(10_000_001), false, false},
		{"pbkdf2-zero", pbkdf(0), false, false},
		{"unknown-kdf", keystore.KDFParams{KDF: 9, Iterations: 600_000}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				p    *keystore.Policy
				want bool
			}{{&keystore.Policy{Params: tc.params}, tc.strict}, {&keystore.Policy{Params: tc.params, InsecureAllowWeak: true}, tc.weak}} {
				if err := c.p.Validate(); c.want {
					assert.NoError(t, err, "InsecureAllowWeak=%v", c.p.InsecureAllowWeak)
				} else {
					assert.ErrorIs(t, err, keystore.ErrPolicy, "InsecureAllowWeak=%v", c.p.InsecureAllowWeak)
				}
			}
		})
	}
}

// TestUnlockRefusesWeakRecord: a record below the floors (a server
// downgrading parameters to learn a cheap auth key) is refused before any
// KDF work unless the policy explicitly allows weak parameters.
func TestUnlockRefusesWeakRecord(t *testing.T) {
	a, _, _ := mustAccount(t, weakPBKDF2())
	for _, p := range []*keystore.Policy{nil, keystore.DefaultPolicy(), keystore.BrowserPolicy()} {
		if _, err := a.Unlock("correct horse battery staple", p); !errors.Is(err, keystore.ErrPolicy) {
			t.Fatalf("weak record under %v: %v, want ErrPolicy", p, err)
		}
	}
	if _, _, _, err := keystore.NewAccount("bob", "pass", &keystore.Policy{Params: weakPBKDF2().Params}); !errors.Is(err, keystore.ErrPolicy) {
		t.Fatalf("NewAccount with weak params and no InsecureAllowWeak: %v", err)
	}
}

func TestNeedsRehash(t *testing.T) {
	a, _, _ := mustAccount(t, weakArgon2id())
	stronger := weakArgon2id()
	stronger.Params.Time = 2
	s, err := a.Unlock("correct horse battery staple", stronger)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NeedsRehash() {
		t.Fatal("NeedsRehash false for a record below the policy")
	}
	a2, err := s.ChangePassphrase(a, "correct horse battery staple", stronger)
	if err != nil {
		t.Fatal(err)
	}
	if s.NeedsRehash() || a2.Params() != stronger.Params {
		t.Fatalf("rehash left params at %v", a2.Params())
	}
	s2, err := a2.Unlock("correct horse battery staple", stronger)
	if err != nil || s2.NeedsRehash() {
		t.Fatalf("after rehash: %v, NeedsRehash %v", err, s2 != nil && s2.NeedsRehash())
	}
	// A record of the other KDF is not rewritten behind its clients' backs.
	pa, _, _ := mustAccount(t, weakPBKDF2())
	s3, err := pa.Unlock("correct horse battery staple", stronger)
	if err != nil || s3.NeedsRehash() {
		t.Fatalf("PBKDF2 record under an Argon2id policy: %v, NeedsRehash %v", err, s3 != nil && s3.NeedsRehash())
	}
}

func TestGeneratePassphrase(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := keystore.GeneratePassphrase()
		if len(p) != 39 || strings.Count(p, "-") != 7 || strings.ToUpper(p) != p {
			t.Fatalf("passphrase %q is not 8 groups of 4", p)
		}
		if seen[p] {
			t.Fatal("repeated passphrase")
		}
		seen[p] = true
	}
	if keystore.OneTimePassphraseBits < 128 {
		t.Fatal("one-time passphrases below 128 bits")
	}
}
