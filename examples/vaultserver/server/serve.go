package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/sealkit/sealkit/httplimit"
)

// Serve serves h on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to grace,
// and returns nil if they all did. With tlsConfig nil it serves plain HTTP.
// It applies httplimit's default connection limits (header and idle
// timeouts, connections per client address, HTTP/2 streams per
// connection); Server.Serve applies its Config's.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, grace time.Duration) error {
	l, err := httplimit.New(httplimit.Config{})
	if err != nil {
		return err
	}
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	return serve(ctx, ln, h, tlsConfig, l, grace)
}

// Serve is the package-level Serve for s, with the limits and shutdown
// grace of its Config.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	return serve(ctx, ln, s, tlsConfig, s.limits, s.cfg.ShutdownGrace)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, l *httplimit.Limits, grace time.Duration) error {
	srv := l.Server(h)
	srv.TLSConfig = tlsConfig
	ln = l.Listener(ln)
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// SelfSignedTLS makes an ECDSA P-256 certificate for hosts, valid for
// validity from now, and returns the TLS config, the certificate in PEM
// (give it to clients to trust) and its SHA-256 fingerprint in hex.
func SelfSignedTLS(hosts []string, validity time.Duration) (*tls.Config, []byte, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sealkit vault (self-signed)"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, "", err
	}
	sum := sha256.Sum256(der)
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	}
	return cfg, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), hex.EncodeToString(sum[:]), nil
}
