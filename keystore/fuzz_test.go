package keystore_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/keystore"
)

// FuzzParseAccount: any bytes parse into a record that re-encodes to the
// same bytes with parameters within the caps, or fail with ErrCorrupt or
// ErrPolicy. No KDF runs.
func FuzzParseAccount(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Accounts {
		f.Add(unhex(f, v.Record))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := keystore.ParseAccount(b)
		if err != nil {
			if !errors.Is(err, keystore.ErrCorrupt) && !errors.Is(err, keystore.ErrPolicy) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !bytes.Equal(a.Bytes(), b) {
			t.Fatal("account does not re-encode to its input")
		}
		p := a.Params()
		if p.Time > keystore.MaxArgon2idTime || p.MemoryKiB > keystore.MaxArgon2idMemoryKiB || p.Iterations > keystore.MaxPBKDF2Iterations {
			t.Fatalf("params beyond the caps accepted: %v", p)
		}
	})
}

// FuzzParseKeyRecord: any bytes parse into a record that re-encodes to the
// same bytes, or fail with ErrCorrupt; a parsed record opens only if it is
// byte-identical to a vector.
func FuzzParseKeyRecord(f *testing.F) {
	vf := loadVectors(f)
	a, err := keystore.ParseAccount(unhex(f, vf.Accounts[0].Record))
	if err != nil {
		f.Fatal(err)
	}
	s, err := a.Unlock(vf.Accounts[0].Passphrase, keystore.BrowserPolicy())
	if err != nil {
		f.Fatal(err)
	}
	good := map[string]bool{}
	for _, v := range vf.KeyRecords {
		f.Add(unhex(f, v.Record))
		if v.Expect == "ok" && v.Account == vf.Accounts[0].Name {
			good[v.Record] = true
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := keystore.ParseKeyRecord(b)
		if err != nil {
			if !errors.Is(err, keystore.ErrCorrupt) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Fatal("key record does not re-encode to its input")
		}
		if r.Kind() == keystore.DEK {
			_, err = s.OpenDEK(r)
		} else if kindWorks(r.Kind()) {
			_, err = s.OpenKey(r)
		} else {
			return
		}
		if err == nil && !good[hexString(b)] {
			t.Fatal("a record that is not a vector opened")
		}
	})
}

// FuzzParseRecoveryKey: typed input either parses to a key whose phrase
// parses back to it, or fails with ErrRecoveryKey.
func FuzzParseRecoveryKey(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Accounts {
		if v.RecoveryPhrase != "" {
			f.Add(v.RecoveryPhrase)
		}
	}
	for _, v := range vf.Shares {
		f.Add(v.Shares[0])
	}
	f.Fuzz(func(t *testing.T, s string) {
		rk, err := keystore.ParseRecoveryKey(s)
		if err != nil {
			if !errors.Is(err, keystore.ErrRecoveryKey) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		rk2, err := keystore.ParseRecoveryKey(rk.Phrase())
		if err != nil || rk2.Phrase() != rk.Phrase() {
			t.Fatal("phrase does not round-trip")
		}
	})
}

// FuzzCombineRecoveryShares: mutated share sets never panic and recover
// either the vector's key or an error.
func FuzzCombineRecoveryShares(f *testing.F) {
	vf := loadVectors(f)
	first := vf.Shares[0]
	for _, v := range vf.Shares {
		if len(v.Shares) >= 3 {
			f.Add(v.Shares[0], v.Shares[1], v.Shares[2])
		}
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		rk, err := keystore.CombineRecoveryShares([]string{a, b, c})
		if err != nil {
			if !errors.Is(err, keystore.ErrRecoveryKey) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if a == first.Shares[0] && b == first.Shares[1] && c == first.Shares[2] && rk.Phrase() != first.RecoveryPhrase {
			t.Fatal("the vector's shares recover another key")
		}
	})
}
