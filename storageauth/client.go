package storageauth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealkit/sealkit/internal/httpwire"
)

// Client stores and retrieves one user's keyring on a Server over HTTP. It
// remembers the highest version it has stored or retrieved and refuses to
// go back (ErrRollback). Persist LastVersion across restarts and restore it
// with SetLastVersion, or a stale server can roll a fresh process back. A
// Client is safe for concurrent use; concurrent Stores race like two
// devices, and one gets ErrConflict.
type Client struct {
	base string
	hc   *http.Client
	keys *Keys

	mu   sync.Mutex
	last uint64
}

// NewClient returns a client for the slot of keys on the server whose
// handler is mounted at baseURL (for example "https://api.example/slots").
// hc nil means http.DefaultClient.
func NewClient(baseURL string, keys *Keys, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/"), hc: hc, keys: keys}
}

// LastVersion returns the highest version this client has stored or
// retrieved, 0 if none.
func (c *Client) LastVersion() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// SetLastVersion raises the remembered version to v (it never lowers it):
// use it to restore a persisted LastVersion.
func (c *Client) SetLastVersion(v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last, v)
}

func (c *Client) url() string { return c.base + "/" + url.PathEscape(c.keys.ID().String()) }

// Store seals keyring at LastVersion()+1, signs it and sends it. It returns
// the stored version. If the server holds that version or a newer one
// (another device stored since, or this client never retrieved), the error
// wraps ErrConflict: Retrieve, merge, and Store again.
func (c *Client) Store(ctx context.Context, keyring []byte) (uint64, error) {
	v := c.LastVersion() + 1
	rec, err := c.keys.Seal(keyring, v)
	if err != nil {
		return 0, err
	}
	body, err := rec.MarshalJSON()
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.url(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return 0, wire.ResponseError(resp)
	}
	c.SetLastVersion(v)
	return v, nil
}

// Retrieve fetches the slot's record with a retrieve proof, verifies its
// signature under the slot's own key, refuses a version below LastVersion
// (ErrRollback), and decrypts it. A record that does not verify or decrypt
// is ErrCorrupt; an empty slot is ErrNotFound.
func (c *Client) Retrieve(ctx context.Context) (keyring []byte, version uint64, err error) {
	proof, err := c.keys.SignRetrieve(time.Now())
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set(HeaderProofTimestamp, strconv.FormatInt(proof.Timestamp, 10))
	req.Header.Set(HeaderProofSignature, b64.EncodeToString(proof.Signature))
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, wire.ResponseError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxRecordBytes+1))
	if err != nil {
		return nil, 0, err
	}
	rec, err := ParseRecord(data)
	if err != nil {
		return nil, 0, ErrCorrupt
	}
	keyring, err = c.keys.Open(rec)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rec.Version < c.last {
		clear(keyring)
		return nil, 0, fmt.Errorf("%w (got %d, seen %d)", ErrRollback, rec.Version, c.last)
	}
	c.last = rec.Version
	return keyring, rec.Version, nil
}

// ServerError is an error answer of a [Server] as [Client] sees it: the
// status, the wire code, and the sentinel the code names ([ErrConflict],
// [ErrNotFound], [ErrRateLimited], …; nil for a code this version does not
// know), which errors.Is matches. It is the one client error type of
// sealkit's HTTP APIs (share.HTTPError is the same type), defined in an
// internal package; its fields and methods are:
//
//	type ServerError struct {
//		Package string // the package that answered, for the message
//		Status  int    // the HTTP status
//		Code    string // the wire code, as in {"error": code}; "" if the body had none
//		Err     error  // the sentinel Code names; nil for a code this version does not know
//	}
//
//	func (e *ServerError) Error() string // the sentinel's text, with the status and code
//	func (e *ServerError) Unwrap() error // Err
type ServerError = httpwire.Error
