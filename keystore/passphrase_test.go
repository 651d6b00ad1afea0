package keystore_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keystore"
)

// The spellings of one passphrase that SPEC.md §2 makes equal: NFC, NFD
// ("e" + U+0301 …), and non-ASCII spaces for U+0020.
const (
	passNFC   = "p\u00e2t\u00e9 cr\u00e8me br\u00fbl\u00e9e"
	passNFD   = "pa\u0302te\u0301 cre\u0300me bru\u0302le\u0301e"
	passSpace = "p\u00e2t\u00e9\u00a0cr\u00e8me\u3000br\u00fbl\u00e9e"
)

func TestPassphraseSpellingsDeriveOneKey(t *testing.T) {
	for name, p := range policies() {
		t.Run(name, func(t *testing.T) {
			for _, create := range []string{passNFC, passNFD, passSpace} {
				a, s, _, err := keystore.NewAccount("alice", create, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, pass := range []string{passNFC, passNFD, passSpace} {
					s2, err := a.Unlock(pass, p)
					if err != nil {
						t.Fatalf("created with %+q, Unlock(%+q): %v", create, pass, err)
					}
					if !bytes.Equal(s2.AuthKey(), s.AuthKey()) {
						t.Fatalf("created with %+q, Unlock(%+q): another auth key", create, pass)
					}
				}
				// Preparation maps; it does not fold case or trim.
				for _, pass := range []string{strings.ToUpper(passNFC), passNFC + " ", " " + passNFC} {
					if _, err := a.Unlock(pass, p); err != keystore.ErrUnlock {
						t.Fatalf("Unlock(%+q) = %v, want ErrUnlock", pass, err)
					}
				}
			}
		})
	}
}

// refusedPassphrases are refused by RFC 8265 OpaqueString (or, for invalid
// UTF-8, before it).
var refusedPassphrases = map[string]string{
	"empty":              "",
	"tab":                "correct\thorse",
	"nul":                "correct\x00horse",
	"del":                "correct\x7fhorse",
	"c1 control":         "correct\u0085horse",
	"invalid utf-8":      "correct\xffhorse",
	"zero width space":   "correct\u200bhorse",
	"soft hyphen":        "cor\u00adrect",
	"line separator":     "correct\u2028horse",
	"private use":        "correct\ue000horse",
	"unassigned":         "correct\u0378horse",
	"noncharacter":       "correct\ufffehorse",
	"old hangul jamo":    "a\u1100", // L + V would compose (NFC) to a syllable
	"zwj without virama": "a\u200db",
	"lone middle dot":    "a\u00b7b",
	"arabic-indic mixed": "\u0660\u06f0",
}

func TestPassphraseRefused(t *testing.T) {
	ctx := context.Background()
	p := weakPBKDF2()
	a, s, _ := mustAccount(t, p)
	ks := keystore.New(keystore.NewMemoryStore(), p)
	ks2, _, err := ks.Register(ctx, "bob", "a good passphrase")
	if err != nil {
		t.Fatal(err)
	}
	for name, pass := range refusedPassphrases {
		t.Run(name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, keystore.ErrPassphrase) {
					t.Fatalf("%s: %v, want ErrPassphrase", what, err)
				}
				if pass != "" && strings.Contains(err.Error(), pass) {
					t.Fatalf("%s: the error repeats the passphrase", what)
				}
			}
			_, _, _, err := keystore.NewAccount("carol", pass, p)
			check("NewAccount", err)
			_, err = a.Unlock(pass, p)
			check("Account.Unlock", err)
			_, err = s.ChangePassphrase(a, pass, p)
			check("Session.ChangePassphrase", err)
			_, _, err = ks.Register(ctx, "carol", pass)
			check("Keystore.Register", err)
			_, err = ks.Unlock(ctx, "bob", pass)
			check("Keystore.Unlock", err)
			check("Keystore.ChangePassphrase", ks.ChangePassphrase(ctx, ks2, pass))
		})
	}
	// The session still unlocks with its passphrase: nothing was changed.
	if _, err := ks.Unlock(ctx, "bob", "a good passphrase"); err != nil {
		t.Fatal(err)
	}
}

func TestRecoverRefusesPassphrase(t *testing.T) {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), weakPBKDF2())
	_, rk, err := ks.Register(ctx, "bob", "a good passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Recover(ctx, "bob", rk, "new\tpassphrase"); !errors.Is(err, keystore.ErrPassphrase) {
		t.Fatalf("Recover: %v, want ErrPassphrase", err)
	}
	if _, err := ks.Unlock(ctx, "bob", "a good passphrase"); err != nil {
		t.Fatalf("the refused recovery changed the account: %v", err)
	}
}

// An ASCII passphrase is its own preparation: accounts made before SPEC.md
// §2 named the preparation still open (the frozen vectors check the bytes).
func TestASCIIPassphraseUnchanged(t *testing.T) {
	p := weakPBKDF2()
	for _, pass := range []string{" ", "~!@#$%^&*()_+`-={}|[]\\:\";'<>?,./", "  two  spaces  "} {
		a, s, _, err := keystore.NewAccount("alice", pass, p)
		if err != nil {
			t.Fatalf("NewAccount(%q): %v", pass, err)
		}
		// SPEC.md §2 on the raw bytes, no preparation.
		_, auth, _, kek := specUnlock(t, decodeAccount(t, a.Bytes()), pass)
		if kek == nil || !bytes.Equal(auth, s.AuthKey()) {
			t.Fatalf("NewAccount(%q) did not stretch the passphrase's own bytes", pass)
		}
	}
}
