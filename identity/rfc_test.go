package identity_test

import (
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/testvec"
)

type rfcKey struct {
	PublicKeyPEM  string `json:"public_key_pem"`
	PrivateKeyPEM string `json:"private_key_pem"`
	SEC1PEM       string `json:"private_key_pem_sec1"`
	SeedHex       string `json:"private_key_seed_hex"`
	PublicHex     string `json:"public_key_hex"`
	UncompHex     string `json:"public_key_uncompressed_hex"`
}

type rfcMessage struct {
	Headers   [][2]string `json:"headers"`
	Body      string      `json:"body"`
	Method    string      `json:"method"`
	TargetURI string      `json:"target_uri"`
	Status    int         `json:"status"`
}

type rfcVector struct {
	Key              rfcKey     `json:"key"`
	Request          rfcMessage `json:"request"`
	Response         rfcMessage `json:"response"`
	ResponseAsSigned rfcMessage `json:"response_as_signed"`
	Label            string     `json:"label"`
	Alg              string     `json:"alg"`
	Components       []string   `json:"covered_components"`
	Created          int64      `json:"created"`
	KeyID            string     `json:"keyid"`
	Base             string     `json:"signature_base"`
	InputHeader      string     `json:"signature_input_header"`
	SignatureHeader  string     `json:"signature_header"`
	SignatureHex     string     `json:"signature_hex"`
}

func rfcRequest(t *testing.T, m rfcMessage) *http.Request {
	t.Helper()
	r, err := http.NewRequest(m.Method, m.TargetURI, strings.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range m.Headers {
		r.Header.Add(h[0], h[1])
	}
	return r
}

// TestRFC9421B26 reproduces RFC 9421 Appendix B.2.6 byte for byte: the
// signature base, both header values and the Ed25519 signature.
func TestRFC9421B26(t *testing.T) {
	var v rfcVector
	testvec.JSON(t, "rfc/rfc9421_ed25519.json", &v)
	key, err := identity.ParsePrivateKeyPEM([]byte(v.Key.PrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(key.Seed()); got != v.Key.SeedHex {
		t.Fatalf("seed %s, want %s", got, v.Key.SeedHex)
	}
	p := identity.SignatureParams{Components: v.Components, Created: time.Unix(v.Created, 0), KeyID: v.KeyID}
	r := rfcRequest(t, v.Request)
	base, err := identity.RequestSignatureBase(r, p)
	if err != nil {
		t.Fatal(err)
	}
	if string(base) != v.Base {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, v.Base)
	}
	if err := identity.SignRequest(r, key, v.Label, p); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Signature-Input"); got != v.InputHeader {
		t.Errorf("Signature-Input %q, want %q", got, v.InputHeader)
	}
	if got := r.Header.Get("Signature"); got != v.SignatureHeader {
		t.Errorf("Signature %q, want %q", got, v.SignatureHeader)
	}
	pub, err := identity.ParsePublicKeyPEM([]byte(v.Key.PublicKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	got, err := identity.VerifyRequestSignature(r, v.Label, pub)
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID != v.KeyID || got.Created.Unix() != v.Created {
		t.Errorf("params %+v", got)
	}
	// A changed covered header must fail.
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:56 GMT")
	if _, err := identity.VerifyRequestSignature(r, v.Label, pub); !errors.Is(err, identity.ErrBadSignature) {
		t.Fatalf("tampered date: %v, want ErrBadSignature", err)
	}
}

// TestRFC9421B24 verifies RFC 9421 Appendix B.2.4 (ecdsa-p256-sha256 over a
// response) on the response as signed (see the vector file's errata note),
// and refuses the verbatim one.
func TestRFC9421B24(t *testing.T) {
	var v rfcVector
	testvec.JSON(t, "rfc/rfc9421_ecdsa_p256.json", &v)
	pub, err := identity.ParsePublicKeyPEM([]byte(v.Key.PublicKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	if pub.Algorithm() != identity.ECDSAP256SHA256 {
		t.Fatalf("alg %s", pub.Algorithm())
	}
	build := func(m rfcMessage) *http.Response {
		resp := &http.Response{StatusCode: m.Status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(m.Body))}
		for _, h := range m.Headers {
			resp.Header.Add(h[0], h[1])
		}
		resp.Header.Set("Signature-Input", v.InputHeader)
		resp.Header.Set("Signature", v.SignatureHeader)
		return resp
	}
	p, err := identity.VerifyResponseSignature(build(v.ResponseAsSigned), v.Label, pub)
	if err != nil {
		t.Fatalf("B.2.4: %v", err)
	}
	if p.KeyID != v.KeyID {
		t.Errorf("keyid %q", p.KeyID)
	}
	if _, err := identity.VerifyResponseSignature(build(v.Response), v.Label, pub); !errors.Is(err, identity.ErrBadSignature) {
		t.Fatalf("verbatim response (wrong digest in the RFC): %v, want ErrBadSignature", err)
	}
	// The verbatim Content-Digest does not match the body; the corrected one does.
	body := []byte(v.Response.Body)
	if err := identity.VerifyContentDigest(build(v.ResponseAsSigned).Header.Values("Content-Digest"), body); err != nil {
		t.Errorf("corrected digest: %v", err)
	}
	if err := identity.VerifyContentDigest(build(v.Response).Header.Values("Content-Digest"), body); !errors.Is(err, identity.ErrDigestMismatch) {
		t.Errorf("verbatim digest: %v, want ErrDigestMismatch", err)
	}
	// The B.2 request's Content-Digest is right.
	var r26 rfcVector
	testvec.JSON(t, "rfc/rfc9421_ed25519.json", &r26)
	req := rfcRequest(t, r26.Request)
	if err := identity.VerifyContentDigest(req.Header.Values("Content-Digest"), []byte(r26.Request.Body)); err != nil {
		t.Errorf("request digest: %v", err)
	}
}
