package servertls

import (
	"crypto/tls"
	"os"
	"sync"
	"time"
)

// Load returns a TLS config that serves the certificate chain in certFile
// with the private key in keyFile (both PEM, as [tls.LoadX509KeyPair]
// reads them). It fails if either does not load or the key does not match
// the certificate.
//
// Each handshake compares the files' sizes and modification times with
// those last loaded; when they differ, the pair is loaded again. A pair
// that fails to load (a renewal that has written one file and not yet the
// other) leaves the previous certificate serving, and is tried again when
// a file changes once more.
func Load(certFile, keyFile string) (*tls.Config, error) {
	r := &reloader{certFile: certFile, keyFile: keyFile}
	st, err := r.stat()
	if err != nil {
		return nil, err
	}
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.cert, r.tried = &c, st
	return &tls.Config{MinVersion: tls.VersionTLS13, GetCertificate: r.get}, nil
}

// reloader holds the certificate Load serves.
type reloader struct {
	certFile, keyFile string

	mu    sync.Mutex
	cert  *tls.Certificate // replaced, never changed: handshakes in progress hold it
	tried [2]stamp         // the files as last loaded, or last tried
}

// stamp tells one version of a file from another.
type stamp struct {
	size int64
	mod  time.Time
}

func (r *reloader) stat() ([2]stamp, error) {
	var st [2]stamp
	for i, name := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return st, err
		}
		st[i] = stamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
}

// get is the config's GetCertificate.
func (r *reloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, err := r.stat(); err == nil && st != r.tried {
		r.tried = st
		if c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile); err == nil {
			r.cert = &c
		}
	}
	return r.cert, nil
}
