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
)

// maxStreamsPerConn is the HTTP/2 MaxConcurrentStreams of Serve: the
// requests one connection may have open at once (net/http's default is
// 250). Together with MaxConnsPerAddr it bounds the streams one client
// address can open; MaxRequestsPerAddr bounds the requests in flight.
const maxStreamsPerConn = 16

// Serve serves h on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to grace,
// and returns nil if they all did. With tlsConfig nil it serves plain HTTP.
// It applies the default connection limits (DefaultReadHeaderTimeout,
// DefaultIdleTimeout, DefaultMaxConnsPerAddr, and 16 concurrent HTTP/2
// streams per connection); Server.Serve applies its Config's.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, grace time.Duration) error {
	c := Config{ShutdownGrace: grace}
	c.setServeDefaults()
	return serve(ctx, ln, h, tlsConfig, &c)
}

// Serve is the package-level Serve for s, with the limits and shutdown
// grace of its Config.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	return serve(ctx, ln, s, tlsConfig, &s.cfg)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, c *Config) error {
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		// Over TLS clients may speak HTTP/2, many requests to a
		// connection: bound them per connection too.
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: maxStreamsPerConn},
	}
	ln = newConnLimiter(ln, c.MaxConnsPerAddr)
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
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownGrace)
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
