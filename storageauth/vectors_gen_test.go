package storageauth_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"github.com/sealkit/sealkit/internal/testvec"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/sealkit/sealkit/storageauth"
)

// TestGenerateVectors writes testdata/vectors.json. It only runs with
// -update; the committed file is frozen and checked by the other tests.
func TestGenerateVectors(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate " + testvec.GoldenFile)
	}
	cryptotest.SetGlobalRandom(t, 5)
	f := &vectorFile{
		Comment: "sealkit storageauth golden vectors, SPEC.md §8. Hex unless noted; bodies are the exact JSON a client sends to PUT /{path_id}. " +
			"expect: ok, malformed, too_large, invalid_signature, conflict. secp256k1 is not in WebCrypto: check it with a library (e.g. @noble/curves).",
	}
	sig := walletSignature(t)
	f.Wallet = walletVector{
		PrivateKey:  hex.EncodeToString(walletKey().Serialize()),
		Message:     storageauth.WalletMessage,
		EIP191Hash:  hex.EncodeToString(eip191Hash(storageauth.WalletMessage)),
		Signature:   hex.EncodeToString(sig),
		Description: "personal_sign of message by private_key (RFC 6979), as r || s || v; the input of the wallet derivation vectors",
	}
	type src struct{ source, input, info string }
	inputs := []src{
		{"seed", strings.Repeat("01", 32), ""},
		{"prf", "8f4c2a1e9b7d6f50c3a2b1e4d7f6091827364554637281900a1b2c3d4e5f6071", "example.com"},
		{"wallet", hex.EncodeToString(sig), ""},
		{"raw", strings.Repeat("a5", 64), "app\x00with nul"},
	}
	derived := map[string]*storageauth.Keys{}
	for _, s := range schemes {
		for _, in := range inputs {
			name := s.String() + "-" + in.source
			input := unhex(t, in.input)
			ikm := specIKM(t, in.source, input)
			kek, okm, sk, pub := specKeys(t, s.String(), ikm, []byte(in.info))
			v := derivationVector{
				Name: name, Scheme: s.String(), Source: in.source, Input: in.input,
				IKM: hex.EncodeToString(ikm), Info: hex.EncodeToString([]byte(in.info)),
				KEK: hex.EncodeToString(kek), SigningOKM: hex.EncodeToString(okm),
				SigningKey: hex.EncodeToString(sk), PublicKey: hex.EncodeToString(pub),
				ID: s.String() + ":" + base64.RawURLEncoding.EncodeToString(pub),
			}
			var p8 []byte
			var err error
			switch s {
			case storageauth.Ed25519:
				p8, err = x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(sk))
			case storageauth.ECDSAP256:
				var k *ecdsa.PrivateKey
				k, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), sk)
				if err == nil {
					p8, err = x509.MarshalPKCS8PrivateKey(k)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			v.PKCS8 = hex.EncodeToString(p8)
			k := deriveVector(t, v) // the package agrees with the spec
			if k.ID().String() != v.ID {
				t.Fatalf("%s: package ID %s, spec %s", name, k.ID(), v.ID)
			}
			derived[name] = k
			f.Derivation = append(f.Derivation, v)
		}
	}

	body := func(r *storageauth.Record) string { return string(mustJSON(t, r)) }
	raw := func(id string, version any, ct, sig string) string {
		b, _ := json.Marshal(map[string]any{"id": id, "version": version, "ciphertext": ct, "signature": sig})
		return string(b)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	ok := func(name, key string, version uint64, keyring string, before ...string) (storeVector, *storageauth.Record) {
		r := mustSeal(t, derived[key], keyring, version)
		return storeVector{
			Name: name, Key: key, PathID: r.ID, Before: before, Body: body(r),
			Message: hex.EncodeToString(specStoreMessage(r.ID, r.Version, r.Ciphertext)),
			AD:      hex.EncodeToString(specAD(r.ID, r.Version)),
			Keyring: hex.EncodeToString([]byte(keyring)), Expect: "ok",
		}, r
	}
	bad := func(name, pathID, body, expect string, before ...string) storeVector {
		return storeVector{Name: name, PathID: pathID, Before: before, Body: body, Expect: expect}
	}
	var recs = map[string]*storageauth.Record{}
	for _, s := range schemes {
		key := s.String() + "-" + map[storageauth.Scheme]string{storageauth.Ed25519: "seed", storageauth.ECDSAP256: "prf", storageauth.Secp256k1: "wallet"}[s]
		v1, r1 := ok(s.String()+"-v1", key, 1, `{"keys":["k1"]}`)
		v2, r2 := ok(s.String()+"-v2", key, 2, `{"keys":["k1","k2"]}`, v1.Name)
		empty, _ := ok(s.String()+"-empty-keyring", key, 1, "")
		f.Store = append(f.Store, v1, v2, empty)
		recs[s.String()+"-v1"], recs[s.String()+"-v2"] = r1, r2
	}
	ed1, ed2 := recs["ed25519-v1"], recs["ed25519-v2"]
	p1 := recs["p256-v1"]
	k1 := recs["secp256k1-v1"]
	edID, pID := ed1.ID, p1.ID
	attacker := derived["ed25519-raw"]
	mut := func(r *storageauth.Record, fn func(*storageauth.Record)) string {
		c := r.Clone()
		fn(c)
		return body(c)
	}
	f.Store = append(f.Store,
		bad("replay-old-version", edID, body(ed1), "conflict", "ed25519-v1", "ed25519-v2"),
		bad("replay-same-version", edID, body(ed1), "conflict", "ed25519-v1"),
		bad("garbage-into-victim-slot", edID, raw(edID, 3, b64(randBytes(48)), b64(randBytes(64))), "invalid_signature", "ed25519-v1"),
		bad("signed-by-another-id", edID, mut(mustSeal(t, attacker, "evil", 3), func(r *storageauth.Record) { r.ID = edID }), "invalid_signature", "ed25519-v1"),
		bad("old-ciphertext-relabelled", edID, mut(ed1, func(r *storageauth.Record) { r.Version = 3 }), "invalid_signature", "ed25519-v1", "ed25519-v2"),
		bad("mutated-ciphertext", edID, mut(ed2, func(r *storageauth.Record) { r.Ciphertext[20] ^= 1 }), "invalid_signature", "ed25519-v1"),
		bad("truncated-ciphertext", edID, mut(ed2, func(r *storageauth.Record) { r.Ciphertext = r.Ciphertext[:len(r.Ciphertext)-1] }), "invalid_signature", "ed25519-v1"),
		bad("ciphertext-shorter-than-nonce-and-tag", edID, mut(ed2, func(r *storageauth.Record) { r.Ciphertext = r.Ciphertext[:27] }), "malformed"),
		bad("mutated-signature", pID, mut(p1, func(r *storageauth.Record) { r.Signature[40] ^= 1 }), "invalid_signature"),
		bad("p256-der-signature", pID, mut(p1, func(r *storageauth.Record) { r.Signature = derSig(r.Signature) }), "malformed"),
		bad("wrong-scheme-signature", pID, mut(p1, func(r *storageauth.Record) {
			r.Signature = mustSeal(t, derived["ed25519-prf"], "", 1).Signature
		}), "invalid_signature"),
		bad("wrong-scheme-prefix", "p256:"+strings.TrimPrefix(edID, "ed25519:"), mut(ed1, func(r *storageauth.Record) { r.ID = "p256:" + strings.TrimPrefix(edID, "ed25519:") }), "malformed"),
		bad("unknown-scheme", "rsa:"+strings.TrimPrefix(edID, "ed25519:"), mut(ed1, func(r *storageauth.Record) { r.ID = "rsa:" + strings.TrimPrefix(edID, "ed25519:") }), "malformed"),
		bad("secp256k1-high-s", k1.ID, mut(k1, func(r *storageauth.Record) { copy(r.Signature[32:], negateModN(r.Signature[32:])) }), "invalid_signature"),
		bad("path-differs-from-body", pID, body(ed1), "malformed"),
		bad("version-zero", edID, raw(edID, 0, b64(ed1.Ciphertext), b64(ed1.Signature)), "malformed"),
		bad("version-2^53", edID, raw(edID, uint64(1)<<53, b64(ed1.Ciphertext), b64(ed1.Signature)), "malformed"),
		bad("version-negative", edID, raw(edID, -1, b64(ed1.Ciphertext), b64(ed1.Signature)), "malformed"),
		bad("version-fraction", edID, raw(edID, 1.5, b64(ed1.Ciphertext), b64(ed1.Signature)), "malformed"),
		bad("version-string", edID, raw(edID, "1", b64(ed1.Ciphertext), b64(ed1.Signature)), "malformed"),
		bad("ciphertext-padded-base64", edID, raw(edID, 1, base64.URLEncoding.EncodeToString(append(bytes.Clone(ed1.Ciphertext), 0)), b64(ed1.Signature)), "malformed"),
		bad("signature-standard-base64", edID, raw(edID, 1, b64(ed1.Ciphertext), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 64))), "malformed"),
		bad("unknown-field", edID, strings.TrimSuffix(body(ed1), "}")+`,"extra":true}`, "malformed"),
		bad("trailing-data", edID, body(ed1)+"{}", "malformed"),
		bad("not-an-object", edID, `[1,2,3]`, "malformed"),
		bad("empty-body", edID, ``, "malformed"),
	)

	now := int64(1_800_000_000)
	for _, s := range schemes {
		k := derived[s.String()+"-seed"]
		for _, c := range []struct {
			name   string
			at     int64
			expect string
		}{
			{"now", now, "ok"},
			{"window-edge", now - specProofWindow, "ok"},
			{"too-old", now - specProofWindow - 1, "invalid_signature"},
			{"too-new", now + specProofWindow + 1, "invalid_signature"},
		} {
			p, err := k.SignRetrieve(time.Unix(c.at, 0))
			if err != nil {
				t.Fatal(err)
			}
			f.Retrieve = append(f.Retrieve, retrieveVector{
				Name: s.String() + "-" + c.name, ID: k.ID().String(), Now: now, Timestamp: c.at,
				Signature: b64(p.Signature), Message: hex.EncodeToString(specRetrieveMessage(k.ID().String(), c.at)), Expect: c.expect,
			})
		}
		p, _ := derived[s.String()+"-prf"].SignRetrieve(time.Unix(now, 0))
		f.Retrieve = append(f.Retrieve, retrieveVector{
			Name: s.String() + "-other-key", ID: k.ID().String(), Now: now, Timestamp: now,
			Signature: b64(p.Signature), Message: hex.EncodeToString(specRetrieveMessage(k.ID().String(), now)), Expect: "invalid_signature",
		})
	}

	testvec.WriteGolden(t, f)
	t.Logf("wrote %d derivation, %d store, %d retrieve vectors", len(f.Derivation), len(f.Store), len(f.Retrieve))
}

// derSig re-encodes a 64-byte r || s signature as ASN.1 DER, the format
// WebCrypto does not use and the wire refuses.
func derSig(sig []byte) []byte {
	enc := func(x []byte) []byte {
		x = bytes.TrimLeft(x, "\x00")
		if len(x) == 0 || x[0]&0x80 != 0 {
			x = append([]byte{0}, x...)
		}
		return append([]byte{0x02, byte(len(x))}, x...)
	}
	body := append(enc(sig[:32]), enc(sig[32:])...)
	return append([]byte{0x30, byte(len(body))}, body...)
}
