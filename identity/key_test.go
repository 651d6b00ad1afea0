package identity_test

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/testvec"
)

func mustKey(t testing.TB, alg identity.Algorithm) *identity.PrivateKey {
	t.Helper()
	var k *identity.PrivateKey
	var err error
	if alg == identity.Ed25519 {
		k, err = identity.GenerateKey()
	} else {
		k, err = identity.GenerateECDSAP256Key()
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeyIDIsJWKThumbprint: the key ID equals go-jose's RFC 7638 thumbprint
// and, for the RFC 8037 Appendix A.3 key, the published value.
func TestKeyIDIsJWKThumbprint(t *testing.T) {
	// RFC 8037 A.3: thumbprint of the A.2 public key.
	pub, err := identity.ParsePublicKeyJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pub.KeyID(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Fatalf("RFC 8037 A.3 thumbprint %s, want %s", got, want)
	}
	for _, alg := range []identity.Algorithm{identity.Ed25519, identity.ECDSAP256SHA256} {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			j := jose.JSONWebKey{Key: k.Public().CryptoPublicKey()}
			tp, err := j.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.RawURLEncoding.EncodeToString(tp); got != k.KeyID() {
				t.Fatalf("KeyID %s, go-jose thumbprint %s", k.KeyID(), got)
			}
		})
	}
}

func TestKeyEncodingsRoundTrip(t *testing.T) {
	for _, alg := range []identity.Algorithm{identity.Ed25519, identity.ECDSAP256SHA256} {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			msg := []byte("hello")
			sig, err := k.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			pubPEM, _ := k.Public().MarshalPEM()
			pubJWK, _ := k.Public().MarshalJWK()
			privPEM, _ := k.MarshalPEM()
			privJWK, _ := k.MarshalJWK()
			var pubs []*identity.PublicKey
			for _, f := range []func() (*identity.PublicKey, error){
				func() (*identity.PublicKey, error) { return identity.ParsePublicKeyPEM(pubPEM) },
				func() (*identity.PublicKey, error) { return identity.ParsePublicKeyJWK(pubJWK) },
				func() (*identity.PublicKey, error) {
					if alg == identity.Ed25519 {
						return identity.NewEd25519PublicKey(k.Public().Bytes())
					}
					return identity.NewECDSAP256PublicKey(k.Public().Bytes())
				},
			} {
				p, err := f()
				if err != nil {
					t.Fatal(err)
				}
				pubs = append(pubs, p)
			}
			for _, f := range []func() (*identity.PrivateKey, error){
				func() (*identity.PrivateKey, error) { return identity.ParsePrivateKeyPEM(privPEM) },
				func() (*identity.PrivateKey, error) { return identity.ParsePrivateKeyJWK(privJWK) },
			} {
				p, err := f()
				if err != nil {
					t.Fatal(err)
				}
				pubs = append(pubs, p.Public())
			}
			for i, p := range pubs {
				if !p.Equal(k.Public()) || p.KeyID() != k.KeyID() || !p.Verify(msg, sig) {
					t.Errorf("encoding %d: key differs", i)
				}
			}
			if p, _ := identity.ParsePublicKeyJWK(pubJWK); p.Verify([]byte("other"), sig) {
				t.Error("signature verified for another message")
			}
		})
	}
}

func TestRFCKeyImport(t *testing.T) {
	var v rfcVector
	testvec.JSON(t, "rfc/rfc9421_ed25519.json", &v)
	var j struct {
		Key struct {
			JWK map[string]string `json:"jwk"`
		} `json:"key"`
	}
	testvec.JSON(t, "rfc/rfc9421_ed25519.json", &j)
	jwk := fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","kid":"test-key-ed25519","d":%q,"x":%q}`, j.Key.JWK["d"], j.Key.JWK["x"])
	fromJWK, err := identity.ParsePrivateKeyJWK([]byte(jwk))
	if err != nil {
		t.Fatal(err)
	}
	fromPEM, err := identity.ParsePrivateKeyPEM([]byte(v.Key.PrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromJWK.Seed(), fromPEM.Seed()) || fromJWK.KeyID() != fromPEM.KeyID() {
		t.Fatal("JWK and PEM of the B.1.4 key differ")
	}
	var e rfcVector
	testvec.JSON(t, "rfc/rfc9421_ecdsa_p256.json", &e)
	sec1, err := identity.ParsePrivateKeyPEM([]byte(e.Key.SEC1PEM))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := identity.ParsePublicKeyPEM([]byte(e.Key.PublicKeyPEM))
	if !sec1.Public().Equal(pub) {
		t.Fatal("SEC 1 private key does not match its public key")
	}
}

func TestKeyRejects(t *testing.T) {
	k := mustKey(t, identity.Ed25519)
	privJWK, _ := k.MarshalJWK()
	pubJWK, _ := k.Public().MarshalJWK()
	pubPEM, _ := k.Public().MarshalPEM()
	tests := []struct {
		name string
		f    func() error
	}{
		{"short seed", func() error { _, err := identity.NewEd25519PrivateKey(make([]byte, 31)); return err }},
		{"short public", func() error { _, err := identity.NewEd25519PublicKey(make([]byte, 31)); return err }},
		{"bad P-256 point", func() error { _, err := identity.NewECDSAP256PublicKey(make([]byte, 65)); return err }},
		{"garbage JWK", func() error { _, err := identity.ParsePublicKeyJWK([]byte(`{"kty":"OKP"`)); return err }},
		{"private as public JWK", func() error { _, err := identity.ParsePublicKeyJWK(privJWK); return err }},
		{"public as private JWK", func() error { _, err := identity.ParsePrivateKeyJWK(pubJWK); return err }},
		{"public PEM as private", func() error { _, err := identity.ParsePrivateKeyPEM(pubPEM); return err }},
		{"no PEM", func() error { _, err := identity.ParsePublicKeyPEM([]byte("nope")); return err }},
		{"huge JWK", func() error { _, err := identity.ParsePublicKeyJWK(bytes.Repeat([]byte(" "), 1<<20)); return err }},
		{"X25519 JWK", func() error {
			_, err := identity.ParsePublicKeyJWK([]byte(`{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f(); !errors.Is(err, identity.ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
		})
	}
}

// TestPrivateKeyDoesNotPrint: no fmt verb reveals the seed.
func TestPrivateKeyDoesNotPrint(t *testing.T) {
	k := mustKey(t, identity.Ed25519)
	seedHex := fmt.Sprintf("%x", k.Seed())
	seedB64 := base64.RawURLEncoding.EncodeToString(k.Seed())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(verb, k) + fmt.Sprintf(verb, *k)
		if strings.Contains(s, seedHex) || strings.Contains(s, seedB64) || !strings.Contains(s, k.KeyID()) {
			t.Errorf("%s prints %q", verb, s)
		}
	}
}
