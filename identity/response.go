package identity

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ResponseSigner is server middleware that signs every response (RFC 9421)
// with Key, covering @status, content-digest, content-type, the request's
// method, path and query ("@method";req, "@path";req, "@query";req) and,
// when the request was signed, its Signature field ("signature";req), so a
// client can tell that this answer is to its request: to this one, if it
// signed it, else to one of the same method and target. The response is
// buffered (at most MaxBodyBytes; a larger one becomes a 500) to digest it.
type ResponseSigner struct {
	// Key signs responses. Required.
	Key *PrivateKey
	// Label names the signature; "" means DefaultLabel.
	Label string
	// Digest is the Content-Digest algorithm; "" means sha-256.
	Digest DigestAlgorithm
	// MaxBodyBytes caps the buffered response; 0 means 16 MiB.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

type bufferedWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
	max    int64
	over   bool
}

func (b *bufferedWriter) Header() http.Header { return b.h }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if int64(b.buf.Len()+len(p)) > b.max {
		b.over = true
		return 0, http.ErrContentLength
	}
	return b.buf.Write(p)
}

// Handler wraps next so its responses are signed.
func (s *ResponseSigner) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		max := s.MaxBodyBytes
		if max <= 0 {
			max = 16 << 20
		}
		bw := &bufferedWriter{h: http.Header{}, max: max}
		next.ServeHTTP(bw, r)
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		if bw.over || s.Key == nil {
			http.Error(w, "response could not be signed", http.StatusInternalServerError)
			return
		}
		if _, ok := bw.h["Content-Type"]; !ok && bw.buf.Len() > 0 {
			// net/http would sniff one after signing, uncovered: set it now.
			bw.h.Set("Content-Type", http.DetectContentType(bw.buf.Bytes()))
		}
		resp := &http.Response{StatusCode: bw.status, Header: bw.h, Request: r}
		if err := s.sign(resp, bw.buf.Bytes()); err != nil {
			http.Error(w, "response could not be signed", http.StatusInternalServerError)
			return
		}
		for k, v := range bw.h {
			w.Header()[k] = v
		}
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.buf.Bytes())
	})
}

func (s *ResponseSigner) sign(resp *http.Response, body []byte) error {
	alg := s.Digest
	if alg == "" {
		alg = DigestSHA256
	}
	d, err := ContentDigest(alg, body)
	if err != nil {
		return err
	}
	resp.Header.Set(headerContentDigest, d)
	comps := []string{"@status", "content-digest"}
	if resp.Header.Get("Content-Type") != "" {
		comps = append(comps, "content-type")
	}
	if resp.Request != nil {
		comps = append(comps, requestBinding...)
		if resp.Request.Header.Get(headerSignature) != "" {
			comps = append(comps, "signature;req")
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	label := s.Label
	if label == "" {
		label = DefaultLabel
	}
	return SignResponse(resp, s.Key, label, SignatureParams{
		Components: comps,
		Created:    now(),
		Alg:        s.Key.Algorithm(),
		KeyID:      s.Key.KeyID(),
	})
}

// requestBinding are the components of the request every signed response
// covers.
var requestBinding = []string{"@method;req", "@path;req", "@query;req"}

func responseView(resp *http.Response) *msgView {
	m := &msgView{response: true, status: resp.StatusCode, header: resp.Header}
	if resp.Request != nil {
		m.req = clientRequestView(sentRequest(resp.Request))
	}
	return m
}

// sentRequest returns r with the URL its client sent: on the server side
// (RequestURI set) the request-target as received, which handlers such as
// http.StripPrefix do not edit; on the client side r itself.
func sentRequest(r *http.Request) *http.Request {
	if r.RequestURI == "" {
		return r
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = u
	return r2
}

// SignResponse signs resp (status and headers; resp.Request for ";req"
// components) and sets its Signature-Input and Signature headers. It
// computes no Content-Digest (ResponseSigner does).
func SignResponse(resp *http.Response, key *PrivateKey, label string, p SignatureParams) error {
	in, sig, err := responseView(resp).sign(key, label, p)
	if err != nil {
		return err
	}
	resp.Header.Set(headerSignatureInput, in)
	resp.Header.Set(headerSignature, sig)
	return nil
}

// VerifyResponseSignature checks the signature labelled label (or the only
// one) on resp against key and returns its parameters, without policy,
// freshness or digest checks (VerifyResponse does those).
func VerifyResponseSignature(resp *http.Response, label string, key *PublicKey) (*SignatureParams, error) {
	ps, err := parseSignatures(resp.Header, label)
	if err != nil {
		return nil, err
	}
	if err := responseView(resp).verify(ps, key); err != nil {
		return nil, err
	}
	return &ps.sp.p, nil
}

// VerifyResponse checks that resp was signed by key as ResponseSigner
// signs: the only signature covers @status, content-digest, content-type
// if present, and, if resp.Request is set, the request's @method, @path
// and @query and, if it carried a Signature, "signature";req; it is at
// most DefaultMaxAge old; and the body (read up to maxBody bytes, then
// replaced by an in-memory copy) matches Content-Digest.
func VerifyResponse(resp *http.Response, key *PublicKey, maxBody int64) error {
	return verifyResponse(resp, key, maxBody, newFreshness(0, 0, nil))
}

func verifyResponse(resp *http.Response, key *PublicKey, maxBody int64, fresh freshness) error {
	ps, err := parseSignatures(resp.Header, "")
	if err != nil {
		return err
	}
	has := func(c string) bool { return slices.Contains(ps.sp.p.Components, c) }
	if !has("@status") || !has("content-digest") {
		return reject(ReasonPolicy, "response signature must cover @status and content-digest")
	}
	if resp.Header.Get("Content-Type") != "" && !has("content-type") {
		return reject(ReasonPolicy, "content-type not covered")
	}
	if resp.Request != nil {
		for _, c := range requestBinding {
			if !has(c) {
				return reject(ReasonPolicy, "response is not bound to the request's "+strings.TrimSuffix(c, ";req"))
			}
		}
		if resp.Request.Header.Get(headerSignature) != "" && !has("signature;req") {
			return reject(ReasonPolicy, "response is not bound to the request signature")
		}
	}
	if ps.sp.p.KeyID != "" && ps.sp.p.KeyID != key.KeyID() {
		return reject(ReasonUnknownKey, "response signed by another key")
	}
	if _, err := fresh.check(ps.sp.p.Created, ps.sp.p.Expires); err != nil {
		return err
	}
	if err := responseView(resp).verify(ps, key); err != nil {
		return err
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	body, err := readBody(resp.Body, maxBody)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return VerifyContentDigest(resp.Header.Values(headerContentDigest), body)
}
