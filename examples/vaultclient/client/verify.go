package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/identity"
)

// ErrUnverifiedResponse is wrapped by every [ResponseError]: an answer not
// signed by the server's pinned response key as API.md ("Signed
// responses") says. Nothing in such an answer is to be trusted.
var ErrUnverifiedResponse = errors.New("vault: response not signed by the server's key")

// ResponseError is an answer the client refused: unsigned, signed by
// another key or over too little, stale, or altered. Status is what the
// answer claimed; Err says why it was refused.
type ResponseError struct {
	Status int
	Err    error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("%v (a %d answer): %v", ErrUnverifiedResponse, e.Status, e.Err)
}

// Unwrap returns ErrUnverifiedResponse and the cause.
func (e *ResponseError) Unwrap() []error { return []error{ErrUnverifiedResponse, e.Err} }

// maxResponseBody caps what the verifier buffers to check a digest: the
// server's signer buffers at most 16 MiB.
const maxResponseBody = 16 << 20

// verifier is a RoundTripper that refuses answers not signed by key.
type verifier struct {
	key  *identity.PublicKey
	base http.RoundTripper
}

func (v *verifier) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if err := v.check(req, resp); err != nil {
		resp.Body.Close()
		return nil, &ResponseError{Status: resp.StatusCode, Err: err}
	}
	return resp, nil
}

// check verifies resp: a payload route's 200, or 206 to a Range, as a
// streamed answer (its body, ciphertext, is not covered; a 206's
// Content-Range is), any other answer with its digest.
func (v *verifier) check(req *http.Request, resp *http.Response) error {
	if resp.Request == nil {
		resp.Request = req
	}
	streamed := resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent
	if !streamed || !payloadRoute(req) {
		return identity.VerifyResponse(resp, v.key, maxResponseBody)
	}
	return identity.VerifyStreamedResponse(resp, v.key)
}

// payloadRoute reports whether req is to a route whose 200 (or 206)
// answer is streamed: download and link access.
func payloadRoute(req *http.Request) bool {
	p := req.URL.Path
	return req.Method == http.MethodPost && strings.HasPrefix(p, "/api/v1/") &&
		(strings.HasSuffix(p, "/download") || strings.HasSuffix(p, "/access"))
}

// verifying returns base with its transport checking answers against key.
func verifying(base *http.Client, key *identity.PublicKey) *http.Client {
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c := *base
	c.Transport = &verifier{key: key, base: rt}
	return &c
}

// FetchServerKey fetches the server's response key from GET
// /api/v1/server-key, trusting it on first use: the answer must verify
// under the key it carries, whose thumbprint must be its key_id. Pin the
// key (Options.ResponseKey) so that later answers under another key are
// refused.
func FetchServerKey(ctx context.Context, base *http.Client, serverURL string) (*identity.PublicKey, error) {
	if base == nil {
		base = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(serverURL, "/")+"/api/v1/server-key", nil)
	if err != nil {
		return nil, err
	}
	resp, err := base.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return nil, err
	}
	var sk api.ServerKeyResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &sk) != nil || sk.Alg != string(identity.Ed25519) {
		return nil, &ResponseError{Status: resp.StatusCode, Err: errors.New("no usable server key")}
	}
	key, err := identity.NewEd25519PublicKey(sk.PublicKey)
	if err != nil || key.KeyID() != sk.KeyID {
		return nil, &ResponseError{Status: resp.StatusCode, Err: errors.New("server key does not match its key_id")}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := identity.VerifyResponse(resp, key, int64(len(body))+1); err != nil {
		return nil, &ResponseError{Status: resp.StatusCode, Err: err}
	}
	return key, nil
}
