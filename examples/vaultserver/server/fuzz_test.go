package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
)

// fuzzRoutes are the routes whose bodies an attacker controls before (or
// without) a signature check: the account routes, a bearer-authenticated
// upload frame, and link access.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/register"},
	{"POST", "/api/v1/login/start"},
	{"POST", "/api/v1/login"},
	{"POST", "/api/v1/items"},
	{"POST", "/api/v1/links/L1/access"},
}

// FuzzRequests sends arbitrary bodies to those routes: the server must
// answer every one with a 2xx or 4xx status and, for errors, a JSON
// {"error"} body — never a panic or a 500. Seeds are real request bodies
// captured from the Go client.
func FuzzRequests(f *testing.F) {
	ts := start(f, func(c *server.Config) { c.LoginRate = server.Rate{Burst: 1 << 20, Per: 1} })
	capt := &capturer{base: ts.Client().Transport, bodies: map[string][][]byte{}}
	opts := ts.opts
	opts.HTTPClient = &http.Client{Transport: capt}
	ctx := context.Background()
	s, _, err := client.Register(ctx, opts, "fuzzer", "fuzz passphrase")
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	token, _ := s.Token()
	if _, err := s.Upload(ctx, "x", strings.NewReader("seed file"), 9, nil); err != nil {
		f.Fatal(err)
	}
	l, err := client.Login(ctx, opts, "fuzzer", "fuzz passphrase")
	if err != nil {
		f.Fatal(err)
	}
	l.Close()
	for i, r := range fuzzRoutes {
		for _, b := range capt.bodies[r.path] {
			f.Add(uint8(i), b)
		}
		for _, b := range []string{"", "{}", `{"user":"fuzzer"}`, `{"user":"fuzzer","auth_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`, "\x00\x00\x00\x02{}"} {
			f.Add(uint8(i), []byte(b))
		}
	}
	if len(capt.bodies["/api/v1/register"]) == 0 || len(capt.bodies["/api/v1/items"]) == 0 {
		f.Fatal("no captured seeds")
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		ts.srv.ServeHTTP(w, req)
		if w.Code >= 500 || w.Code < 200 {
			t.Fatalf("%s %s: status %d: %s", r.method, r.path, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var eb server.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error == "" {
				t.Fatalf("%s %s: %d with body %q", r.method, r.path, w.Code, w.Body)
			}
		}
	})
}

// capturer keeps every request body the client sent, by path.
type capturer struct {
	base   http.RoundTripper
	mu     sync.Mutex
	bodies map[string][][]byte
}

func (c *capturer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		c.mu.Lock()
		c.bodies[req.URL.Path] = append(c.bodies[req.URL.Path], b)
		c.mu.Unlock()
	}
	return c.base.RoundTrip(req)
}
