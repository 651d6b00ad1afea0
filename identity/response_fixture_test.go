package identity

// TestResponseFixtures checks VerifyResponse on signed responses and their
// tampered copies, and holds examples/webclient/testdata/responses.json to
// them: the web client's verifier (httpsig.js verifyResponse) must reach the
// same outcome on each. It is inside the package to verify at the fixture's
// fixed time. Rewrite the file with `go test ./identity -run
// TestResponseFixtures -update-fixtures`.

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite examples/webclient/testdata/responses.json")

const responseFixtureFile = "../examples/webclient/testdata/responses.json"

type fixtureMessage struct {
	Method  string      `json:"method,omitempty"`
	URL     string      `json:"url,omitempty"`
	Status  int         `json:"status,omitempty"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

type responseFixture struct {
	Name     string         `json:"name"`
	Now      int64          `json:"now"`
	Request  fixtureMessage `json:"request"`
	Response fixtureMessage `json:"response"`
	Expect   string         `json:"expect"`
	// Streamed marks a StreamHandler answer, checked as
	// VerifyStreamedResponse checks it (body not covered).
	Streamed bool `json:"streamed,omitempty"`
}

type responseFixtureFileJSON struct {
	Comment     string            `json:"comment"`
	ServerKey   string            `json:"server_key"` // raw Ed25519 public key, hex
	ServerKeyID string            `json:"server_key_id"`
	Cases       []responseFixture `json:"cases"`
}

func fixtureKey(t *testing.T, seedHex string) *PrivateKey {
	t.Helper()
	seed, err := hex.DecodeString(seedHex)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewEd25519PrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func headerPairs(h http.Header) [][2]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := [][2]string{}
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

func TestResponseFixtures(t *testing.T) {
	// The vector keys of testdata/vectors.json: server-ed25519, client-ed25519, stranger-ed25519.
	server := fixtureKey(t, "ad7fa3bc87f2ed1acfec5e64d3a53564f3dee6c59d1808a67409c3e641bfbc73")
	client := fixtureKey(t, "e52ce14fe155bb02e5121fad663e2844448de7e0adb8e6f27c8dc6cc48e48be9")
	stranger := fixtureKey(t, "0cbfb759e4f60856667de2a70e12938911da67907d31b326a3552851df670e4b")
	now := time.Unix(1_700_000_010, 0)
	created := time.Unix(1_700_000_000, 0)

	newRequest := func(signed bool, path string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, "https://vault.example"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !signed {
			r.Header.Set("Authorization", "Bearer token-of-the-fixture")
			return r
		}
		d, _ := ContentDigest(DigestSHA256, nil)
		r.Header.Set(headerContentDigest, d)
		err = SignRequest(r, client, DefaultLabel, SignatureParams{
			Components: []string{"@method", "@authority", "@path", "@query", "content-digest"},
			Created:    created, Expires: created.Add(time.Minute), Nonce: "fixture-nonce-" + path,
			Alg: Ed25519, KeyID: client.KeyID(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// signed is what ResponseSigner sends for req.
	signed := func(req *http.Request, key *PrivateKey, status int, ctype, body string, at time.Time) *http.Response {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
		if ctype != "" {
			resp.Header.Set("Content-Type", ctype)
		}
		s := &ResponseSigner{Key: key, Now: func() time.Time { return at }}
		if err := s.sign(resp, []byte(body), false); err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		return resp
	}
	// custom signs with other parameters than ResponseSigner's.
	custom := func(req *http.Request, status int, ctype, body string, p SignatureParams) *http.Response {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
		if ctype != "" {
			resp.Header.Set("Content-Type", ctype)
		}
		d, _ := ContentDigest(DigestSHA256, []byte(body))
		resp.Header.Set(headerContentDigest, d)
		if err := SignResponse(resp, server, DefaultLabel, p); err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		return resp
	}
	// streamed is what StreamHandler sends for req: body is not signed.
	streamed := func(req *http.Request, ctype, body string) *http.Response {
		resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: req}
		if ctype != "" {
			resp.Header.Set("Content-Type", ctype)
		}
		s := &ResponseSigner{Key: server, Now: func() time.Time { return created }}
		if err := s.sign(resp, nil, true); err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		return resp
	}
	// partial is what StreamHandler sends for req's Range: a 206 with its
	// Content-Range; body is not signed.
	partial := func(req *http.Request, crange, body string) *http.Response {
		resp := &http.Response{StatusCode: http.StatusPartialContent, Header: http.Header{}, Request: req}
		resp.Header.Set("Content-Type", "application/octet-stream")
		resp.Header.Set("Content-Range", crange)
		s := &ResponseSigner{Key: server, Now: func() time.Time { return created }}
		if err := s.sign(resp, nil, true); err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		return resp
	}
	// full is what ResponseSigner covers for a signed request with a
	// Content-Type; without removes components from it.
	full := []string{"@status", "content-digest", "content-type", "@method;req", "@path;req", "@query;req", "signature;req"}
	without := func(drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(full), func(c string) bool { return slices.Contains(drop, c) })
	}
	params := func(comps ...string) SignatureParams {
		return SignatureParams{Components: comps, Created: created, Alg: Ed25519, KeyID: server.KeyID()}
	}
	const js = "application/json"
	const body = `{"items":[{"id":"a1"}]}`
	edit := func(resp *http.Response, f func(*http.Response)) *http.Response { f(resp); return resp }
	setBody := func(resp *http.Response, b string) { resp.Body = io.NopCloser(bytes.NewReader([]byte(b))) }

	// strangerNoKeyID is signed by another key, without a keyid to say so.
	strangerNoKeyID := func(req *http.Request) *http.Response {
		resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: req}
		resp.Header.Set("Content-Type", js)
		d, _ := ContentDigest(DigestSHA256, []byte(body))
		resp.Header.Set(headerContentDigest, d)
		p := SignatureParams{Components: full, Created: created, Alg: Ed25519}
		if err := SignResponse(resp, stranger, DefaultLabel, p); err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		return resp
	}

	reqA, reqB, bearer := newRequest(true, "/api/v1/items?page=1"), newRequest(true, "/api/v1/items?page=2"), newRequest(false, "/api/v1/items")
	bearerOther, bearerQuery := newRequest(false, "/api/v1/shares"), newRequest(false, "/api/v1/items?page=2")
	// Anonymous requests of the web client's vault tests.
	anonymous := func(path string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, "https://vault.example"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	serverKeyBody := `{"alg":"ed25519","key_id":"` + server.KeyID() + `","public_key":"` + base64.StdEncoding.EncodeToString(server.Public().Bytes()) + `"}`
	strangerKeyBody := `{"alg":"ed25519","key_id":"` + stranger.KeyID() + `","public_key":"` + base64.StdEncoding.EncodeToString(stranger.Public().Bytes()) + `"}`
	cases := []struct {
		name string
		resp *http.Response
		at   time.Time
		want Reason // "" for accepted
	}{
		{"signed request", signed(reqA, server, 200, js, body, created), now, ""},
		{"bearer request", signed(bearer, server, 200, js, body, created), now, ""},
		{"error answer", signed(reqA, server, 404, js, `{"error":"not_found"}`, created), now, ""},
		{"no content", signed(reqA, server, 204, "", "", created), now, ""},
		{"tampered body", edit(signed(reqA, server, 200, js, body, created), func(r *http.Response) {
			setBody(r, `{"items":[]}`)
		}), now, ReasonDigestMismatch},
		{"tampered status", edit(signed(reqA, server, 404, js, `{"error":"not_found"}`, created), func(r *http.Response) {
			r.StatusCode = 200
		}), now, ReasonBadSignature},
		{"tampered content type", edit(signed(reqA, server, 200, js, body, created), func(r *http.Response) {
			r.Header.Set("Content-Type", "text/html")
		}), now, ReasonBadSignature},
		{"tampered body and digest", edit(signed(reqA, server, 200, js, body, created), func(r *http.Response) {
			setBody(r, `{"items":[]}`)
			d, _ := ContentDigest(DigestSHA256, []byte(`{"items":[]}`))
			r.Header.Set(headerContentDigest, d)
		}), now, ReasonBadSignature},
		{"unsigned", edit(signed(reqA, server, 200, js, body, created), func(r *http.Response) {
			r.Header.Del(headerSignature)
			r.Header.Del(headerSignatureInput)
		}), now, ReasonMissingSignature},
		{"answer to another request", edit(signed(reqB, server, 200, js, body, created), func(r *http.Response) {
			r.Request = reqA
		}), now, ReasonBadSignature},
		{"signed by another key", signed(reqA, stranger, 200, js, body, created), now, ReasonUnknownKey},
		{"server key without keyid", custom(reqA, 200, js, body, SignatureParams{Components: full, Created: created}), now, ""},
		{"stale", signed(reqA, server, 200, js, body, created), created.Add(DefaultMaxAge + DefaultMaxSkew), ReasonStale},
		{"from the future", signed(reqA, server, 200, js, body, now.Add(DefaultMaxSkew+time.Second)), now, ReasonStale},
		{"content type not covered", custom(reqA, 200, js, body, params(without("content-type")...)), now, ReasonPolicy},
		{"status not covered", custom(reqA, 200, js, body, params(without("@status")...)), now, ReasonPolicy},
		{"digest not covered", custom(reqA, 200, js, body, params(without("content-digest")...)), now, ReasonPolicy},
		{"not bound to the request signature", custom(reqA, 200, js, body, params(without("signature;req")...)), now, ReasonPolicy},
		{"not bound to the method", custom(reqA, 200, js, body, params(without("@method;req")...)), now, ReasonPolicy},
		{"not bound to the path", custom(reqA, 200, js, body, params(without("@path;req")...)), now, ReasonPolicy},
		{"not bound to the query", custom(reqA, 200, js, body, params(without("@query;req")...)), now, ReasonPolicy},
		{"bearer answer to another path", edit(signed(bearer, server, 200, js, body, created), func(r *http.Response) {
			r.Request = bearerOther
		}), now, ReasonBadSignature},
		{"bearer answer to another query", edit(signed(bearer, server, 200, js, body, created), func(r *http.Response) {
			r.Request = bearerQuery
		}), now, ReasonBadSignature},
		{"vault server key", signed(anonymous("/api/v1/server-key"), server, 200, js, serverKeyBody, created), now, ""},
		{"vault stranger's server key", signed(anonymous("/api/v1/server-key"), stranger, 200, js, strangerKeyBody, created), now, ReasonUnknownKey},
		{"vault link", signed(anonymous("/api/v1/links/L1"), server, 200, js, `{"iterations":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}`, created), now, ""},
		{"vault link not found", signed(anonymous("/api/v1/links/L2"), server, 404, js, `{"error":"not_found"}`, created), now, ""},
		{"alg of another key type", custom(reqA, 200, js, body, SignatureParams{Components: full, Created: created, Alg: ECDSAP256SHA256}), now, ReasonBadSignature},
		{"two signatures", edit(signed(reqA, server, 200, js, body, created), func(r *http.Response) {
			r.Header.Set(headerSignatureInput, r.Header.Get(headerSignatureInput)+`, sig2=("@status")`)
			r.Header.Set(headerSignature, r.Header.Get(headerSignature)+`, sig2=::`)
		}), now, ReasonMalformed},
		{"stranger without keyid", strangerNoKeyID(reqA), now, ReasonBadSignature},
		{"request component in a response", edit(signed(reqA, server, 200, js, body, created), func(r *http.Response) {
			in := r.Header.Get(headerSignatureInput)
			r.Header.Set(headerSignatureInput, strings.Replace(in, `;req)`, `;req "@path")`, 1))
		}), now, ReasonMalformed},
	}
	// Streamed answers (StreamHandler), appended after the buffered ones.
	const octets = "application/octet-stream"
	download, linkAccess := newRequest(true, "/api/v1/items/a1/download"), anonymous("/api/v1/links/L1/access")
	streamedCases := []struct {
		name string
		resp *http.Response
		want Reason
	}{
		{"streamed download", streamed(download, octets, "ciphertext"), ""},
		{"streamed link access", streamed(linkAccess, octets, "frame"), ""},
		{"streamed without content type", streamed(linkAccess, "", "frame"), ""},
		{"streamed answer for another link", edit(streamed(linkAccess, octets, "frame"), func(r *http.Response) {
			r.Request = anonymous("/api/v1/links/L2/access")
		}), ReasonBadSignature},
		{"streamed answer to another request", edit(streamed(download, octets, "ciphertext"), func(r *http.Response) {
			r.Request = newRequest(true, "/api/v1/items/a1/download?v=2")
		}), ReasonBadSignature},
		{"streamed, not bound to the request", custom(linkAccess, 200, octets, "frame", params("@status", "content-type")), ReasonPolicy},
		{"streamed, not bound to the request signature", custom(download, 200, octets, "ciphertext", params("@status", "content-type", "@method;req", "@path;req", "@query;req")), ReasonPolicy},
		{"streamed, content type not covered", custom(download, 200, octets, "ciphertext", params("@status", "@method;req", "@path;req", "@query;req", "signature;req")), ReasonPolicy},
		{"streamed range", partial(download, "bytes 10-19/100", "0123456789"), ""},
		{"streamed range, another Content-Range", edit(partial(download, "bytes 10-19/100", "0123456789"), func(r *http.Response) {
			r.Header.Set("Content-Range", "bytes 20-29/100")
		}), ReasonBadSignature},
		{"streamed range, Content-Range not covered", edit(custom(download, 206, octets, "0123456789", params("@status", "content-type", "@method;req", "@path;req", "@query;req", "signature;req")), func(r *http.Response) {
			r.Header.Set("Content-Range", "bytes 10-19/100")
		}), ReasonPolicy},
	}
	out := responseFixtureFileJSON{
		Comment:     "Signed responses (identity ResponseSigner) and tampered copies, with identity.VerifyResponse's outcome at now: \"ok\" or the reason. Written by identity's TestResponseFixtures; checked by response.test.mjs.",
		ServerKey:   hex.EncodeToString(server.Public().Bytes()),
		ServerKeyID: server.KeyID(),
	}
	for _, c := range cases {
		fresh := newFreshness(0, 0, func() time.Time { return c.at })
		raw, _ := io.ReadAll(c.resp.Body)
		c.resp.Body = io.NopCloser(bytes.NewReader(raw))
		err := verifyResponse(c.resp, server.Public(), 0, fresh)
		got := "ok"
		var re *RejectError
		if errors.As(err, &re) {
			got = string(re.Reason)
		} else if err != nil {
			t.Fatalf("%s: not a RejectError: %v", c.name, err)
		}
		want := "ok"
		if c.want != "" {
			want = string(c.want)
		}
		if got != want {
			t.Errorf("%s: VerifyResponse %s (%v), want %s", c.name, got, err, want)
		}
		req := c.resp.Request
		out.Cases = append(out.Cases, responseFixture{
			Name:     c.name,
			Now:      c.at.Unix(),
			Request:  fixtureMessage{Method: req.Method, URL: req.URL.String(), Headers: headerPairs(req.Header)},
			Response: fixtureMessage{Status: c.resp.StatusCode, Headers: headerPairs(c.resp.Header), Body: string(raw)},
			Expect:   got,
		})
	}
	for _, c := range streamedCases {
		err := checkResponseHead(c.resp, server.Public(), newFreshness(0, 0, func() time.Time { return now }), false)
		got := "ok"
		var re *RejectError
		if errors.As(err, &re) {
			got = string(re.Reason)
		} else if err != nil {
			t.Fatalf("%s: not a RejectError: %v", c.name, err)
		}
		if want := cmp.Or(string(c.want), "ok"); got != want {
			t.Errorf("%s: VerifyStreamedResponse %s (%v), want %s", c.name, got, err, want)
		}
		raw, _ := io.ReadAll(c.resp.Body)
		req := c.resp.Request
		out.Cases = append(out.Cases, responseFixture{
			Name:     c.name,
			Now:      now.Unix(),
			Request:  fixtureMessage{Method: req.Method, URL: req.URL.String(), Headers: headerPairs(req.Header)},
			Response: fixtureMessage{Status: c.resp.StatusCode, Headers: headerPairs(c.resp.Header), Body: string(raw)},
			Expect:   got,
			Streamed: true,
		})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *updateFixtures {
		if err := os.WriteFile(responseFixtureFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(responseFixtureFile)
	if err != nil {
		t.Fatalf("%v (write it with -update-fixtures)", err)
	}
	if !bytes.Equal(old, b) {
		t.Fatalf("%s differs from what identity signs now; rewrite it with -update-fixtures", responseFixtureFile)
	}
}
