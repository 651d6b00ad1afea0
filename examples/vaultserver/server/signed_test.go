package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
)

// TestTamperedResponsesRefused: a proxy between the Go client and the
// server that alters an answer's body, status or a covered header, or
// strips its signature, gets the answer refused with
// client.ErrUnverifiedResponse; an untouched answer passes. The server
// checks signatures against the proxy's authority, so requests pass.
func TestTamperedResponsesRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, func(c *server.Config) { c.Authority = ln.Addr().String() })
	upstream, _ := url.Parse(ts.URL)
	var tamper func(*http.Response) // applied to answers on path
	path := "/api/v1/usage"
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(resp.Request.URL.Path, path) || tamper == nil {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		tamper(resp)
		b, _ = io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	proxy := &httptest.Server{Listener: ln, Config: &http.Server{Handler: rp}}
	proxy.Start()
	t.Cleanup(proxy.Close)
	opts := ts.opts
	opts.URL = proxy.URL
	ctx := context.Background()
	s, _, err := client.Register(ctx, opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := s.ResponseKey()
	if _, err := s.Storage(ctx); err != nil {
		t.Fatalf("untouched answer: %v", err)
	}
	body := func(f func(string) string) func(*http.Response) {
		return func(r *http.Response) {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(f(string(b))))
		}
	}
	for name, f := range map[string]func(*http.Response){
		"body": body(func(b string) string {
			return strings.Replace(b, `"limit":{"bytes":`, `"limit":{"bytes":9`, 1)
		}),
		"status": func(r *http.Response) { r.StatusCode = http.StatusAccepted },
		"header": func(r *http.Response) { r.Header.Set("Content-Type", "application/json; charset=utf-8") },
		"digest and body": func(r *http.Response) {
			body(func(string) string { return `{}` })(r)
			r.Header.Set("Content-Digest", "sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:")
		},
		"unsigned": func(r *http.Response) {
			r.Header.Del("Signature")
			r.Header.Del("Signature-Input")
		},
	} {
		tamper = f
		if _, err := s.Storage(ctx); !errors.Is(err, client.ErrUnverifiedResponse) {
			t.Errorf("%s altered: %v, want ErrUnverifiedResponse", name, err)
		}
	}
	// A download's 200 is signed over its status and headers only (its
	// body is streamed ciphertext the envelope checks).
	tamper = nil
	it, err := s.Upload(ctx, "doc", strings.NewReader("payload"), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	path = "/download"
	var got bytes.Buffer
	if _, err := s.Download(ctx, it.ID, &got); err != nil || got.String() != "payload" {
		t.Fatalf("untouched download: %q, %v", got.String(), err)
	}
	for name, f := range map[string]func(*http.Response){
		"status": func(r *http.Response) { r.StatusCode = http.StatusPartialContent },
		"header": func(r *http.Response) { r.Header.Set("Content-Type", "text/html") },
		"unsigned": func(r *http.Response) {
			r.Header.Del("Signature")
			r.Header.Del("Signature-Input")
		},
	} {
		tamper = f
		if _, err := s.Download(ctx, it.ID, io.Discard); !errors.Is(err, client.ErrUnverifiedResponse) {
			t.Errorf("download %s altered: %v, want ErrUnverifiedResponse", name, err)
		}
	}
	tamper = nil
	other := start(t, nil).opts
	other.ResponseKey = key
	if _, err := client.Login(ctx, other, "alice", "correct horse alice"); !errors.Is(err, client.ErrUnverifiedResponse) {
		t.Errorf("another server's key: %v, want ErrUnverifiedResponse", err)
	}
}
