package keystore_test

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keystore"
)

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

func TestRecoveryShares(t *testing.T) {
	for _, mn := range [][2]int{{2, 2}, {2, 3}, {3, 5}, {5, 7}} {
		m, n := mn[0], mn[1]
		t.Run(strings.Join([]string{string(rune('0' + m)), string(rune('0' + n))}, "-of-"), func(t *testing.T) {
			rk := keystore.GenerateRecoveryKey()
			shares, err := keystore.SplitRecoveryKey(rk, m, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(shares) != n {
				t.Fatalf("%d shares, want %d", len(shares), n)
			}
			// Every window of m consecutive shares (cyclically) recovers.
			for start := range n {
				var pick []string
				for i := range m {
					pick = append(pick, shares[(start+i)%n])
				}
				got, err := keystore.CombineRecoveryShares(pick)
				if err != nil {
					t.Fatalf("m shares from %d: %v", start, err)
				}
				if got.Phrase() != rk.Phrase() {
					t.Fatal("m shares recover another key")
				}
			}
			if got, err := keystore.CombineRecoveryShares(shares); err != nil || got.Phrase() != rk.Phrase() {
				t.Fatalf("all shares: %v", err)
			}
			// m−1 shares do not: refused by count, and still wrong when the
			// threshold byte is forged down to m−1 (the SPEC encoding is
			// public, so an attacker can do exactly this).
			if _, err := keystore.CombineRecoveryShares(shares[:m-1]); !errors.Is(err, keystore.ErrRecoveryKey) {
				t.Fatalf("m−1 shares: %v, want ErrRecoveryKey", err)
			}
			if m > 2 {
				forged := make([]string, m-1)
				for i := range forged {
					forged[i] = forgeThreshold(t, shares[i], byte(m-1))
				}
				if _, err := keystore.CombineRecoveryShares(forged); !errors.Is(err, keystore.ErrRecoveryKey) {
					t.Fatalf("m−1 shares with a forged threshold: %v, want ErrRecoveryKey", err)
				}
			}
			// Duplicates and mixed splits are refused, never a panic.
			dup := append([]string{shares[0]}, shares[:m-1]...)
			if _, err := keystore.CombineRecoveryShares(dup); !errors.Is(err, keystore.ErrRecoveryKey) {
				t.Fatalf("duplicate share: %v", err)
			}
			other, _ := keystore.SplitRecoveryKey(keystore.GenerateRecoveryKey(), m, n)
			mixed := append([]string{other[0]}, shares[1:m]...)
			if _, err := keystore.CombineRecoveryShares(mixed); !errors.Is(err, keystore.ErrRecoveryKey) {
				t.Fatalf("mixed splits: %v", err)
			}
		})
	}
}

func TestRecoverySharesInvalid(t *testing.T) {
	rk := keystore.GenerateRecoveryKey()
	for _, mn := range [][2]int{{1, 3}, {0, 0}, {4, 3}, {2, 256}} {
		if _, err := keystore.SplitRecoveryKey(rk, mn[0], mn[1]); err == nil {
			t.Errorf("SplitRecoveryKey(m=%d, n=%d) accepted", mn[0], mn[1])
		}
	}
	shares, _ := keystore.SplitRecoveryKey(rk, 2, 3)
	typo := []byte(shares[1])
	typo[7] ^= 1
	for _, bad := range [][]string{nil, {""}, {shares[0], string(typo)}, {shares[0], shares[1][:40]}, {rk.Phrase(), shares[0]}} {
		if _, err := keystore.CombineRecoveryShares(bad); !errors.Is(err, keystore.ErrRecoveryKey) {
			t.Errorf("CombineRecoveryShares(%d bad shares) = %v", len(bad), err)
		}
	}
}

// forgeThreshold rewrites a share's threshold byte and its checksum per
// SPEC.md §6.
func forgeThreshold(t *testing.T, share string, m byte) string {
	t.Helper()
	b, err := crockford.DecodeString(strings.ReplaceAll(share, "-", ""))
	if err != nil || len(b) != 75 {
		t.Fatalf("share does not decode as SPEC §6 says: %v", err)
	}
	b[1] = m
	sum, _ := hkdf.Key(sha256.New, b[:71], nil, "sealkit/keystore/v1/recovery-checksum", 32)
	copy(b[71:], sum[:4])
	return crockford.EncodeToString(b)
}
