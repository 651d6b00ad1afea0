package identity

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"hash"
	"io"
	"net/http"

	"github.com/dunglas/httpsfv"
)

// DigestAlgorithm names an RFC 9530 Content-Digest algorithm.
type DigestAlgorithm string

// The Content-Digest algorithms this package computes and checks, by
// their names in the HTTP Digest Algorithm Values registry.
const (
	DigestSHA256 DigestAlgorithm = "sha-256"
	DigestSHA512 DigestAlgorithm = "sha-512"
)

const headerContentDigest = "Content-Digest"

// DefaultMaxBodyBytes is the body cap used when a MaxBodyBytes field is 0.
const DefaultMaxBodyBytes = 1 << 20

func (a DigestAlgorithm) newHash() hash.Hash {
	switch a {
	case DigestSHA256:
		return sha256.New()
	case DigestSHA512:
		return sha512.New()
	}
	return nil
}

// readBody reads at most max bytes of body and closes it; more is
// ErrBodyTooLarge. The returned slice replaces the body for the handler.
// The buffer grows only as bytes arrive, never from a declared length.
func readBody(body io.ReadCloser, max int64) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(body, max+1))
	if err != nil {
		return nil, readError(err)
	}
	if n > max {
		return nil, reject(ReasonBodyTooLarge, "body exceeds the cap")
	}
	return buf.Bytes(), nil
}

// readError classifies a failed body read: a cap the server set on the
// body (http.MaxBytesReader, per route) is ErrBodyTooLarge, anything else
// (timeout, disconnect) a malformed request.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return rejectErr(ReasonBodyTooLarge, "body exceeds the cap", err)
	}
	return rejectErr(ReasonMalformed, "reading body", err)
}

// ContentDigest returns the Content-Digest field value for body
// (for example `sha-256=:…:`).
func ContentDigest(alg DigestAlgorithm, body []byte) (string, error) {
	h := alg.newHash()
	if h == nil {
		return "", reject(ReasonUnknownAlgorithm, "digest algorithm "+string(alg))
	}
	h.Write(body)
	d := httpsfv.NewDictionary()
	d.Add(string(alg), httpsfv.NewItem(h.Sum(nil)))
	return httpsfv.Marshal(d)
}

// ContentDigestReader streams r (at most max bytes, else ErrBodyTooLarge)
// through the digest and returns the Content-Digest field value, without
// keeping the body.
func ContentDigestReader(alg DigestAlgorithm, r io.Reader, max int64) (string, error) {
	h := alg.newHash()
	if h == nil {
		return "", reject(ReasonUnknownAlgorithm, "digest algorithm "+string(alg))
	}
	n, err := io.Copy(h, io.LimitReader(r, max+1))
	if err != nil {
		return "", rejectErr(ReasonMalformed, "reading body", err)
	}
	if n > max {
		return "", reject(ReasonBodyTooLarge, "body exceeds the cap")
	}
	d := httpsfv.NewDictionary()
	d.Add(string(alg), httpsfv.NewItem(h.Sum(nil)))
	return httpsfv.Marshal(d)
}

// VerifyContentDigest checks the Content-Digest field lines against body.
// Every sha-256 and sha-512 member must match and at least one must be
// present; members with other algorithms are ignored (RFC 9530 §2).
func VerifyContentDigest(lines []string, body []byte) error {
	d, err := parseContentDigest(lines)
	if err != nil {
		return err
	}
	d.Write(body)
	return d.check()
}

// contentDigest is a parsed Content-Digest: the hashes to feed the body
// through and the values they must end with, in field order. err is a
// malformed member met after them: it is reported only if those members
// match, as when each member was checked in turn.
type contentDigest struct {
	members []digestMember
	err     error

	memberBuf [2]digestMember    // members' first backing array (fast path)
	wantBuf   [2][sigBufLen]byte // their digests' (fast path)
	sum       [sha512.Size]byte  // where check computes each digest
}

type digestMember struct {
	name string
	h    hash.Hash
	want []byte
}

// parseContentDigest parses the field lines and keeps the sha-256 and
// sha-512 members; with none it is ErrUnknownAlgorithm, and a malformed
// member before any other is refused at once.
func parseContentDigest(lines []string) (*contentDigest, error) {
	if len(lines) == 0 {
		return nil, reject(ReasonPolicy, "no Content-Digest")
	}
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	if n > MaxSignatureHeaderBytes {
		return nil, reject(ReasonMalformed, "Content-Digest too large")
	}
	if cd, ok := fastContentDigest(lines); ok {
		return cd, nil
	}
	return generalContentDigest(lines)
}

// generalContentDigest is parseContentDigest with the general parser, for
// anything the fast path (sfv.go) does not take.
func generalContentDigest(lines []string) (*contentDigest, error) {
	d, err := httpsfv.UnmarshalDictionary(lines)
	if err != nil {
		return nil, rejectErr(ReasonMalformed, "Content-Digest is not a structured dictionary", err)
	}
	cd := &contentDigest{}
	for _, name := range d.Names() {
		h := DigestAlgorithm(name).newHash()
		if h == nil {
			continue
		}
		m, _ := d.Get(name)
		it, ok := m.(httpsfv.Item)
		if !ok {
			cd.err = reject(ReasonMalformed, "Content-Digest member is not an item")
			break
		}
		want, ok := it.Value.([]byte)
		if !ok {
			cd.err = reject(ReasonMalformed, "Content-Digest member is not a byte sequence")
			break
		}
		cd.members = append(cd.members, digestMember{name, h, want})
	}
	switch {
	case len(cd.members) == 0 && cd.err != nil:
		return nil, cd.err
	case len(cd.members) == 0:
		return nil, reject(ReasonUnknownAlgorithm, "Content-Digest has no sha-256 or sha-512 member")
	}
	return cd, nil
}

// Write feeds body bytes to every member's hash.
func (d *contentDigest) Write(p []byte) (int, error) {
	for _, m := range d.members {
		m.h.Write(p)
	}
	return len(p), nil
}

// check compares every member in turn, in constant time, once the whole
// body has been written.
func (d *contentDigest) check() error {
	for _, m := range d.members {
		if subtle.ConstantTimeCompare(m.h.Sum(d.sum[:0]), m.want) != 1 {
			return reject(ReasonDigestMismatch, "Content-Digest "+m.name+" does not match the body")
		}
	}
	return d.err
}
