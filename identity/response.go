package identity

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ResponseSigner is server middleware that signs every response (RFC 9421)
// with Key, covering @status, content-digest, content-type, content-range
// (each if present), the request's method, path and query ("@method";req, "@path";req, "@query";req) and,
// when the request was signed, its Signature field ("signature";req), so a
// client can tell that this answer is to its request: to this one, if it
// signed it, else to one of the same method and target. [ResponseSigner.Handler]
// buffers the response (at most MaxBodyBytes) to digest it;
// [ResponseSigner.StreamHandler] streams a 200 or 206 answer, signed without
// its body.
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
	// WriteError answers in place of a response that could not be signed:
	// err is [ErrResponseTooLarge] or the signing failure. Its answer is
	// signed in turn (sent unsigned, as a plain 500, only if that fails
	// too). nil means a plain-text 500.
	WriteError func(w http.ResponseWriter, err error)
}

// ErrResponseTooLarge is a buffered response past
// [ResponseSigner.MaxBodyBytes]: the handler's Write returns it, and
// [ResponseSigner.WriteError] answers in the response's place.
var ErrResponseTooLarge = errors.New("identity: response too large to sign")

// Handler wraps next so its responses are signed, each buffered whole and
// covered with its Content-Digest.
func (s *ResponseSigner) Handler(next http.Handler) http.Handler { return s.handler(next, false) }

// StreamHandler is [ResponseSigner.Handler] for routes whose answers may be
// too large to buffer: a 200 answer, or a 206 (one byte range), is signed
// when its header is written (over @status, content-type and content-range
// if set by then, and the request's components), carries no
// Content-Digest, and its body is sent as it is written, so it is not
// covered: the caller must authenticate it by other means (an envelope's
// AEAD, say). [VerifyStreamedResponse] checks it. Any other status is
// buffered and signed as Handler signs it. A streamed answer written
// without a Content-Type is sent without one, as net/http would otherwise
// sniff one after signing.
func (s *ResponseSigner) StreamHandler(next http.Handler) http.Handler { return s.handler(next, true) }

func (s *ResponseSigner) handler(next http.Handler, stream bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &signingWriter{w: w, s: s, r: r, h: w.Header().Clone(), stream: stream}
		next.ServeHTTP(sw, r)
		sw.finish()
	})
}

// signingWriter is the writer a ResponseSigner's handler gets: it keeps
// the handler's header apart from the connection's until the answer is
// signed, and buffers the body unless the answer is a streamed 200 or 206.
type signingWriter struct {
	w         http.ResponseWriter
	s         *ResponseSigner
	r         *http.Request
	h         http.Header // the handler's header, sent with the answer
	stream    bool        // a 200 or 206 answer is streamed
	streaming bool        // its head is sent: writes go to w
	status    int
	buf       bytes.Buffer
	err       error // why the answer cannot be sent: WriteError answers instead
}

var _ http.ResponseWriter = (*signingWriter)(nil)

func (sw *signingWriter) Header() http.Header { return sw.h }

// WriteHeader records the status; a streamed 200 or 206 is signed and sent
// now.
// Informational (1xx) answers are not passed on: they would be unsigned.
func (sw *signingWriter) WriteHeader(code int) {
	if sw.status != 0 || code < http.StatusOK {
		return
	}
	sw.status = code
	if !sw.stream || (code != http.StatusOK && code != http.StatusPartialContent) {
		return
	}
	if _, ok := sw.h["Content-Type"]; !ok {
		sw.h["Content-Type"] = nil // net/http must not add an uncovered sniffed type
	}
	if err := sw.s.sign(&http.Response{StatusCode: code, Header: sw.h, Request: sw.r}, nil, true); err != nil {
		sw.err = err
		return
	}
	sw.streaming = true
	dst := sw.w.Header()
	clear(dst)
	maps.Copy(dst, sw.h)
	sw.w.WriteHeader(code)
}

func (sw *signingWriter) Write(p []byte) (int, error) {
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	switch {
	case sw.streaming:
		return sw.w.Write(p)
	case sw.err != nil:
		return 0, sw.err
	case int64(sw.buf.Len()+len(p)) > sw.s.maxBody():
		sw.err = ErrResponseTooLarge
		sw.buf.Reset()
		return 0, sw.err
	}
	return sw.buf.Write(p)
}

// FlushError flushes a streamed answer (writing its header first, as
// net/http does); a buffered one is only sent when the handler returns.
func (sw *signingWriter) FlushError() error {
	if sw.status == 0 && sw.stream {
		sw.WriteHeader(http.StatusOK)
	}
	if !sw.streaming {
		return nil
	}
	return http.NewResponseController(sw.w).Flush()
}

// Unwrap lets [http.ResponseController] reach the connection for what
// this writer does not do itself (read and write deadlines, full duplex).
func (sw *signingWriter) Unwrap() http.ResponseWriter { return sw.w }

// finish sends a buffered answer, or WriteError's in its place.
func (sw *signingWriter) finish() {
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	if sw.streaming {
		return
	}
	if sw.err == nil {
		if sw.err = sw.send(); sw.err == nil {
			return
		}
	}
	ew := &signingWriter{w: sw.w, s: sw.s, r: sw.r, h: sw.w.Header().Clone()}
	if sw.s.WriteError != nil {
		sw.s.WriteError(ew, sw.err)
	} else {
		http.Error(ew, "response could not be signed", http.StatusInternalServerError)
	}
	if ew.status == 0 {
		ew.status = http.StatusOK
	}
	if ew.err == nil && ew.send() == nil {
		return
	}
	http.Error(sw.w, "response could not be signed", http.StatusInternalServerError)
}

// send signs the buffered answer with its digest and sends it.
func (sw *signingWriter) send() error {
	body := sw.buf.Bytes()
	if _, ok := sw.h["Content-Type"]; !ok && len(body) > 0 {
		// net/http would sniff one after signing, uncovered: set it now.
		sw.h.Set("Content-Type", http.DetectContentType(body))
	}
	if err := sw.s.sign(&http.Response{StatusCode: sw.status, Header: sw.h, Request: sw.r}, body, false); err != nil {
		return err
	}
	dst := sw.w.Header()
	clear(dst)
	maps.Copy(dst, sw.h)
	sw.w.WriteHeader(sw.status)
	_, _ = sw.w.Write(body)
	return nil
}

func (s *ResponseSigner) maxBody() int64 {
	if s.MaxBodyBytes <= 0 {
		return 16 << 20
	}
	return s.MaxBodyBytes
}

// sign signs resp, with body's Content-Digest unless streamed.
func (s *ResponseSigner) sign(resp *http.Response, body []byte, streamed bool) error {
	if s.Key == nil {
		return errors.New("identity: ResponseSigner has no Key")
	}
	comps := []string{"@status"}
	if !streamed {
		alg := s.Digest
		if alg == "" {
			alg = DigestSHA256
		}
		d, err := ContentDigest(alg, body)
		if err != nil {
			return err
		}
		resp.Header.Set(headerContentDigest, d)
		comps = append(comps, "content-digest")
	}
	if resp.Header.Get("Content-Type") != "" {
		comps = append(comps, "content-type")
	}
	if resp.Header.Get("Content-Range") != "" {
		comps = append(comps, "content-range")
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
		req := clientRequestView(sentRequest(resp.Request))
		m.req = &req
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

// VerifyResponse checks that resp was signed by key as
// [ResponseSigner.Handler] signs: the only signature covers @status,
// content-digest, content-type and content-range if present, and, if
// resp.Request is set, the request's @method, @path and @query and, if it
// carried a Signature, "signature";req; it is at most DefaultMaxAge old; and the body (read up
// to maxBody bytes, then replaced by an in-memory copy) matches
// Content-Digest.
func VerifyResponse(resp *http.Response, key *PublicKey, maxBody int64) error {
	return verifyResponse(resp, key, maxBody, newFreshness(0, 0, nil))
}

// VerifyStreamedResponse checks a 200 or 206 answer of
// [ResponseSigner.StreamHandler] as VerifyResponse does, but with no
// content-digest required and without reading the body: the body is not
// authenticated, and the caller must check it by other means.
func VerifyStreamedResponse(resp *http.Response, key *PublicKey) error {
	return checkResponseHead(resp, key, newFreshness(0, 0, nil), false)
}

func verifyResponse(resp *http.Response, key *PublicKey, maxBody int64, fresh freshness) error {
	if err := checkResponseHead(resp, key, fresh, true); err != nil {
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

// checkResponseHead checks resp's one signature: its coverage (with
// content-digest if digest), key, freshness and value.
func checkResponseHead(resp *http.Response, key *PublicKey, fresh freshness, digest bool) error {
	ps, err := parseSignatures(resp.Header, "")
	if err != nil {
		return err
	}
	has := func(c string) bool { return slices.Contains(ps.sp.p.Components, c) }
	if !has("@status") {
		return reject(ReasonPolicy, "response signature must cover @status")
	}
	if digest && !has("content-digest") {
		return reject(ReasonPolicy, "response signature must cover content-digest")
	}
	if resp.Header.Get("Content-Type") != "" && !has("content-type") {
		return reject(ReasonPolicy, "content-type not covered")
	}
	if resp.Header.Get("Content-Range") != "" && !has("content-range") {
		return reject(ReasonPolicy, "content-range not covered")
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
	return responseView(resp).verify(ps, key)
}
