package identity_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/sealkit/sealkit/identity"
)

var updateBundles = flag.Bool("update-bundles", false, "regenerate "+bundleVectorFile+" (frozen: only to add vectors)")

// bundleVectorFile holds the key bundle and safety number vectors of
// SPEC.md's "Key bundles" and "Safety numbers".
const bundleVectorFile = "testdata/bundles.json"

type bundleFile struct {
	Comment       string                     `json:"comment"`
	Keys          map[string]bundleVectorKey `json:"keys"`
	Bundles       []bundleVector             `json:"bundles"`
	SafetyNumbers []safetyVector             `json:"safety_numbers"`
}

// bundleVectorKey: private is the Ed25519 seed or the P-256 scalar (test
// keys only), public the raw public key; all hex.
type bundleVectorKey struct {
	Alg     string `json:"alg"`
	Private string `json:"private"`
	Public  string `json:"public"`
}

// bundleVector: bundle is the encoding (hex); hash its BundleHash when it
// parses; expect is "ok" or the bundleCodes name of the error.
type bundleVector struct {
	Name   string          `json:"name"`
	Bundle string          `json:"bundle"`
	Hash   string          `json:"hash,omitempty"`
	Pin    bundleVectorPin `json:"pin"`
	Expect string          `json:"expect"`
}

// bundleVectorPin: key names an entry of keys ("" for none), hash is hex
// ("" for none).
type bundleVectorPin struct {
	UserID  string `json:"user_id"`
	Key     string `json:"key"`
	Version uint64 `json:"version"`
	Hash    string `json:"hash"`
}

type safetyVector struct {
	Name   string     `json:"name"`
	A      safetySide `json:"a"`
	B      safetySide `json:"b"`
	Number string     `json:"number,omitempty"`
	Expect string     `json:"expect"`
}

type safetySide struct {
	UserID string `json:"user_id"`
	Key    string `json:"key"`
}

// bundleCodes names each bundle error in the vectors.
var bundleCodes = map[string]error{
	"malformed":        identity.ErrBundleMalformed,
	"bad_signature":    identity.ErrBundleSignature,
	"wrong_user":       identity.ErrBundleUser,
	"rollback":         identity.ErrBundleRollback,
	"chain":            identity.ErrBundleChain,
	"identity_changed": identity.ErrIdentityChanged,
}

func bundleOutcome(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return "ok"
	}
	var be *identity.BundleError
	if !errors.As(err, &be) {
		t.Fatalf("error %v is not a *BundleError", err)
	}
	for code, sentinel := range bundleCodes {
		if errors.Is(err, sentinel) {
			return code
		}
	}
	t.Fatalf("error %v wraps no bundle sentinel", err)
	return ""
}

func loadBundleVectors(t testing.TB) *bundleFile {
	t.Helper()
	b, err := os.ReadFile(bundleVectorFile)
	if err != nil {
		t.Fatalf("%s is required: %v", bundleVectorFile, err)
	}
	var f bundleFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func (f *bundleFile) publicKey(t testing.TB, name string) *identity.PublicKey {
	t.Helper()
	if name == "" {
		return nil
	}
	k, ok := f.Keys[name]
	if !ok {
		t.Fatalf("unknown vector key %q", name)
	}
	raw := unhexBundle(t, k.Public)
	var p *identity.PublicKey
	var err error
	if k.Alg == string(identity.Ed25519) {
		p, err = identity.NewEd25519PublicKey(raw)
	} else {
		p, err = identity.NewECDSAP256PublicKey(raw)
	}
	if err != nil {
		t.Fatalf("vector key %s: %v", name, err)
	}
	return p
}

func (f *bundleFile) pin(t testing.TB, p bundleVectorPin) identity.BundlePin {
	t.Helper()
	pin := identity.BundlePin{UserID: p.UserID, Key: f.publicKey(t, p.Key), Version: p.Version}
	if p.Hash != "" {
		pin.Hash = unhexBundle(t, p.Hash)
	}
	return pin
}

func unhexBundle(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in %s: %v", bundleVectorFile, err)
	}
	return b
}

func TestBundleVectors(t *testing.T) {
	if *updateBundles {
		generateBundleVectors(t)
	}
	f := loadBundleVectors(t)
	for name, k := range f.Keys {
		priv := vectorPrivate(t, k)
		if hex.EncodeToString(priv.Public().Bytes()) != k.Public {
			t.Fatalf("key %s: public key does not match the private key", name)
		}
	}
	seen := map[string]int{}
	for _, v := range f.Bundles {
		t.Run(v.Name, func(t *testing.T) {
			raw := unhexBundle(t, v.Bundle)
			b, err := identity.ParseBundle(raw)
			if err == nil {
				if !bytes.Equal(b.Bytes(), raw) {
					t.Fatal("Bytes does not reproduce the parsed encoding")
				}
				if hex.EncodeToString(b.Hash()) != v.Hash {
					t.Fatalf("Hash = %x, want %s", b.Hash(), v.Hash)
				}
				err = identity.VerifyBundle(b, f.pin(t, v.Pin))
			} else if v.Hash != "" {
				t.Fatalf("a bundle that does not parse has a hash in the vectors: %v", err)
			}
			if got := bundleOutcome(t, err); got != v.Expect {
				t.Fatalf("got %s (%v), want %s", got, err, v.Expect)
			}
			seen[v.Expect]++
		})
	}
	for code := range bundleCodes {
		if seen[code] == 0 {
			t.Errorf("no vector expects %s", code)
		}
	}
	if seen["ok"] < 5 {
		t.Errorf("%d positive bundle vectors", seen["ok"])
	}
	numbers := 0
	for _, v := range f.SafetyNumbers {
		t.Run("safety/"+v.Name, func(t *testing.T) {
			a := identity.UserKey{UserID: v.A.UserID, Key: f.publicKey(t, v.A.Key)}
			b := identity.UserKey{UserID: v.B.UserID, Key: f.publicKey(t, v.B.Key)}
			got, err := identity.SafetyNumber(a, b)
			if out := bundleOutcome(t, err); out != v.Expect {
				t.Fatalf("got %s (%v), want %s", out, err, v.Expect)
			}
			if err != nil {
				return
			}
			back, err := identity.SafetyNumber(b, a)
			if err != nil || back != got {
				t.Fatalf("not symmetric: %q, %v", back, err)
			}
			if got != v.Number || !identity.SafetyNumberEqual(got, v.Number) {
				t.Fatalf("SafetyNumber = %q, want %q", got, v.Number)
			}
			if spec := specSafetyNumber(a, b); spec != v.Number {
				t.Fatalf("SPEC.md construction gives %q, want %q", spec, v.Number)
			}
			numbers++
		})
	}
	if numbers < 5 {
		t.Errorf("%d positive safety number vectors", numbers)
	}
}

// specSafetyNumber is SPEC.md's construction written out again, apart
// from the package's code.
func specSafetyNumber(a, b identity.UserKey) string {
	side := func(u identity.UserKey) string {
		key := u.Key.Bytes()
		h := []byte("sealkit identity safety-number v1\x00")
		for _, f := range [][]byte{[]byte(u.Key.Algorithm()), key, []byte(u.UserID)} {
			h = append(append(h, byte(len(f))), f...)
		}
		for range 5200 {
			s := sha512Sum(append(h, key...))
			h = s[:]
		}
		var out strings.Builder
		for i := 0; i < 30; i += 5 {
			n := uint64(h[i])<<32 | uint64(binary.BigEndian.Uint32(h[i+1:]))
			out.WriteString(strings.Repeat("0", 5-len(itoa(n%100000))) + itoa(n%100000))
		}
		return out.String()
	}
	x, y := side(a), side(b)
	if y < x {
		x, y = y, x
	}
	var out []string
	for i := 0; i < 60; i += 5 {
		out = append(out, (x + y)[i:i+5])
	}
	return strings.Join(out, " ")
}

func vectorPrivate(t testing.TB, k bundleVectorKey) *identity.PrivateKey {
	t.Helper()
	raw := unhexBundle(t, k.Private)
	if k.Alg == string(identity.Ed25519) {
		p, err := identity.NewEd25519PrivateKey(raw)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := identity.NewPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bundleInput is SHA-256 of a label, expanded to n bytes: the generator's
// deterministic key material.
func bundleInput(label string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte(label + "#" + itoa(uint64(i))))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// rawBundle is a bundle as raw fields, encoded by the test's own writer
// of SPEC.md's layout so that malformed bundles can carry valid
// signatures.
type rawBundle struct {
	format           byte
	userID           string
	version, created uint64
	alg              string
	key              []byte
	prev             []byte
	prevAlg          string
	prevKey          []byte
	keys             []identity.PublishedKey
	keyCount         int // written count; -1 for len(keys)
}

func rawFrom(b *identity.KeyBundle) rawBundle {
	r := rawBundle{format: 1, userID: b.UserID, version: b.Version, created: uint64(b.Created.Unix()),
		alg: string(b.IdentityKey.Algorithm()), key: b.IdentityKey.Bytes(), prev: b.Previous, keys: b.Keys, keyCount: -1}
	if b.PreviousIdentityKey != nil {
		r.prevAlg, r.prevKey = string(b.PreviousIdentityKey.Algorithm()), b.PreviousIdentityKey.Bytes()
	}
	return r
}

func (r rawBundle) body() []byte {
	str8 := func(out []byte, s []byte) []byte { return append(append(out, byte(len(s))), s...) }
	out := []byte{r.format}
	out = str8(out, []byte(r.userID))
	out = binary.BigEndian.AppendUint64(out, r.version)
	out = binary.BigEndian.AppendUint64(out, r.created)
	out = str8(str8(out, []byte(r.alg)), r.key)
	out = str8(out, r.prev)
	out = str8(out, []byte(r.prevAlg))
	if r.prevAlg != "" {
		out = str8(out, r.prevKey)
	}
	n := r.keyCount
	if n < 0 {
		n = len(r.keys)
	}
	out = append(out, byte(n))
	for _, k := range r.keys {
		out = str8(str8(out, []byte(k.Type)), []byte(k.Purpose))
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.Data)))
		out = append(out, k.Data...)
	}
	return out
}

// sign appends the identity signature (by signer under label) and, if
// changer is set, the key change signature.
func (r rawBundle) sign(t testing.TB, label string, signer, changer *identity.PrivateKey) []byte {
	t.Helper()
	body := r.body()
	sig, err := signer.Sign(append([]byte(label+"\x00"), body...))
	if err != nil {
		t.Fatal(err)
	}
	out := append(append(body, byte(len(sig))), sig...)
	if changer != nil {
		sig, err := changer.Sign(append([]byte("sealkit identity key-change v1\x00"), body...))
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, byte(len(sig))), sig...)
	}
	return out
}

const testBundleLabel = "sealkit identity key-bundle v1"

func generateBundleVectors(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	f := bundleFile{
		Comment: "sealkit identity key bundle and safety number vectors; see identity/SPEC.md. Deterministic inputs; frozen: regenerate only to add vectors.",
		Keys:    map[string]bundleVectorKey{},
	}
	keys := map[string]*identity.PrivateKey{}
	addKey := func(name string, alg identity.Algorithm) *identity.PrivateKey {
		var k *identity.PrivateKey
		if alg == identity.Ed25519 {
			k, _ = identity.NewEd25519PrivateKey(bundleInput(name, 32))
		} else {
			ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bundleInput(name, 32))
			if err != nil {
				t.Fatal(err)
			}
			k, _ = identity.NewPrivateKey(ec)
		}
		priv := k.Seed()
		if priv == nil {
			priv, _ = k.CryptoSigner().(*ecdsa.PrivateKey).Bytes()
		}
		f.Keys[name] = bundleVectorKey{Alg: string(alg), Private: hex.EncodeToString(priv), Public: hex.EncodeToString(k.Public().Bytes())}
		keys[name] = k
		return k
	}
	aliceEd := addKey("alice-ed25519", identity.Ed25519)
	aliceNew := addKey("alice-ed25519-new", identity.Ed25519)
	bobP256 := addKey("bob-p256", identity.ECDSAP256SHA256)
	bobEd := addKey("bob-ed25519", identity.Ed25519)
	mallory := addKey("mallory-ed25519", identity.Ed25519)

	t0 := time.Unix(1_767_225_600, 0) // 2026-01-01T00:00:00Z
	day := 24 * time.Hour
	share := identity.PublishedKey{Type: "mlkem768x25519", Purpose: "share", Data: bundleInput("alice share", 1216)}
	conn := identity.PublishedKey{Type: "x25519", Purpose: "connection", Data: bundleInput("alice connection", 32)}
	req := identity.PublishedKey{Type: "ed25519-request", Purpose: "laptop", Data: bundleInput("alice laptop", 32)}
	phone := identity.PublishedKey{Type: "p256-request", Purpose: "phone", Data: bundleInput("alice phone", 65)}
	rsa := identity.PublishedKey{Type: "rsa-oaep-256", Purpose: "share", Data: bundleInput("bob rsa spki", 294)}

	must := func(b *identity.KeyBundle, err error) *identity.KeyBundle {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a1 := must(identity.SignBundle(aliceEd, identity.KeyBundle{UserID: "alice", Version: 1, Created: t0, Keys: []identity.PublishedKey{req, conn}}))
	a2 := must(identity.SignBundle(aliceEd, identity.KeyBundle{UserID: "alice", Version: 2, Created: t0.Add(day), Keys: []identity.PublishedKey{req, phone, share, conn}, Previous: a1.Hash()}))
	a2fork := must(identity.SignBundle(aliceEd, identity.KeyBundle{UserID: "alice", Version: 2, Created: t0.Add(day), Keys: []identity.PublishedKey{req, share, conn}, Previous: a1.Hash()}))
	a2badPrev := must(identity.SignBundle(aliceEd, identity.KeyBundle{UserID: "alice", Version: 2, Created: t0.Add(day), Keys: a2.Keys, Previous: bundleInput("not alice v1", 32)}))
	a3tpl := identity.KeyBundle{UserID: "alice", Version: 3, Created: t0.Add(2 * day), Keys: []identity.PublishedKey{req, phone, share, conn}, Previous: a2.Hash()}
	a3 := must(identity.SignKeyChange(aliceEd, aliceNew, a3tpl))
	a3bare := must(identity.SignBundle(aliceNew, a3tpl))
	a3mallory := must(identity.SignKeyChange(mallory, aliceNew, a3tpl))
	b1 := must(identity.SignBundle(bobP256, identity.KeyBundle{UserID: "bob@example.com", Version: 1, Created: t0, Keys: []identity.PublishedKey{rsa}}))
	b2 := must(identity.SignKeyChange(bobP256, bobEd, identity.KeyBundle{UserID: "bob@example.com", Version: 2, Created: t0.Add(day), Keys: []identity.PublishedKey{rsa}, Previous: b1.Hash()}))
	carol := must(identity.SignBundle(mallory, identity.KeyBundle{UserID: "carol \u00e9t\u00e9", Version: 1, Created: t0}))
	m1 := must(identity.SignBundle(mallory, identity.KeyBundle{UserID: "mallory", Version: 1, Created: t0, Keys: []identity.PublishedKey{conn}}))

	pinOf := func(b *identity.KeyBundle, key string) bundleVectorPin {
		return bundleVectorPin{UserID: b.UserID, Key: key, Version: b.Version, Hash: hex.EncodeToString(b.Hash())}
	}
	first := func(user string) bundleVectorPin { return bundleVectorPin{UserID: user} }
	add := func(name string, enc []byte, pin bundleVectorPin, expect string) {
		v := bundleVector{Name: name, Bundle: hex.EncodeToString(enc), Pin: pin, Expect: expect}
		if b, err := identity.ParseBundle(enc); err == nil {
			v.Hash = hex.EncodeToString(b.Hash())
		}
		f.Bundles = append(f.Bundles, v)
	}
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 1
		return b
	}

	// Accepted.
	add("first-contact-ed25519", a1.Bytes(), first("alice"), "ok")
	add("next-version", a2.Bytes(), pinOf(a1, "alice-ed25519"), "ok")
	add("same-as-pinned", a2.Bytes(), pinOf(a2, "alice-ed25519"), "ok")
	add("key-change-cross-signed", a3.Bytes(), pinOf(a2, "alice-ed25519"), "ok")
	add("key-change-after-key-change", a3.Bytes(), pinOf(a3, "alice-ed25519-new"), "ok")
	add("first-contact-p256", b1.Bytes(), first("bob@example.com"), "ok")
	add("key-change-p256-to-ed25519", b2.Bytes(), pinOf(b1, "bob-p256"), "ok")
	add("key-only-pin", a2.Bytes(), bundleVectorPin{UserID: "alice", Key: "alice-ed25519", Version: 1}, "ok")
	add("key-only-pin-skips-versions", a3.Bytes(), bundleVectorPin{UserID: "alice", Key: "alice-ed25519"}, "ok")
	add("no-published-keys-non-ascii-user", carol.Bytes(), first("carol \u00e9t\u00e9"), "ok")

	// Signatures.
	a1raw := rawFrom(a1)
	add("identity-signature-flipped", flip(a1.Bytes(), -1), first("alice"), "bad_signature")
	add("p256-signature-flipped", flip(b1.Bytes(), -1), first("bob@example.com"), "bad_signature")
	add("key-change-signature-flipped", flip(a3.Bytes(), -1), pinOf(a2, "alice-ed25519"), "bad_signature")
	add("key-change-identity-signature-flipped", flip(a3.Bytes(), -66), pinOf(a2, "alice-ed25519"), "bad_signature")
	tampered := a1raw
	tampered.created++
	add("created-changed-after-signing", append(tampered.body(), a1.Bytes()[len(a1raw.body()):]...), first("alice"), "bad_signature")
	dataFlipped := a1raw
	dataFlipped.keys = append([]identity.PublishedKey(nil), a1.Keys...)
	dataFlipped.keys[0].Data = flip(dataFlipped.keys[0].Data, 0)
	add("published-key-changed-after-signing", append(dataFlipped.body(), a1.Bytes()[len(a1raw.body()):]...), first("alice"), "bad_signature")
	add("signed-under-key-change-label", a1raw.sign(t, "sealkit identity key-change v1", aliceEd, nil), first("alice"), "bad_signature")
	add("signed-under-signed-message-label", a1raw.sign(t, "sealkit identity signed-message v1", aliceEd, nil), first("alice"), "bad_signature")
	add("signed-by-another-key", a1raw.sign(t, testBundleLabel, mallory, nil), first("alice"), "bad_signature")

	// User, version, chain, identity.
	add("another-users-bundle", m1.Bytes(), first("alice"), "wrong_user")
	add("pinned-for-another-user", a2.Bytes(), bundleVectorPin{UserID: "bob@example.com", Key: "alice-ed25519", Version: 1, Hash: hex.EncodeToString(a1.Hash())}, "wrong_user")
	add("older-than-pinned", a1.Bytes(), pinOf(a2, "alice-ed25519"), "rollback")
	add("other-bundle-at-pinned-version", a2fork.Bytes(), pinOf(a2, "alice-ed25519"), "rollback")
	add("key-only-pin-older", a1.Bytes(), bundleVectorPin{UserID: "alice", Key: "alice-ed25519", Version: 2}, "rollback")
	add("key-only-pin-same-version", a2.Bytes(), bundleVectorPin{UserID: "alice", Key: "alice-ed25519", Version: 2}, "rollback")
	add("previous-hash-wrong", a2badPrev.Bytes(), pinOf(a1, "alice-ed25519"), "chain")
	add("fork-after-pinned-fork", a3.Bytes(), pinOf(a2fork, "alice-ed25519"), "chain")
	add("versions-skipped", a3.Bytes(), pinOf(a1, "alice-ed25519"), "chain")
	add("new-identity-without-key-change", a3bare.Bytes(), pinOf(a2, "alice-ed25519"), "identity_changed")
	add("key-change-signed-by-another-key", a3mallory.Bytes(), pinOf(a2, "alice-ed25519"), "identity_changed")
	add("key-only-pin-new-identity", a3bare.Bytes(), bundleVectorPin{UserID: "alice", Key: "alice-ed25519"}, "identity_changed")
	add("mallory-signs-for-alice", rawBundle{format: 1, userID: "alice", version: 3, created: rawFrom(a3).created, alg: "ed25519",
		key: mallory.Public().Bytes(), prev: a2.Hash(), keys: a3.Keys, keyCount: -1}.sign(t, testBundleLabel, mallory, nil), pinOf(a2, "alice-ed25519"), "identity_changed")

	// Malformed, each validly signed where a signature can be made.
	mal := func(name string, mutate func(*rawBundle)) {
		r := a1raw
		r.keys = append([]identity.PublishedKey(nil), a1.Keys...)
		mutate(&r)
		add(name, r.sign(t, testBundleLabel, aliceEd, nil), first("alice"), "malformed")
	}
	add("empty", nil, first("alice"), "malformed")
	add("trailing-byte", append(a1.Bytes(), 0), first("alice"), "malformed")
	add("truncated", a1.Bytes()[:len(a1.Bytes())-1], first("alice"), "malformed")
	add("truncated-body", a1.Bytes()[:40], first("alice"), "malformed")
	add("over-size-cap", append(a1.Bytes(), make([]byte, identity.MaxBundleBytes+1-len(a1.Bytes()))...), first("alice"), "malformed")
	short := a1.Bytes()
	short = append(bytes.Clone(short[:len(short)-65]), 63)
	add("signature-63-bytes", append(short, a1.Signature[:63]...), first("alice"), "malformed")
	add("key-change-signature-missing", a3.Bytes()[:len(a3.Bytes())-65], pinOf(a2, "alice-ed25519"), "malformed")
	mal("format-2", func(r *rawBundle) { r.format = 2 })
	mal("version-0", func(r *rawBundle) { r.version = 0 })
	mal("created-0", func(r *rawBundle) { r.created = 0 })
	mal("created-over-int64", func(r *rawBundle) { r.created = 1 << 63 })
	mal("version-1-with-previous", func(r *rawBundle) { r.prev = a1.Hash() })
	mal("version-2-without-previous", func(r *rawBundle) { r.version = 2 })
	mal("previous-31-bytes", func(r *rawBundle) { r.version, r.prev = 2, a1.Hash()[:31] })
	mal("unknown-algorithm", func(r *rawBundle) { r.alg = "ed448" })
	mal("ed25519-key-31-bytes", func(r *rawBundle) { r.key = r.key[:31] })
	mal("ed25519-key-small-order", func(r *rawBundle) { r.key = append([]byte{1}, make([]byte, 31)...) })
	mal("p256-key-off-curve", func(r *rawBundle) {
		r.alg, r.key = "ecdsa-p256-sha256", append([]byte{4}, bundleInput("off curve", 64)...)
	})
	mal("p256-key-compressed", func(r *rawBundle) {
		r.alg, r.key = "ecdsa-p256-sha256", append([]byte{2 + bobP256.Public().Bytes()[64]&1}, bobP256.Public().Bytes()[1:33]...)
	})
	mal("key-change-at-version-1", func(r *rawBundle) { r.prevAlg, r.prevKey = "ed25519", aliceNew.Public().Bytes() })
	mal("key-change-unknown-algorithm", func(r *rawBundle) {
		r.version, r.prev, r.prevAlg, r.prevKey = 2, a1.Hash(), "rsa", aliceNew.Public().Bytes()
	})
	mal("keys-unsorted", func(r *rawBundle) { r.keys[0], r.keys[1] = r.keys[1], r.keys[0] })
	mal("keys-repeated", func(r *rawBundle) {
		r.keys[1] = identity.PublishedKey{Type: r.keys[0].Type, Purpose: r.keys[0].Purpose, Data: []byte{1}}
	})
	mal("key-count-over-keys", func(r *rawBundle) { r.keyCount = len(r.keys) + 1 })
	mal("key-type-upper-case", func(r *rawBundle) { r.keys[0].Type = "Ed25519-request" })
	mal("key-type-empty", func(r *rawBundle) { r.keys[0].Type = "" })
	mal("key-type-33-bytes", func(r *rawBundle) { r.keys[1].Type = "x" + strings.Repeat("2", 32) })
	mal("key-purpose-65-bytes", func(r *rawBundle) { r.keys[0].Purpose = strings.Repeat("l", 65) })
	mal("key-purpose-space", func(r *rawBundle) { r.keys[0].Purpose = "my laptop" })
	mal("key-data-empty", func(r *rawBundle) { r.keys[0].Data = nil })
	mal("key-data-over-cap", func(r *rawBundle) { r.keys[0].Data = bundleInput("big", identity.MaxPublishedKeyBytes+1) })
	mal("keys-over-cap", func(r *rawBundle) {
		r.keys = nil
		for i := range identity.MaxBundleKeys + 1 {
			r.keys = append(r.keys, identity.PublishedKey{Type: "x25519", Purpose: "device-" + string(rune('a'+i)), Data: bundleInput("k", 32)})
		}
	})
	mal("user-id-empty", func(r *rawBundle) { r.userID = "" })
	mal("user-id-not-utf8", func(r *rawBundle) { r.userID = "alice\xff" })
	mal("user-id-control-character", func(r *rawBundle) { r.userID = "alice\n" })
	mal("user-id-c1-control-character", func(r *rawBundle) { r.userID = "alice\u0085" })
	kc := rawFrom(a3)
	kc.prevAlg, kc.prevKey = "ed25519", aliceNew.Public().Bytes()
	add("key-change-to-same-key", kc.sign(t, testBundleLabel, aliceNew, aliceNew), pinOf(a2, "alice-ed25519"), "malformed")
	maxKeys := a1raw
	maxKeys.keys = nil
	for i := range identity.MaxBundleKeys {
		maxKeys.keys = append(maxKeys.keys, identity.PublishedKey{Type: "x25519", Purpose: "device-" + string(rune('a'+i)), Data: bundleInput("k", 32)})
	}
	add("keys-at-cap", maxKeys.sign(t, testBundleLabel, aliceEd, nil), first("alice"), "ok")

	// Safety numbers.
	addSafety := func(name string, a, b safetySide, expect string) {
		v := safetyVector{Name: name, A: a, B: b, Expect: expect}
		if expect == "ok" {
			n, err := identity.SafetyNumber(identity.UserKey{UserID: a.UserID, Key: keys[a.Key].Public()}, identity.UserKey{UserID: b.UserID, Key: keys[b.Key].Public()})
			if err != nil {
				t.Fatal(err)
			}
			v.Number = n
		}
		f.SafetyNumbers = append(f.SafetyNumbers, v)
	}
	alice := safetySide{"alice", "alice-ed25519"}
	bob := safetySide{"bob@example.com", "bob-p256"}
	addSafety("ed25519-p256", alice, bob, "ok")
	addSafety("p256-ed25519", bob, alice, "ok")
	addSafety("alice-new-key", safetySide{"alice", "alice-ed25519-new"}, bob, "ok")
	addSafety("bob-new-key", alice, safetySide{"bob@example.com", "bob-ed25519"}, "ok")
	addSafety("other-user-id-same-key", safetySide{"alice2", "alice-ed25519"}, bob, "ok")
	addSafety("same-party-twice", alice, alice, "ok")
	addSafety("non-ascii-user-id", safetySide{"carol \u00e9t\u00e9", "mallory-ed25519"}, alice, "ok")
	addSafety("user-id-empty", safetySide{"", "alice-ed25519"}, bob, "malformed")
	addSafety("user-id-256-bytes", alice, safetySide{strings.Repeat("b", 256), "bob-p256"}, "malformed")
	addSafety("user-id-control-character", alice, safetySide{"bob\x00", "bob-p256"}, "malformed")

	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundleVectorFile, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha512Sum(b []byte) [64]byte { return sha512.Sum512(b) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
