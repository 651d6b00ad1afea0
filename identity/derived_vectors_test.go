package identity_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"testing"

	"github.com/sealkit/sealkit/identity"
)

var updateDerived = flag.Bool("update-derived", false, "regenerate "+derivedVectorFile+" (frozen: only to add vectors)")

// derivedVectorFile holds the deterministic vectors of SPEC.md's
// "Ed25519 → X25519 and identity-derived keys" and of Ed25519 key encodings.
// It is apart from vectors.json, whose generator is not deterministic.
const derivedVectorFile = "testdata/derived.json"

type derivedFile struct {
	Comment   string           `json:"comment"`
	AtRest    []atRestVector   `json:"at_rest_keys"`
	Ed25519PK []edPublicVector `json:"ed25519_public_keys"`
}

// atRestVector: all byte fields hex; expect "ok" (key given) or "error"
// (the ECDH result is all zero, so no key).
type atRestVector struct {
	Name          string `json:"name"`
	ClientSeed    string `json:"client_ed25519_seed"`
	ClientPublic  string `json:"client_ed25519_public"`
	ClientX       string `json:"client_x25519_public"`
	ServerPrivate string `json:"server_x25519_private,omitempty"`
	ServerPublic  string `json:"server_x25519_public"`
	Salt          string `json:"salt"`
	Namespace     string `json:"namespace"`
	Shared        string `json:"shared_secret,omitempty"`
	Info          string `json:"info,omitempty"`
	Key           string `json:"key,omitempty"`
	Expect        string `json:"expect"`
}

// edPublicVector: expect is "ok" or "invalid_key" (NewEd25519PublicKey,
// every key parser); x25519 is "ok" with x25519_public, or "invalid_point"
// (Ed25519PublicKeyToX25519).
type edPublicVector struct {
	Name     string `json:"name"`
	Public   string `json:"public"`
	Expect   string `json:"expect"`
	X25519   string `json:"x25519"`
	X25519PK string `json:"x25519_public,omitempty"`
}

func TestDerivedVectors(t *testing.T) {
	if fips140.Enforced() {
		t.Skip("X25519 is not allowed in FIPS 140-only mode")
	}
	if *updateDerived {
		generateDerivedVectors(t)
	}
	b, err := os.ReadFile(derivedVectorFile)
	if err != nil {
		t.Fatalf("%s is required: %v", derivedVectorFile, err)
	}
	var f derivedFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, v := range f.AtRest {
		t.Run("at-rest/"+v.Name, func(t *testing.T) {
			client, err := identity.NewEd25519PrivateKey(unhexT(t, v.ClientSeed))
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(client.Public().Bytes()) != v.ClientPublic {
				t.Fatal("client public key differs")
			}
			server, err := ecdh.X25519().NewPublicKey(unhexT(t, v.ServerPublic))
			if err != nil {
				t.Fatal(err)
			}
			salt := unhexT(t, v.Salt)
			ck, cerr := identity.DeriveClientKey(client, server, salt, v.Namespace)
			if v.Expect == "error" {
				if cerr == nil {
					t.Fatal("DeriveClientKey accepted a low-order server key")
				}
				return
			}
			if cerr != nil || hex.EncodeToString(ck) != v.Key {
				t.Fatalf("DeriveClientKey = %x, %v; want %s", ck, cerr, v.Key)
			}
			priv, err := ecdh.X25519().NewPrivateKey(unhexT(t, v.ServerPrivate))
			if err != nil || !priv.PublicKey().Equal(server) {
				t.Fatalf("server private key does not match its public key: %v", err)
			}
			sk, err := identity.DeriveServerKey(priv, verifiedFor(t, client), salt, v.Namespace)
			if err != nil || hex.EncodeToString(sk) != v.Key {
				t.Fatalf("DeriveServerKey = %x, %v; want %s", sk, err, v.Key)
			}
			// SPEC.md with primitives only.
			cx, info, shared, key := specAtRest(t, client, priv, salt, v.Namespace)
			for name, pair := range map[string][2]string{
				"client_x25519_public": {hex.EncodeToString(cx), v.ClientX},
				"info":                 {hex.EncodeToString(info), v.Info},
				"shared_secret":        {hex.EncodeToString(shared), v.Shared},
				"key":                  {hex.EncodeToString(key), v.Key},
			} {
				if pair[0] != pair[1] {
					t.Errorf("%s: spec computation %s, vector %s", name, pair[0], pair[1])
				}
			}
			ok++
		})
	}
	if ok < 4 {
		t.Fatalf("%d positive at-rest vectors", ok)
	}
	for _, v := range f.Ed25519PK {
		t.Run("ed25519-public/"+v.Name, func(t *testing.T) {
			raw := unhexT(t, v.Public)
			_, err := identity.NewEd25519PublicKey(raw)
			switch {
			case v.Expect == "ok" && err != nil, v.Expect == "invalid_key" && !errors.Is(err, identity.ErrInvalidKey):
				t.Fatalf("NewEd25519PublicKey: %v, want %s", err, v.Expect)
			case v.Expect != "ok" && v.Expect != "invalid_key":
				t.Fatalf("unknown expect %q", v.Expect)
			}
			jwk := `{"kty":"OKP","crv":"Ed25519","x":"` + base64.RawURLEncoding.EncodeToString(raw) + `"}`
			if _, err := identity.ParsePublicKeyJWK([]byte(jwk)); (err == nil) != (v.Expect == "ok") {
				t.Fatalf("ParsePublicKeyJWK: %v, want %s", err, v.Expect)
			}
			x, err := identity.Ed25519PublicKeyToX25519(raw)
			switch v.X25519 {
			case "ok":
				if err != nil || hex.EncodeToString(x) != v.X25519PK {
					t.Fatalf("Ed25519PublicKeyToX25519 = %x, %v; want %s", x, err, v.X25519PK)
				}
			case "invalid_point":
				if !errors.Is(err, identity.ErrInvalidPoint) {
					t.Fatalf("Ed25519PublicKeyToX25519: %v, want ErrInvalidPoint", err)
				}
			default:
				t.Fatalf("unknown x25519 %q", v.X25519)
			}
		})
	}
	t.Logf("%d at-rest key vectors, %d Ed25519 public key vectors", len(f.AtRest), len(f.Ed25519PK))
}

// specAtRest is SPEC.md's at-rest key from primitives: the client's X25519
// public key by Montgomery conversion, ECDH on the server's side, HKDF.
func specAtRest(t *testing.T, client *identity.PrivateKey, server *ecdh.PrivateKey, salt []byte, ns string) (cx, info, shared, key []byte) {
	t.Helper()
	cx, err := identity.Ed25519PublicKeyToX25519(client.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cpub, err := ecdh.X25519().NewPublicKey(cx)
	if err != nil {
		t.Fatal(err)
	}
	if shared, err = server.ECDH(cpub); err != nil {
		t.Fatal(err)
	}
	info = append([]byte("sealkit identity at-rest key v1\x00"), cx...)
	info = append(append(info, server.PublicKey().Bytes()...), ns...)
	if key, err = hkdf.Key(sha256.New, shared, salt, string(info), 32); err != nil {
		t.Fatal(err)
	}
	return cx, info, shared, key
}

// verifiedFor verifies a message client signed, for DeriveServerKey.
func verifiedFor(t *testing.T, client *identity.PrivateKey) *identity.Verified {
	t.Helper()
	reg := identity.NewMemoryKeyRegistry()
	if err := reg.Register(context.Background(), identity.KeyEntry{PublicKey: client.Public(), Owner: "client"}); err != nil {
		t.Fatal(err)
	}
	m, err := identity.SignMessage(client, "derived-key-vector", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := (&identity.MessageVerifier{Registry: reg, Purpose: "derived-key-vector"}).Verify(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// derivedInput is a fixed, labelled 32-byte input.
func derivedInput(what string) []byte {
	h := sha256.Sum256([]byte("sealkit identity derived-key vector/" + what))
	return h[:]
}

func generateDerivedVectors(t *testing.T) {
	f := derivedFile{Comment: "sealkit identity derived-key and Ed25519 public key vectors; see identity/SPEC.md. Deterministic inputs; frozen: regenerate only to add vectors."}
	for _, c := range []struct{ name, client, server, salt, ns string }{
		{"basic", "client-1", "server-1", "app-salt", "vault/docs"},
		{"other-namespace", "client-1", "server-1", "app-salt", "vault/photos"},
		{"other-salt", "client-1", "server-1", "other-salt", "vault/docs"},
		{"empty-salt-and-namespace", "client-1", "server-1", "", ""},
		{"non-ascii-namespace", "client-1", "server-1", "app-salt", "dossiers/\u00e9t\u00e9"},
		{"other-client", "client-2", "server-1", "app-salt", "vault/docs"},
		{"other-server", "client-1", "server-2", "app-salt", "vault/docs"},
	} {
		client, err := identity.NewEd25519PrivateKey(derivedInput(c.client))
		if err != nil {
			t.Fatal(err)
		}
		server, err := ecdh.X25519().NewPrivateKey(derivedInput(c.server))
		if err != nil {
			t.Fatal(err)
		}
		cx, info, shared, key := specAtRest(t, client, server, []byte(c.salt), c.ns)
		f.AtRest = append(f.AtRest, atRestVector{
			Name: c.name, ClientSeed: hex.EncodeToString(client.Seed()), ClientPublic: hex.EncodeToString(client.Public().Bytes()),
			ClientX: hex.EncodeToString(cx), ServerPrivate: hex.EncodeToString(server.Bytes()), ServerPublic: hex.EncodeToString(server.PublicKey().Bytes()),
			Salt: hex.EncodeToString([]byte(c.salt)), Namespace: c.ns, Shared: hex.EncodeToString(shared), Info: hex.EncodeToString(info),
			Key: hex.EncodeToString(key), Expect: "ok",
		})
	}
	client, _ := identity.NewEd25519PrivateKey(derivedInput("client-1"))
	cx, _ := identity.Ed25519PublicKeyToX25519(client.Public().Bytes())
	for _, c := range []struct{ name, u string }{
		{"server-public-zero", "0000000000000000000000000000000000000000000000000000000000000000"},
		{"server-public-one", "0100000000000000000000000000000000000000000000000000000000000000"},
		{"server-public-order-8", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"},
	} {
		f.AtRest = append(f.AtRest, atRestVector{
			Name: c.name, ClientSeed: hex.EncodeToString(client.Seed()), ClientPublic: hex.EncodeToString(client.Public().Bytes()),
			ClientX: hex.EncodeToString(cx), ServerPublic: c.u, Salt: hex.EncodeToString([]byte("app-salt")), Namespace: "vault/docs", Expect: "error",
		})
	}

	pPlus := func(n int64) []byte { return encodeY(new(big.Int).Add(fieldP, big.NewInt(n)), false) }
	small := func(n int64, sign bool) []byte { return encodeY(big.NewInt(n), sign) }
	rfc8032, _ := hex.DecodeString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	for _, c := range []struct {
		name string
		raw  []byte
	}{
		{"rfc8032-test-1", rfc8032},
		{"mixed-order-y-3", small(3, false)},
		{"identity", small(1, false)},
		{"identity-sign-bit", small(1, true)},
		{"identity-y-p-plus-1", pPlus(1)},
		{"order-2-y-minus-1", encodeY(new(big.Int).Sub(fieldP, big.NewInt(1)), false)},
		{"order-4-y-0", small(0, false)},
		{"order-4-y-p", pPlus(0)},
		{"order-8", order8},
		{"mixed-order-y-p-plus-3", pPlus(3)},
		{"not-a-point-y-2", small(2, false)},
		{"not-a-point-y-p-plus-2", pPlus(2)},
		{"y-all-ones", bytes.Repeat([]byte{0xff}, 32)},
	} {
		v := edPublicVector{Name: c.name, Public: hex.EncodeToString(c.raw), Expect: "ok", X25519: "ok"}
		if _, err := identity.NewEd25519PublicKey(c.raw); err != nil {
			v.Expect = "invalid_key"
		}
		if x, err := identity.Ed25519PublicKeyToX25519(c.raw); err != nil {
			v.X25519 = "invalid_point"
		} else {
			v.X25519PK = hex.EncodeToString(x)
		}
		f.Ed25519PK = append(f.Ed25519PK, v)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(derivedVectorFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
