package servertls_test

import (
	"crypto/tls"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/sealkit/sealkit/servertls"
)

// A server without a certificate of its own makes one at start and hands
// the PEM to its clients; one with a certificate from a CA loads it with
// Load instead, and renewals take effect at the next handshake.
func Example() {
	cfg, certPEM, fingerprint, err := servertls.SelfSigned([]string{"localhost", "127.0.0.1"}, 30*24*time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: "127.0.0.1:8443", TLSConfig: cfg}
	_ = srv // srv.ListenAndServeTLS("", "") serves it
	fmt.Println(cfg.MinVersion == tls.VersionTLS13, len(certPEM) > 0, len(fingerprint))
	// Output: true true 64
}
