package servertls_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealkit/sealkit/servertls"
)

// handshake runs a TLS handshake between srv and a client that trusts
// roots and asks for host, and returns the certificate the client saw.
func handshake(t *testing.T, srv *tls.Config, roots *x509.CertPool, host string) (*x509.Certificate, error) {
	t.Helper()
	// Loopback TCP, not net.Pipe: a refusing client's alert and the
	// server's flight cross in the kernel's buffers instead of blocking.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() {
		s := tls.Server(a, srv)
		err := s.Handshake()
		s.Close()
		done <- err
	}()
	c := tls.Client(b, &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS13})
	err = c.Handshake()
	if err != nil {
		b.Close() // unblocks the server's side
		<-done
		return nil, err
	}
	if err := <-done; err != nil {
		return nil, err
	}
	return c.ConnectionState().PeerCertificates[0], nil
}

// selfSigned returns a self-signed certificate for host in PEM, its key in
// PEM, and a pool that trusts it.
func selfSigned(t *testing.T, host string) (certPEM, keyPEM []byte, roots *x509.CertPool) {
	t.Helper()
	cfg, certPEM, _, err := servertls.SelfSigned([]string{host}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(cfg.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatal("the certificate PEM does not parse")
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), roots
}

// write writes b to name, then sets its modification time to mod, so that
// a reload does not depend on the file system's clock resolution.
func write(t *testing.T, name string, b []byte, mod time.Time) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func TestSelfSignedHandshake(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "vault.example"} {
		cfg, certPEM, fp, err := servertls.SelfSigned([]string{host}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MinVersion != tls.VersionTLS13 {
			t.Errorf("MinVersion %x, want TLS 1.3", cfg.MinVersion)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(certPEM)
		got, err := handshake(t, cfg, roots, host)
		if err != nil {
			t.Fatalf("%s: handshake: %v", host, err)
		}
		if len(fp) != 64 {
			t.Errorf("fingerprint %q is not hex SHA-256", fp)
		}
		if _, err := handshake(t, cfg, roots, "other.example"); err == nil {
			t.Errorf("%s: a handshake for another host succeeded", host)
		}
		block, _ := pem.Decode(certPEM)
		if !bytes.Equal(got.Raw, block.Bytes) {
			t.Errorf("%s: the client saw another certificate", host)
		}
	}
}

func TestSelfSignedUntrusted(t *testing.T) {
	cfg, _, _, err := servertls.SelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg, x509.NewCertPool(), "127.0.0.1"); err == nil {
		t.Error("a client that does not trust the certificate completed a handshake")
	}
}

func TestLoadRefusesMismatchedKey(t *testing.T) {
	dir := t.TempDir()
	certA, _, _ := selfSigned(t, "vault.example")
	_, keyB, _ := selfSigned(t, "vault.example")
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write(t, cert, certA, time.Unix(1, 0))
	write(t, key, keyB, time.Unix(1, 0))
	if _, err := servertls.Load(cert, key); err == nil {
		t.Error("Load accepted a key that is not the certificate's")
	}
	if _, err := servertls.Load(cert, filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("Load accepted a missing key file")
	}
}

func TestLoadReloads(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certA, keyA, rootsA := selfSigned(t, "vault.example")
	write(t, cert, certA, time.Unix(1, 0))
	write(t, key, keyA, time.Unix(1, 0))
	cfg, err := servertls.Load(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS13 {
		t.Errorf("MinVersion %x, want TLS 1.3", cfg.MinVersion)
	}
	if _, err := handshake(t, cfg, rootsA, "vault.example"); err != nil {
		t.Fatalf("the first certificate: %v", err)
	}

	// Half a renewal: a new certificate, the old key. The old pair serves.
	certB, keyB, rootsB := selfSigned(t, "vault.example")
	write(t, cert, certB, time.Unix(2, 0))
	if _, err := handshake(t, cfg, rootsA, "vault.example"); err != nil {
		t.Fatalf("during a renewal, the old certificate: %v", err)
	}
	// The whole renewal: the new pair serves.
	write(t, key, keyB, time.Unix(2, 0))
	if _, err := handshake(t, cfg, rootsB, "vault.example"); err != nil {
		t.Fatalf("after a renewal, the new certificate: %v", err)
	}
	if _, err := handshake(t, cfg, rootsA, "vault.example"); err == nil {
		t.Error("after a renewal, the old certificate still serves")
	}
}
