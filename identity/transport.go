package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"time"
)

// DefaultLabel is the signature label Transport and ResponseSigner use.
const DefaultLabel = "sig1"

// DefaultValidity is how long a Transport signature is valid ("expires" -
// "created") when Transport.Validity is 0.
const DefaultValidity = time.Minute

// nonceBytes is the entropy of a generated nonce (encoded as 22 base64url
// characters).
const nonceBytes = 16

// ErrNoKey is returned by Transport and ResponseSigner used without a Key.
var ErrNoKey = errors.New("identity: no signing key configured")

// Transport is an http.RoundTripper that signs each request (RFC 9421) with
// Key, covering @method, @target-uri (or @authority, @path and @query),
// content-digest (RFC 9530, computed over the body), content-type and the
// chosen Headers, with created, expires, nonce, alg and keyid. It reads the
// body (at most MaxBodyBytes) to digest it, and never modifies the caller's
// request: it signs a clone. If ServerKey is set it also requires a valid
// signed response (VerifyResponse).
type Transport struct {
	// Key signs the requests. Required.
	Key *PrivateKey
	// Base sends the signed request; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Label names the signature; "" means DefaultLabel.
	Label string
	// Headers are further lowercase header names to cover when present.
	Headers []string
	// SplitTarget covers @authority, @path and @query instead of
	// @target-uri.
	SplitTarget bool
	// Validity sets "expires" after "created"; 0 means DefaultValidity.
	Validity time.Duration
	// Digest is the Content-Digest algorithm; "" means sha-256.
	Digest DigestAlgorithm
	// MaxBodyBytes caps the request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ServerKey, if set, must have signed every response.
	ServerKey *PublicKey
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip implements http.RoundTripper. It closes req.Body on every
// path, as the interface requires.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if t.Key == nil {
		closeBody()
		return nil, ErrNoKey
	}
	max := t.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	body, err := readBody(req.Body, max) // closes req.Body
	if err != nil {
		closeBody()
		return nil, err
	}
	r2 := req.Clone(req.Context())
	r2.ContentLength = int64(len(body))
	if req.Body == nil || req.Body == http.NoBody {
		r2.Body, r2.GetBody = req.Body, nil
	} else {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if err := t.sign(r2, body); err != nil {
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r2)
	if err != nil || t.ServerKey == nil {
		return resp, err
	}
	if resp.Request == nil {
		resp.Request = r2
	}
	if err := VerifyResponse(resp, t.ServerKey, max); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

func (t *Transport) sign(r *http.Request, body []byte) error {
	alg := t.Digest
	if alg == "" {
		alg = DigestSHA256
	}
	d, err := ContentDigest(alg, body)
	if err != nil {
		return err
	}
	r.Header.Set(headerContentDigest, d)
	comps := []string{"@method"}
	if t.SplitTarget {
		comps = append(comps, "@authority", "@path", "@query")
	} else {
		comps = append(comps, "@target-uri")
	}
	comps = append(comps, "content-digest")
	if r.Header.Get("Content-Type") != "" {
		comps = append(comps, "content-type")
	}
	for _, h := range t.Headers {
		if len(r.Header.Values(h)) > 0 {
			comps = append(comps, h)
		}
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	created := now()
	validity := t.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	label := t.Label
	if label == "" {
		label = DefaultLabel
	}
	return SignRequest(r, t.Key, label, SignatureParams{
		Components: comps,
		Created:    created,
		Expires:    created.Add(validity),
		Nonce:      NewNonce(),
		Alg:        t.Key.Algorithm(),
		KeyID:      t.Key.KeyID(),
	})
}

// NewNonce returns 128 random bits, base64url-encoded without padding.
func NewNonce() string {
	var b [nonceBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
