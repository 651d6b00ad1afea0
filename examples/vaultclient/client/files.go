package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// File is one entry of a listing, with its metadata decrypted here.
type File struct {
	ID      string
	Owner   string
	Name    string
	Type    string
	Size    int64 // plaintext size, as the uploader recorded it
	Stored  int64 // ciphertext size on the server
	Created time.Time
}

// ErrTooLarge is returned by Upload for a file above the server's limit,
// before anything is sent.
var ErrTooLarge = share.ErrTooLarge

// Upload encrypts src (size bytes, or -1 if unknown) under a fresh DEK and
// uploads it as name, then shares it with recipients. progress, if not nil,
// is called with the plaintext bytes read so far. The signed request is
// buffered to be digested, so the file must fit the server's object limit.
//
// Every recipient is looked up first (CheckRecipients): if one is not
// registered, Upload sends nothing and returns *UnknownRecipientsError.
// If the file is stored but some shares then fail, Upload returns the item
// and a *ShareError saying who got it and who did not.
func (s *Session) Upload(ctx context.Context, name string, src io.Reader, size int64, progress func(int64), recipients ...string) (*share.Item, error) {
	recipients = dedupe(recipients)
	if err := s.CheckRecipients(ctx, recipients...); err != nil {
		return nil, err
	}
	if size >= 0 {
		maxObj, err := s.maxObjectSize(ctx)
		if err != nil {
			return nil, err
		}
		if maxObj > 0 && size > maxObj {
			return nil, fmt.Errorf("%w: %d bytes, the server takes at most %d", ErrTooLarge, size, maxObj)
		}
	}
	meta := &envelope.Metadata{Name: name, ContentType: mime.TypeByExtension(filepath.Ext(name)), Created: time.Now().UTC()}
	if size >= 0 {
		meta.Size = size
	}
	if progress != nil {
		src = &countingReader{r: src, f: progress}
	}
	it, err := s.share.Upload(ctx, src, meta)
	if err != nil {
		return nil, err
	}
	// One share at a time, in the order given, each independent of the
	// others: a failure is recorded and the rest are still tried.
	se := &ShareError{Item: it}
	for _, r := range recipients {
		if _, err := s.share.Share(ctx, it.ID, r); err != nil {
			se.Failed = append(se.Failed, r)
			se.Errs = append(se.Errs, err)
			continue
		}
		se.Shared = append(se.Shared, r)
	}
	if len(se.Failed) > 0 {
		return it, se
	}
	return it, nil
}

// CheckRecipients looks up every recipient in the server's directory and
// returns *UnknownRecipientsError naming those that are not registered (or
// publish no usable key). The user's own name is share.ErrSelfShare; other
// failures (network, server) are returned as they are.
func (s *Session) CheckRecipients(ctx context.Context, recipients ...string) error {
	if slices.Contains(recipients, s.user) {
		return fmt.Errorf("%w (%s is the owner, who always has access)", share.ErrSelfShare, s.user)
	}
	var unknown []string
	for _, r := range recipients {
		if !share.ValidID(r) {
			unknown = append(unknown, r)
			continue
		}
		u, err := s.share.Transport.User(ctx, r)
		switch {
		case errors.Is(err, share.ErrNotFound):
			unknown = append(unknown, r)
		case err != nil:
			return fmt.Errorf("looking up recipient %s: %w", r, err)
		case u.ID != r || u.Validate() != nil:
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		return &UnknownRecipientsError{Users: unknown}
	}
	return nil
}

// dedupe drops repeated names, keeping the first of each.
func dedupe(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func (s *Session) maxObjectSize(ctx context.Context) (int64, error) {
	s.mu.Lock()
	m := s.maxObject
	s.mu.Unlock()
	if m > 0 {
		return m, nil
	}
	u, err := s.Storage(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.maxObject = u.MaxObjectBytes
	s.mu.Unlock()
	return u.MaxObjectBytes, nil
}

// StorageUsage is a user's storage as the server charges it, and the
// server's caps.
type StorageUsage struct {
	UsedBytes, QuotaBytes int64   // a zero quota is no limit
	FileCount, MaxFiles   int     // a zero MaxFiles is no limit
	PercentageUsed        float64 // of QuotaBytes; 0 without a quota
	MaxObjectBytes        int64   // the largest file the server takes; 0 if it does not say
}

// Storage returns the user's usage and quota (share's usage route).
func (s *Session) Storage(ctx context.Context) (*StorageUsage, error) {
	r, err := (&sharehttp.Client{BaseURL: s.opts.url("/api"), HTTPClient: s.signed}).UsageReport(ctx)
	if err != nil {
		return nil, err
	}
	u := &StorageUsage{UsedBytes: r.Used.Bytes, QuotaBytes: r.Limit.Bytes, FileCount: int(r.Used.Items),
		MaxFiles: int(r.Limit.Items), MaxObjectBytes: r.MaxBlobSize}
	if u.QuotaBytes > 0 {
		u.PercentageUsed = float64(u.UsedBytes) * 100 / float64(u.QuotaBytes)
	}
	return u, nil
}

// List returns the user's own files, oldest first, with names decrypted.
func (s *Session) List(ctx context.Context) ([]File, error) {
	var out []File
	for after := ""; ; {
		page, next, err := s.share.Items(ctx, share.SortByCreated, after, sharehttp.ListPageSize)
		if err != nil {
			return nil, err
		}
		for _, it := range page {
			f, err := s.describe(ctx, it)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		if next == "" {
			return out, nil
		}
		after = next
	}
}

// Received returns the files shared with the user.
func (s *Session) Received(ctx context.Context) ([]File, error) {
	shares, err := s.share.Received(ctx)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, sh := range shares {
		it, err := s.share.Transport.Item(ctx, sh.Item)
		if err != nil {
			return nil, err
		}
		f, err := s.describe(ctx, it)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// describe unwraps the item's DEK and decrypts its metadata, after
// checking the header against the item's ID, owner and version.
func (s *Session) describe(ctx context.Context, it *share.Item) (File, error) {
	wk, err := s.share.Transport.MyKey(ctx, it.ID)
	if err != nil {
		return File{}, err
	}
	key, err := envelope.UnwrapKey(wk.Record, s.enc)
	if err != nil {
		return File{}, fmt.Errorf("%w: %v", share.ErrCorrupt, err)
	}
	defer key.Destroy()
	h, err := envelope.ParseHeader(it.Header)
	if err != nil {
		return File{}, fmt.Errorf("%w: %v", share.ErrCorrupt, err)
	}
	if err := h.Verify(key, share.ItemAD(it.ID, it.Owner, it.Version)); err != nil {
		return File{}, fmt.Errorf("%w: %v", share.ErrCorrupt, err)
	}
	m, err := h.Metadata(key)
	if err != nil {
		return File{}, fmt.Errorf("%w: %v", share.ErrCorrupt, err)
	}
	f := File{ID: it.ID, Owner: it.Owner, Stored: it.Size, Created: it.Created}
	if m != nil {
		f.Name, f.Type, f.Size = m.Name, m.ContentType, m.Size
	}
	return f, nil
}

// Download decrypts file id into w and returns its metadata.
func (s *Session) Download(ctx context.Context, id string, w io.Writer) (*envelope.Metadata, error) {
	return s.share.Read(ctx, id, w)
}

// OpenRange opens file id for reads of any byte range of its plaintext:
// each read fetches only the segments it touches (a ranged download, 206),
// authenticated as Download's are. Its Size is the plaintext size.
func (s *Session) OpenRange(ctx context.Context, id string) (*share.RangeReader, error) {
	return s.share.OpenRange(ctx, id)
}

// ShareWith shares file id with a registered user (their public key is
// looked up in the directory; the DEK is wrapped to it here).
func (s *Session) ShareWith(ctx context.Context, id, recipient string) error {
	_, err := s.share.Share(ctx, id, recipient)
	return err
}

// Revoke removes recipient's access; with rotate the file is re-sealed
// under a new DEK for the remaining recipients.
func (s *Session) Revoke(ctx context.Context, id, recipient string, rotate bool) error {
	return s.share.Revoke(ctx, id, recipient, rotate)
}

// Delete deletes a file the user owns.
func (s *Session) Delete(ctx context.Context, id string) error {
	return s.share.Delete(ctx, id)
}

// LinkPath is where link URLs point: <server>/l/<id>#<secret>. The
// fragment (the secret) is never sent to the server.
const LinkPath = "/l"

// CreateLink makes a public password link to file id, valid for ttl and
// maxDownloads downloads, and returns its URL (the secret in the fragment).
func (s *Session) CreateLink(ctx context.Context, id string, ttl time.Duration, maxDownloads int) (string, error) {
	l, err := s.share.CreateLink(ctx, id, share.LinkOptions{TTL: ttl, MaxDownloads: maxDownloads})
	if err != nil {
		return "", err
	}
	return l.URL(s.opts.url(LinkPath)), nil
}

// OpenLink downloads and decrypts a public link into w. It needs no
// account: base carries only TLS settings (nil: http.DefaultClient). The
// server's response key is fetched from the link's server and trusted on
// first use.
func OpenLink(ctx context.Context, base *http.Client, link string, w io.Writer) (*envelope.Metadata, error) {
	u, err := url.Parse(link)
	if err != nil || u.Fragment == "" || !strings.HasPrefix(u.Path, LinkPath+"/") {
		return nil, fmt.Errorf("%w: not a vault link", share.ErrInvalid)
	}
	server := u.Scheme + "://" + u.Host
	key, err := FetchServerKey(ctx, base, server) // trusted on first use
	if err != nil {
		return nil, err
	}
	opts := Options{HTTPClient: base}
	t := &sharehttp.Client{BaseURL: server + "/api", HTTPClient: verifying(opts.plain(), key)}
	return share.OpenLink(ctx, t, share.LinkSecret{ID: path.Base(u.Path), Secret: u.Fragment}, w)
}

type countingReader struct {
	r io.Reader
	n int64
	f func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.f(c.n)
	}
	return n, err
}
