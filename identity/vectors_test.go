package identity_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"github.com/sealkit/sealkit/internal/testvec"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json (the committed file is frozen: only for new vectors)")

// vectorFile is the JSON layout of testdata/vectors.json, documented in SPEC.md.
type vectorFile struct {
	Comment  string               `json:"comment"`
	Now      int64                `json:"now"`
	Issuer   string               `json:"token_issuer"`
	Audience string               `json:"token_audience"`
	Keys     map[string]vectorKey `json:"keys"`
	Messages []messageVector      `json:"messages"`
	Requests []requestVector      `json:"requests"`
	Tokens   []tokenVector        `json:"tokens"`
}

type vectorKey struct {
	Alg        string `json:"alg"`
	Seed       string `json:"seed,omitempty"`
	Public     string `json:"public"`
	KeyID      string `json:"key_id"`
	JWK        string `json:"jwk"`
	Registered bool   `json:"registered"`
}

type messageVector struct {
	Name        string `json:"name"`
	Purpose     string `json:"purpose"`
	Message     string `json:"message"`
	SignedBytes string `json:"signed_bytes,omitempty"`
	Expect      string `json:"expect"` // "ok" or a Reason
}

type requestVector struct {
	Name          string      `json:"name"`
	Method        string      `json:"method"`
	URL           string      `json:"url"`
	Headers       [][2]string `json:"headers"`
	Body          string      `json:"body"`
	SignatureBase string      `json:"signature_base,omitempty"`
	Expect        string      `json:"expect"`
}

type tokenVector struct {
	Name   string `json:"name"`
	Token  string `json:"token"`
	Expect string `json:"expect"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var vf vectorFile
	testvec.LoadGolden(t, &vf)
	return &vf
}

func vecKey(t testing.TB, k vectorKey) *identity.PublicKey {
	t.Helper()
	raw, err := hex.DecodeString(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	var p *identity.PublicKey
	if k.Alg == string(identity.Ed25519) {
		p, err = identity.NewEd25519PublicKey(raw)
	} else {
		p, err = identity.NewECDSAP256PublicKey(raw)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// vectorEnv is a registry with the vector file's registered keys.
func vectorEnv(t testing.TB, vf *vectorFile) (*identity.MemoryKeyRegistry, func() time.Time) {
	reg := identity.NewMemoryKeyRegistry()
	for name, k := range vf.Keys {
		p := vecKey(t, k)
		if p.KeyID() != k.KeyID {
			t.Fatalf("key %s: ID %s, want %s", name, p.KeyID(), k.KeyID)
		}
		jp, err := identity.ParsePublicKeyJWK([]byte(k.JWK))
		if err != nil || !jp.Equal(p) {
			t.Fatalf("key %s: JWK differs: %v", name, err)
		}
		if k.Registered {
			if err := reg.Register(context.Background(), identity.KeyEntry{PublicKey: p, Owner: name}); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Unix(vf.Now, 0)
	return reg, func() time.Time { return now }
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var re *identity.RejectError
	if errors.As(err, &re) {
		return string(re.Reason)
	}
	return "error: " + err.Error()
}

func vectorRequest(v requestVector) *http.Request {
	r := httptest.NewRequest(v.Method, v.URL, strings.NewReader(v.Body))
	for _, h := range v.Headers {
		r.Header.Add(h[0], h[1])
	}
	return r
}

// TestVectors pushes every golden vector through the verifiers and checks
// the expected outcome, and the signature base of each valid request.
func TestVectors(t *testing.T) {
	vf := loadVectors(t)
	reg, now := vectorEnv(t, vf)
	n := 0
	for _, v := range vf.Messages {
		t.Run("message/"+v.Name, func(t *testing.T) {
			mv := &identity.MessageVerifier{Registry: reg, Purpose: v.Purpose, Now: now}
			m, err := identity.ParseSignedMessage([]byte(v.Message))
			if err == nil {
				if v.SignedBytes != "" && hex.EncodeToString(m.SignedBytes()) != v.SignedBytes {
					t.Fatal("signed bytes differ")
				}
				_, err = mv.Verify(context.Background(), m)
			}
			if got := outcome(err); got != v.Expect {
				t.Fatalf("outcome %s, want %s (%v)", got, v.Expect, err)
			}
		})
		n++
	}
	for _, v := range vf.Requests {
		t.Run("request/"+v.Name, func(t *testing.T) {
			ver := &identity.Verifier{Registry: reg, Now: now}
			if got := outcome(ver.Check(vectorRequest(v))); got != v.Expect {
				t.Fatalf("outcome %s, want %s", got, v.Expect)
			}
			if v.SignatureBase != "" {
				r := vectorRequest(v)
				k, err := reg.Lookup(context.Background(), keyIDOf(t, r))
				if err != nil {
					t.Fatal(err)
				}
				p, err := identity.VerifyRequestSignature(r, "", k.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				base, err := identity.RequestSignatureBase(r, *p)
				if err != nil || string(base) != v.SignatureBase {
					t.Fatalf("signature base:\n%s\nwant\n%s (%v)", base, v.SignatureBase, err)
				}
			}
		})
		n++
	}
	for name, k := range vf.Keys {
		if !strings.HasPrefix(name, "server") {
			continue
		}
		for _, v := range vf.Tokens {
			t.Run("token/"+v.Name, func(t *testing.T) {
				tv := &identity.TokenVerifier{Key: vecKey(t, k), Issuer: vf.Issuer, Audience: vf.Audience, Registry: reg, Now: now}
				_, err := tv.Verify(v.Token)
				if got := outcome(err); got != v.Expect {
					t.Fatalf("outcome %s, want %s (%v)", got, v.Expect, err)
				}
			})
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d vectors", n)
	}
	t.Logf("%d vectors", n)
}

func keyIDOf(t *testing.T, r *http.Request) string {
	in := r.Header.Get("Signature-Input")
	i := strings.Index(in, `keyid="`)
	if i < 0 {
		t.Fatal("no keyid")
	}
	rest := in[i+len(`keyid="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestGenerateVectors writes testdata/vectors.json (only with -update).
func TestGenerateVectors(t *testing.T) {
	if !*update {
		t.Skip("run with -args -update to regenerate " + testvec.GoldenFile)
	}
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	seedKey := func(label string) *identity.PrivateKey {
		s := sha256.Sum256([]byte("sealkit identity test vector key: " + label))
		k, err := identity.NewEd25519PrivateKey(s[:])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	client, stranger, server := seedKey("client"), seedKey("stranger"), seedKey("server")
	p256 := mustKey(t, identity.ECDSAP256SHA256)
	vf := &vectorFile{
		Comment:  "sealkit identity golden vectors; layout and checking rules in identity/SPEC.md. Frozen: regenerate only to add vectors.",
		Now:      now.Unix(),
		Issuer:   "https://sealkit.example",
		Audience: "sealkit-api",
		Keys:     map[string]vectorKey{},
	}
	addKey := func(name string, k *identity.PrivateKey, registered bool) {
		jwk, _ := k.Public().MarshalJWK()
		vf.Keys[name] = vectorKey{Alg: string(k.Algorithm()), Seed: hex.EncodeToString(k.Seed()), Public: hex.EncodeToString(k.Public().Bytes()), KeyID: k.KeyID(), JWK: string(jwk), Registered: registered}
	}
	addKey("client-ed25519", client, true)
	addKey("client-p256", p256, true)
	addKey("stranger-ed25519", stranger, false)
	addKey("server-ed25519", server, false)
	reg, _ := vectorEnv(t, vf)

	// Messages.
	sign := func(k *identity.PrivateKey, purpose string, payload []byte, created time.Time, edit func(*identity.SignedMessage)) (string, string) {
		m := &identity.SignedMessage{Payload: payload, Created: created, Nonce: identity.NewNonce(), Purpose: purpose, KeyID: k.KeyID(), Alg: k.Algorithm()}
		m.Signature, _ = k.Sign(m.SignedBytes())
		sb := hex.EncodeToString(m.SignedBytes())
		if edit != nil {
			edit(m)
		}
		j, _ := m.MarshalJSON()
		return string(j), sb
	}
	addMsg := func(name, purpose, expect string, j, sb string) {
		vf.Messages = append(vf.Messages, messageVector{Name: name, Purpose: purpose, Message: j, SignedBytes: sb, Expect: expect})
	}
	j, sb := sign(client, "vault/put", []byte(`{"doc":"hello"}`), now.Add(-10*time.Second), nil)
	addMsg("ed25519", "vault/put", "ok", j, sb)
	j, sb = sign(p256, "vault/put", []byte(`{"doc":"hello"}`), now.Add(-10*time.Second), nil)
	addMsg("p256", "vault/put", "ok", j, sb)
	j, sb = sign(client, "vault/put", nil, now, nil)
	addMsg("empty-payload", "vault/put", "ok", j, sb)
	j, _ = sign(client, "vault/put", []byte("x"), now, func(m *identity.SignedMessage) { m.Payload = []byte("y") })
	addMsg("payload-changed", "vault/put", "bad_signature", j, "")
	j, sb = sign(client, "vault/delete", []byte("x"), now, nil)
	addMsg("wrong-purpose", "vault/put", "insufficient_coverage", j, sb)
	j, sb = sign(client, "vault/put", []byte("x"), now.Add(-time.Hour), nil)
	addMsg("stale", "vault/put", "stale", j, sb)
	j, sb = sign(client, "vault/put", []byte("x"), now.Add(time.Hour), nil)
	addMsg("future", "vault/put", "stale", j, sb)
	j, sb = sign(stranger, "vault/put", []byte("x"), now, nil)
	addMsg("unknown-key", "vault/put", "unknown_key", j, sb)
	j, _ = sign(client, "vault/put", []byte("x"), now, func(m *identity.SignedMessage) { m.Alg = "hmac-sha256" })
	addMsg("unknown-alg", "vault/put", "unknown_algorithm", j, "")
	j, _ = sign(client, "vault/put", []byte("x"), now, func(m *identity.SignedMessage) { m.Signature[0] ^= 1 })
	addMsg("bit-flip", "vault/put", "bad_signature", j, "")
	addMsg("not-json", "vault/put", "malformed_signature", `{"payload":`, "")
	addMsg("unknown-field", "vault/put", "malformed_signature", strings.Replace(j, `{`, `{"extra":1,`, 1), "")

	// Requests.
	req := func(name, expect string, k *identity.PrivateKey, method, url, body string, tweak func(*identity.Transport, *http.Request), edit func(*requestVector)) {
		cap := &captureTransport{}
		tr := &identity.Transport{Key: k, Base: cap, Now: clock}
		var r *http.Request
		if body != "" {
			r, _ = http.NewRequest(method, url, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
		} else {
			r, _ = http.NewRequest(method, url, nil)
		}
		if tweak != nil {
			tweak(tr, r)
		}
		if _, err := tr.RoundTrip(r); err != nil {
			t.Fatal(err)
		}
		v := requestVector{Name: name, Method: method, URL: url, Body: string(cap.body), Expect: expect}
		for _, h := range []string{"Content-Type", "Content-Digest", "Signature-Input", "Signature", "X-Request-Id"} {
			if x := cap.req.Header.Get(h); x != "" {
				v.Headers = append(v.Headers, [2]string{h, x})
			}
		}
		if expect == "ok" {
			p, err := identity.VerifyRequestSignature(cap.req, "", k.Public())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := identity.RequestSignatureBase(cap.req, *p)
			v.SignatureBase = string(b)
		}
		if edit != nil {
			edit(&v)
		}
		vf.Requests = append(vf.Requests, v)
	}
	setHeader := func(name string, f func(string) string) func(*requestVector) {
		return func(v *requestVector) {
			for i := range v.Headers {
				if v.Headers[i][0] == name {
					v.Headers[i][1] = f(v.Headers[i][1])
				}
			}
		}
	}
	const url = "https://api.sealkit.example/v1/items?id=42"
	const body = `{"name":"report.pdf"}`
	req("post-ed25519", "ok", client, "POST", url, body, nil, nil)
	req("get-ed25519", "ok", client, "GET", url, "", nil, nil)
	req("post-p256", "ok", p256, "POST", url, body, nil, nil)
	req("split-target-sha512", "ok", client, "POST", url, body, func(tr *identity.Transport, _ *http.Request) {
		tr.SplitTarget = true
		tr.Digest = identity.DigestSHA512
	}, nil)
	req("extra-header", "ok", client, "POST", url, body, func(tr *identity.Transport, r *http.Request) {
		tr.Headers = []string{"x-request-id"}
		r.Header.Set("X-Request-Id", "req-1")
	}, nil)
	req("body-changed", "digest_mismatch", client, "POST", url, body, nil, func(v *requestVector) { v.Body = `{"name":"evil.pdf"}` })
	req("digest-replaced", "bad_signature", client, "POST", url, body, nil, func(v *requestVector) {
		v.Body = `{"name":"evil.pdf"}`
		d, _ := identity.ContentDigest(identity.DigestSHA256, []byte(v.Body))
		setHeader("Content-Digest", func(string) string { return d })(v)
	})
	req("url-changed", "bad_signature", client, "POST", url, body, nil, func(v *requestVector) { v.URL = strings.Replace(url, "42", "43", 1) })
	req("method-changed", "bad_signature", client, "POST", url, body, nil, func(v *requestVector) { v.Method = "PUT" })
	req("content-type-changed", "bad_signature", client, "POST", url, body, nil, setHeader("Content-Type", func(string) string { return "text/plain" }))
	req("unsigned", "missing_signature", client, "GET", url, "", nil, func(v *requestVector) { v.Headers = nil })
	req("unknown-key", "unknown_key", stranger, "GET", url, "", nil, nil)
	req("unknown-alg", "unknown_algorithm", client, "GET", url, "", nil, setHeader("Signature-Input", func(s string) string { return strings.Replace(s, `"ed25519"`, `"rsa-pss-sha512"`, 1) }))
	req("duplicate-label", "malformed_signature", client, "GET", url, "", nil, func(v *requestVector) {
		for _, h := range v.Headers {
			if strings.HasPrefix(h[0], "Signature") {
				v.Headers = append(v.Headers, h)
			}
		}
	})
	req("malformed-input", "malformed_signature", client, "GET", url, "", nil, setHeader("Signature-Input", func(s string) string { return s[:len(s)/2] }))
	req("signature-not-bytes", "malformed_signature", client, "GET", url, "", nil, setHeader("Signature", func(string) string { return `sig1="abc"` }))
	req("bit-flip", "bad_signature", client, "GET", url, "", nil, setHeader("Signature", func(s string) string {
		if s[6] == 'A' {
			return s[:6] + "B" + s[7:]
		}
		return s[:6] + "A" + s[7:]
	}))
	req("stale", "stale", client, "GET", url, "", func(tr *identity.Transport, _ *http.Request) {
		tr.Now = func() time.Time { return now.Add(-time.Hour) }
		tr.Validity = 2 * time.Hour
	}, nil)
	req("expired", "stale", client, "GET", url, "", func(tr *identity.Transport, _ *http.Request) {
		tr.Now = func() time.Time { return now.Add(-2 * time.Minute) }
	}, nil)
	req("future", "stale", client, "GET", url, "", func(tr *identity.Transport, _ *http.Request) {
		tr.Now = func() time.Time { return now.Add(10 * time.Minute) }
	}, nil)
	req("plain-http", "insecure_transport", client, "GET", "http://api.sealkit.example/v1/items?id=42", "", nil, nil)
	req("digest-not-covered", "insufficient_coverage", client, "GET", url, "", nil, setHeader("Signature-Input", func(s string) string { return strings.Replace(s, ` "content-digest"`, "", 1) }))

	// Tokens.
	login, _ := identity.SignMessage(client, identity.LoginPurpose, []byte("challenge"))
	mvNow := &identity.MessageVerifier{Registry: reg, Now: func() time.Time { return time.Now() }}
	ver, err := mvNow.VerifyLogin(context.Background(), login, "challenge")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(k *identity.PrivateKey, at time.Time, aud string) string {
		ti := &identity.TokenIssuer{Key: k, Issuer: vf.Issuer, TTL: 15 * time.Minute, Now: func() time.Time { return at }}
		tok, err := ti.Issue(ver, aud)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := issue(server, now.Add(-time.Minute), vf.Audience)
	vf.Tokens = []tokenVector{
		{"valid", good, "ok"},
		{"expired", issue(server, now.Add(-time.Hour), vf.Audience), "stale"},
		{"not-yet-valid", issue(server, now.Add(time.Hour), vf.Audience), "stale"},
		{"wrong-audience", issue(server, now, "other-api"), "invalid_token"},
		{"wrong-key", issue(stranger, now, vf.Audience), "invalid_token"},
		{"tampered", good[:len(good)-2] + map[bool]string{true: "AA", false: "BA"}[good[len(good)-2:] != "AA"], "invalid_token"},
		{"alg-none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.", "invalid_token"},
		{"garbage", "not.a.token", "invalid_token"},
	}
	testvec.WriteGolden(t, vf)
}
