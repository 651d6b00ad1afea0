package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
)

// TestPostgres runs upload, share and download on the PostgreSQL backend
// when $SEALKIT_POSTGRES_DSN names a database (.ci/run starts one).
func TestPostgres(t *testing.T) {
	dsn := os.Getenv(postgres.DSNEnv)
	if dsn == "" {
		t.Skip("set " + postgres.DSNEnv + " to run against PostgreSQL")
	}
	ctx := context.Background()
	stores, err := server.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer stores.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pepper := make([]byte, 32)
	rand.Read(pepper)
	h, err := server.New(server.Config{Stores: stores, Pepper: pepper, Authority: ln.Addr().String(),
		InsecureLoopback: true, KDFPolicy: weakPolicy})
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	ts.Start()
	defer ts.Close()
	opts := client.Options{URL: ts.URL, HTTPClient: ts.Client(), Policy: weakPolicy}
	run := make([]byte, 4)
	rand.Read(run)
	a, b := "pa-"+hex.EncodeToString(run), "pb-"+hex.EncodeToString(run) // the database outlives the test
	alice, _, err := client.Register(ctx, opts, a, "pass a")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob, _, err := client.Register(ctx, opts, b, "pass b")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	doc := bytes.Repeat([]byte("postgres "), 10000)
	it, err := alice.Upload(ctx, "pg.txt", bytes.NewReader(doc), int64(len(doc)), nil, b)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := bob.Download(ctx, it.ID, &got); err != nil || !bytes.Equal(got.Bytes(), doc) {
		t.Fatalf("download: %v", err)
	}
	if files, err := alice.List(ctx); err != nil || len(files) != 1 || files[0].Name != "pg.txt" {
		t.Fatalf("List = %+v, %v", files, err)
	}
}
