package server_test

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/keystore"
)

// weakPolicy keeps account KDFs cheap in tests (the server is told to
// accept them with InsecureAllowWeak).
var weakPolicy = &keystore.Policy{
	Params:            keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000},
	InsecureAllowWeak: true,
}

type testServer struct {
	*httptest.Server
	srv  *server.Server
	opts client.Options
}

// start runs the server in process on a loopback port over plain HTTP,
// with a temporary SQLite file, and tweak applied to its config.
func start(t testing.TB, tweak func(*server.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	stores, err := server.OpenSQLite(ctx, filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stores.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pepper := make([]byte, 32)
	rand.Read(pepper)
	cfg := server.Config{
		Stores: stores, Pepper: pepper, Authority: ln.Addr().String(), InsecureLoopback: true,
		KDFPolicy: weakPolicy,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	ts.Start()
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, srv: h, opts: client.Options{URL: ts.URL, HTTPClient: ts.Client(), Policy: weakPolicy}}
}

func (ts *testServer) register(t testing.TB, user string) *client.Session {
	t.Helper()
	s, _, err := client.Register(context.Background(), ts.opts, user, "correct horse "+user)
	if err != nil {
		t.Fatalf("register %s: %v", user, err)
	}
	t.Cleanup(s.Close)
	return s
}
