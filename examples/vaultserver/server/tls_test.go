package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/servertls"
)

// TestTLS runs the server as main.go does: HTTPS with a self-signed
// certificate made at start, no plain-HTTP allowance. A client trusting
// that certificate registers, uploads, shares and downloads; a client that
// does not trust it, and plain HTTP, get nowhere.
func TestTLS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stores, err := server.OpenSQLite(ctx, filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stores.Close() })
	pepper := make([]byte, 32)
	rand.Read(pepper)
	h, err := server.New(server.Config{Stores: stores, Pepper: pepper, KDFPolicy: weakPolicy})
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, certPEM, fingerprint, err := servertls.SelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(fingerprint) != 64 {
		t.Errorf("fingerprint %q is not hex SHA-256", fingerprint)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, ln, tlsConfig) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("the certificate PEM does not parse")
	}
	trusting := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13},
	}}
	base := "https://" + ln.Addr().String()
	opts := client.Options{URL: base, HTTPClient: trusting, Policy: weakPolicy}

	alice, _, err := client.Register(ctx, opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatalf("register over TLS: %v", err)
	}
	defer alice.Close()
	bob, _, err := client.Register(ctx, opts, "bob", "correct horse bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	doc := []byte("over TLS, end to end")
	it, err := alice.Upload(ctx, "doc.txt", bytes.NewReader(doc), int64(len(doc)), nil, "bob")
	if err != nil {
		t.Fatalf("upload over TLS: %v", err)
	}
	var got bytes.Buffer
	if _, err := bob.Download(ctx, it.ID, &got); err != nil || !bytes.Equal(got.Bytes(), doc) {
		t.Fatalf("bob's download over TLS: %q, %v", got.Bytes(), err)
	}

	// A client without the certificate refuses the server.
	_, _, err = client.Register(ctx, client.Options{URL: base, HTTPClient: &http.Client{Timeout: 10 * time.Second}, Policy: weakPolicy}, "carol", "correct horse carol")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("a client that does not trust the certificate: %v, want an unknown-authority error", err)
	}
	// Plain HTTP to the TLS port gets a TLS alert, not the API.
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + ln.Addr().String() + "/api/v1/usage")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port: %s", resp.Status)
		}
	} else if !strings.Contains(err.Error(), "malformed HTTP response") && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("plain HTTP to the TLS port: %v", err)
	}
}
