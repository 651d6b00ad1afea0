package identity_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/benchutil"
)

var bundleT0 = time.Unix(1_767_225_600, 0)

func testKeys() []identity.PublishedKey {
	return []identity.PublishedKey{
		{Type: "x25519", Purpose: "share", Data: bytes.Repeat([]byte{1}, 32)},
		{Type: "ed25519-request", Purpose: "laptop", Data: bytes.Repeat([]byte{2}, 32)},
	}
}

// bundleOf(t)(identity.SignBundle(…)) fails t on an error.
func bundleOf(t testing.TB) func(*identity.KeyBundle, error) *identity.KeyBundle {
	return func(b *identity.KeyBundle, err error) *identity.KeyBundle {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func TestSignBundleRoundTrip(t *testing.T) {
	for _, alg := range []identity.Algorithm{identity.Ed25519, identity.ECDSAP256SHA256} {
		t.Run(string(alg), func(t *testing.T) {
			key := mustKey(t, alg)
			b := bundleOf(t)(identity.SignBundle(key, identity.KeyBundle{UserID: "alice", Version: 1, Created: bundleT0.Add(time.Second / 2), Keys: testKeys()}))
			if b.Keys[0].Type != "ed25519-request" || !b.Created.Equal(bundleT0) || !b.IdentityKey.Equal(key.Public()) {
				t.Fatalf("SignBundle did not sort keys, truncate created or set the identity key: %+v", b)
			}
			p, err := identity.ParseBundle(b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.Bytes(), b.Bytes()) || !bytes.Equal(p.Hash(), b.Hash()) || p.UserID != "alice" || p.Version != 1 || !p.Created.Equal(bundleT0) {
				t.Fatal("parsed bundle differs")
			}
			if err := identity.VerifyBundle(p, identity.BundlePin{UserID: "alice"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Every field is covered by the identity signature: changing one after
// signing makes VerifyBundle refuse the bundle.
func TestVerifyBundleRefusesChangedFields(t *testing.T) {
	key, other := mustKey(t, identity.Ed25519), mustKey(t, identity.Ed25519)
	v1 := bundleOf(t)(identity.SignBundle(key, identity.KeyBundle{UserID: "alice", Version: 1, Created: bundleT0, Keys: testKeys()}))
	v2 := bundleOf(t)(identity.SignKeyChange(key, other, identity.KeyBundle{UserID: "alice", Version: 2, Created: bundleT0, Keys: testKeys(), Previous: v1.Hash()}))
	for name, c := range map[string]struct {
		base   *identity.KeyBundle
		change func(b *identity.KeyBundle)
	}{
		"user":             {v1, func(b *identity.KeyBundle) { b.UserID = "alicf" }},
		"version":          {v2, func(b *identity.KeyBundle) { b.Version = 3 }},
		"created":          {v1, func(b *identity.KeyBundle) { b.Created = b.Created.Add(time.Second) }},
		"key data":         {v1, func(b *identity.KeyBundle) { b.Keys[0].Data = []byte{9} }},
		"key purpose":      {v1, func(b *identity.KeyBundle) { b.Keys[1].Purpose = "sharf" }},
		"key dropped":      {v1, func(b *identity.KeyBundle) { b.Keys = b.Keys[1:] }},
		"previous":         {v2, func(b *identity.KeyBundle) { b.Previous = bytes.Repeat([]byte{7}, 32) }},
		"identity key":     {v1, func(b *identity.KeyBundle) { b.IdentityKey = other.Public() }},
		"previous key":     {v2, func(b *identity.KeyBundle) { b.PreviousIdentityKey = mustKey(t, identity.Ed25519).Public() }},
		"key change sig":   {v2, func(b *identity.KeyBundle) { b.KeyChangeSignature = b.Signature }},
		"identity sig":     {v1, func(b *identity.KeyBundle) { b.Signature = nil }},
		"key change strip": {v2, func(b *identity.KeyBundle) { b.PreviousIdentityKey, b.KeyChangeSignature = nil, nil }},
	} {
		t.Run(name, func(t *testing.T) {
			b := *c.base
			b.Keys = append([]identity.PublishedKey(nil), b.Keys...)
			c.change(&b)
			err := identity.VerifyBundle(&b, identity.BundlePin{UserID: b.UserID})
			if !errors.Is(err, identity.ErrBundleSignature) && !errors.Is(err, identity.ErrBundleMalformed) {
				t.Fatalf("VerifyBundle = %v, want a signature or malformed error", err)
			}
		})
	}
}

func TestSignBundleRefusesMalformed(t *testing.T) {
	key := mustKey(t, identity.Ed25519)
	h := bytes.Repeat([]byte{1}, identity.BundleHashSize)
	for name, b := range map[string]identity.KeyBundle{
		"version 0":         {UserID: "a", Version: 0},
		"no user":           {Version: 1},
		"v2 no previous":    {UserID: "a", Version: 2},
		"v1 with previous":  {UserID: "a", Version: 1, Previous: h},
		"repeated key":      {UserID: "a", Version: 1, Keys: []identity.PublishedKey{testKeys()[0], testKeys()[0]}},
		"empty key":         {UserID: "a", Version: 1, Keys: []identity.PublishedKey{{Type: "x25519", Purpose: "share"}}},
		"before 1970":       {UserID: "a", Version: 1, Created: time.Unix(-1, 0)},
		"too many keys":     {UserID: "a", Version: 1, Keys: make([]identity.PublishedKey, identity.MaxBundleKeys+1)},
		"user id too long":  {UserID: strings.Repeat("a", identity.MaxUserIDLength+1), Version: 1},
		"oversize key data": {UserID: "a", Version: 1, Keys: []identity.PublishedKey{{Type: "x", Purpose: "y", Data: make([]byte, identity.MaxPublishedKeyBytes+1)}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := identity.SignBundle(key, b); !errors.Is(err, identity.ErrBundleMalformed) {
				t.Fatalf("SignBundle = %v, want ErrBundleMalformed", err)
			}
		})
	}
	if _, err := identity.SignKeyChange(key, key, identity.KeyBundle{UserID: "a", Version: 2, Previous: h}); !errors.Is(err, identity.ErrBundleMalformed) {
		t.Fatalf("key change to the same key: %v", err)
	}
	if _, err := identity.SignKeyChange(key, mustKey(t, identity.Ed25519), identity.KeyBundle{UserID: "a", Version: 1}); !errors.Is(err, identity.ErrBundleMalformed) {
		t.Fatalf("key change at version 1: %v", err)
	}
}

// A client that missed versions verifies them in order; its pin moves only
// when the whole chain verifies.
func TestVerifyBundleChain(t *testing.T) {
	k1, k2 := mustKey(t, identity.Ed25519), mustKey(t, identity.ECDSAP256SHA256)
	v1 := bundleOf(t)(identity.SignBundle(k1, identity.KeyBundle{UserID: "alice", Version: 1, Created: bundleT0}))
	v2 := bundleOf(t)(identity.SignBundle(k1, identity.KeyBundle{UserID: "alice", Version: 2, Created: bundleT0, Keys: testKeys(), Previous: v1.Hash()}))
	v3 := bundleOf(t)(identity.SignKeyChange(k1, k2, identity.KeyBundle{UserID: "alice", Version: 3, Created: bundleT0, Previous: v2.Hash()}))
	v4 := bundleOf(t)(identity.SignBundle(k2, identity.KeyBundle{UserID: "alice", Version: 4, Created: bundleT0, Keys: testKeys(), Previous: v3.Hash()}))
	start := v1.Pin()
	if err := identity.VerifyBundle(v4, start); !errors.Is(err, identity.ErrBundleChain) {
		t.Fatalf("skipping versions: %v, want ErrBundleChain", err)
	}
	pin, err := identity.VerifyBundleChain(start, v2, v3, v4)
	if err != nil {
		t.Fatal(err)
	}
	if pin.Version != 4 || !pin.Key.Equal(k2.Public()) || !bytes.Equal(pin.Hash, v4.Hash()) {
		t.Fatalf("pin after the chain: %+v", pin)
	}
	pin, err = identity.VerifyBundleChain(start, v2, v4)
	if !errors.Is(err, identity.ErrBundleChain) || pin.Version != 2 {
		t.Fatalf("chain with a gap: %v, pin at %d; want ErrBundleChain at the last good version 2", err, pin.Version)
	}
}

// ErrIdentityChanged leaves the decision to the user; once they accept
// (after comparing the new safety number), the client pins the new bundle.
func TestIdentityChangedNeedsAcceptance(t *testing.T) {
	k1, k2 := mustKey(t, identity.Ed25519), mustKey(t, identity.Ed25519)
	v1 := bundleOf(t)(identity.SignBundle(k1, identity.KeyBundle{UserID: "bob", Version: 1, Created: bundleT0}))
	v2 := bundleOf(t)(identity.SignBundle(k2, identity.KeyBundle{UserID: "bob", Version: 2, Created: bundleT0, Previous: v1.Hash()}))
	err := identity.VerifyBundle(v2, v1.Pin())
	var be *identity.BundleError
	if !errors.Is(err, identity.ErrIdentityChanged) || !errors.As(err, &be) || be.Detail == "" {
		t.Fatalf("VerifyBundle = %v, want a *BundleError wrapping ErrIdentityChanged", err)
	}
	if err := identity.VerifyBundle(v2, identity.BundlePin{UserID: "bob"}); err != nil {
		t.Fatalf("accepted after the user's decision: %v", err)
	}
}

func TestSafetyNumber(t *testing.T) {
	a := identity.UserKey{UserID: "alice", Key: mustKey(t, identity.Ed25519).Public()}
	b := identity.UserKey{UserID: "bob", Key: mustKey(t, identity.ECDSAP256SHA256).Public()}
	ab, err := identity.SafetyNumber(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9]{5}( [0-9]{5}){11}$`).MatchString(ab) {
		t.Fatalf("safety number %q is not 12 groups of 5 digits", ab)
	}
	if ba, _ := identity.SafetyNumber(b, a); ba != ab {
		t.Fatalf("not symmetric: %q vs %q", ab, ba)
	}
	c := identity.UserKey{UserID: "bob", Key: mustKey(t, identity.ECDSAP256SHA256).Public()}
	if ac, _ := identity.SafetyNumber(a, c); ac == ab || identity.SafetyNumberEqual(ac, ab) {
		t.Fatal("a new key for bob did not change the safety number")
	}
	if _, err := identity.SafetyNumber(a, identity.UserKey{UserID: "bob"}); !errors.Is(err, identity.ErrBundleMalformed) {
		t.Fatalf("no key: %v", err)
	}
	compact := strings.ReplaceAll(ab, " ", "")
	for _, c := range []struct {
		x    string
		want bool
	}{
		{ab, true},
		{compact, true},
		{" " + compact[:7] + "  " + compact[7:] + " ", true},
		{compact[:59], false},
		{compact + "0", false},
		{compact[:59] + "x", false},
		{compact[:59] + string('0'+(compact[59]-'0'+1)%10), false},
		{"", false},
	} {
		if got := identity.SafetyNumberEqual(ab, c.x); got != c.want {
			t.Errorf("SafetyNumberEqual(%q, %q) = %v, want %v", ab, c.x, got, c.want)
		}
	}
	if identity.SafetyNumberEqual("", "") {
		t.Error("two empty strings are equal safety numbers")
	}
}

// FuzzParseBundle: any bytes either parse to a bundle that re-encodes to
// exactly those bytes, or are refused with a *BundleError wrapping
// ErrBundleMalformed; verifying a parsed bundle never panics.
func FuzzParseBundle(f *testing.F) {
	vf := loadBundleVectors(f)
	for _, v := range vf.Bundles {
		raw, _ := hex.DecodeString(v.Bundle)
		f.Add(raw)
	}
	if len(vf.Bundles) == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := identity.ParseBundle(raw)
		if err != nil {
			var be *identity.BundleError
			if !errors.As(err, &be) || !errors.Is(err, identity.ErrBundleMalformed) {
				t.Fatalf("not a malformed-bundle error: %v", err)
			}
			return
		}
		if !bytes.Equal(b.Bytes(), raw) {
			t.Fatal("parsed bundle does not re-encode to its bytes")
		}
		again, err := identity.ParseBundle(b.Bytes())
		if err != nil || !bytes.Equal(again.Hash(), b.Hash()) {
			t.Fatalf("re-parse: %v", err)
		}
		err = identity.VerifyBundle(b, identity.BundlePin{UserID: b.UserID})
		if err != nil && !errors.Is(err, identity.ErrBundleSignature) {
			t.Fatalf("a parsed bundle failed other than by signature: %v", err)
		}
	})
}

// BenchmarkVerifyBundle: ParseBundle and VerifyBundle of a bundle with an
// ML-KEM-768+X25519 share key (1216 bytes), an X25519 key and a request
// key, chained to the previous version, against bare ed25519.Verify of the
// same signed bytes.
func BenchmarkVerifyBundle(b *testing.B) {
	key := mustKey(b, identity.Ed25519)
	v1 := bundleOf(b)(identity.SignBundle(key, identity.KeyBundle{UserID: "alice", Version: 1, Created: bundleT0}))
	keys := append(testKeys(), identity.PublishedKey{Type: "mlkem768x25519", Purpose: "share", Data: make([]byte, 1216)})
	v2 := bundleOf(b)(identity.SignBundle(key, identity.KeyBundle{UserID: "alice", Version: 2, Created: bundleT0, Keys: keys, Previous: v1.Hash()}))
	enc, pin := v2.Bytes(), v1.Pin()
	pub := ed25519.PublicKey(key.Public().Bytes())
	signed := append([]byte("sealkit identity key-bundle v1\x00"), enc[:len(enc)-65]...)
	benchutil.Compare(b, int64(len(enc)), func() {
		p, err := identity.ParseBundle(enc)
		if err != nil {
			b.Fatal(err)
		}
		if err := identity.VerifyBundle(p, pin); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if !ed25519.Verify(pub, signed, v2.Signature) {
			b.Fatal("raw verify")
		}
	})
}

// BenchmarkSafetyNumber: both sides' 5200 SHA-512 iterations.
func BenchmarkSafetyNumber(b *testing.B) {
	a := identity.UserKey{UserID: "alice", Key: mustKey(b, identity.Ed25519).Public()}
	c := identity.UserKey{UserID: "bob", Key: mustKey(b, identity.ECDSAP256SHA256).Public()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := identity.SafetyNumber(a, c); err != nil {
			b.Fatal(err)
		}
	}
}

// A zero KeyBundle encodes and hashes without panicking, and is refused.
func TestZeroBundle(t *testing.T) {
	var b identity.KeyBundle
	if _, err := identity.ParseBundle(b.Bytes()); !errors.Is(err, identity.ErrBundleMalformed) {
		t.Fatalf("ParseBundle of a zero bundle's bytes: %v", err)
	}
	if len(b.Hash()) != identity.BundleHashSize {
		t.Fatal("Hash size")
	}
	if err := identity.VerifyBundle(&b, b.Pin()); !errors.Is(err, identity.ErrBundleMalformed) {
		t.Fatalf("VerifyBundle of a zero bundle: %v", err)
	}
	if err := identity.VerifyBundle(nil, identity.BundlePin{}); !errors.Is(err, identity.ErrBundleMalformed) {
		t.Fatalf("VerifyBundle(nil): %v", err)
	}
}
