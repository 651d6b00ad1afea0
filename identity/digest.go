package identity

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"io"
	"net/http"

	"github.com/dunglas/httpsfv"
)

// DigestAlgorithm names an RFC 9530 Content-Digest algorithm.
type DigestAlgorithm string

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
func readBody(body io.ReadCloser, max int64) ([]byte, error) {
	return readBodyHint(body, max, -1)
}

// readBodyHint is readBody with the declared length, if known, to size the
// buffer once.
func readBodyHint(body io.ReadCloser, max, hint int64) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	var buf bytes.Buffer
	if hint >= 0 && hint <= max {
		buf.Grow(int(hint) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(body, max+1))
	if err != nil {
		return nil, rejectErr(ReasonMalformed, "reading body", err)
	}
	if n > max {
		return nil, reject(ReasonBodyTooLarge, "body exceeds the cap")
	}
	return buf.Bytes(), nil
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
	if len(lines) == 0 {
		return reject(ReasonPolicy, "no Content-Digest")
	}
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	if n > MaxSignatureHeaderBytes {
		return reject(ReasonMalformed, "Content-Digest too large")
	}
	d, err := httpsfv.UnmarshalDictionary(lines)
	if err != nil {
		return rejectErr(ReasonMalformed, "Content-Digest is not a structured dictionary", err)
	}
	known := 0
	for _, name := range d.Names() {
		h := DigestAlgorithm(name).newHash()
		if h == nil {
			continue
		}
		m, _ := d.Get(name)
		it, ok := m.(httpsfv.Item)
		if !ok {
			return reject(ReasonMalformed, "Content-Digest member is not an item")
		}
		want, ok := it.Value.([]byte)
		if !ok {
			return reject(ReasonMalformed, "Content-Digest member is not a byte sequence")
		}
		h.Write(body)
		if subtle.ConstantTimeCompare(h.Sum(nil), want) != 1 {
			return reject(ReasonDigestMismatch, "Content-Digest "+name+" does not match the body")
		}
		known++
	}
	if known == 0 {
		return reject(ReasonUnknownAlgorithm, "Content-Digest has no sha-256 or sha-512 member")
	}
	return nil
}
