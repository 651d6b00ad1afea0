package sharehttp

import (
	"net/http"
	"time"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/share"
)

// An Option sets a limit of a [Handler]'s. Without options the Handler
// limits nothing beyond the Service's own caps; a server that takes
// anonymous link requests or open downloads from the Internet sets both.
type Option func(*Handler)

// LinkRate bounds the link routes (linkParams, accessLink) with token
// buckets of r: each request takes a token of its client address
// ([httplimit.ClientAddr]), then one of its link if the link exists, and
// is refused with 429 rate_limited and Retry-After when a bucket is empty.
// The address's bucket bounds guessing link IDs and secrets from one
// client; the link's bounds guessing one link's secret from many (share's
// lock after MaxLinkFailures wrong proofs stops that guess too, but also
// locks the link). An unknown link ID costs a lookup and no bucket, so
// guessed IDs cannot crowd real links out of the limiter.
func LinkRate(r httplimit.Rate) Option {
	return func(h *Handler) { h.linkRate = httplimit.NewRateLimiter(r, h.now) }
}

// MaxDownloads caps the downloads open at once: n per user on the
// download route, n per client address on the accessLink route. Each open
// download holds a blob chunk in memory until its client reads it; one
// more is refused with 429 rate_limited and Retry-After.
func MaxDownloads(n int) Option {
	return func(h *Handler) { h.downloads = httplimit.NewGate(n) }
}

// downloadWait is the Retry-After of a download refused by MaxDownloads.
const downloadWait = 5 * time.Second

// now is the Service's clock.
func (h *Handler) now() time.Time {
	if h.svc.Now != nil {
		return h.svc.Now()
	}
	return time.Now()
}

// allowLink takes r's tokens of LinkRate, or returns the refusal.
func (h *Handler) allowLink(r *http.Request) error {
	if h.linkRate == nil {
		return nil
	}
	if ok, wait := h.linkRate.Allow("addr:" + httplimit.ClientAddr(r)); !ok {
		return &httplimit.RetryError{Err: httplimit.ErrRateLimited, Wait: wait}
	}
	id := r.PathValue("id")
	if !share.ValidID(id) {
		return nil
	}
	if _, err := h.svc.Stores.Links.Link(r.Context(), id); err != nil {
		return nil // the route answers not_found, or the store's error
	}
	if ok, wait := h.linkRate.Allow("link:" + id); !ok {
		return &httplimit.RetryError{Err: httplimit.ErrRateLimited, Wait: wait}
	}
	return nil
}

// enterDownload takes a place of MaxDownloads for a request to rt by
// actor ("" on link routes: the client address), or returns the refusal.
// A nil error must be followed by one leave(key).
func (h *Handler) enterDownload(rt *Route, r *http.Request, actor string) (key string, err error) {
	if h.downloads == nil || (rt.Response.Kind != Stream && rt.Response.Kind != Frame) {
		return "", nil
	}
	key = "addr:" + httplimit.ClientAddr(r)
	if actor != "" {
		key = "user:" + actor
	}
	if !h.downloads.Enter(key) {
		return "", &httplimit.RetryError{Err: httplimit.ErrRateLimited, Wait: downloadWait}
	}
	return key, nil
}

// leaveDownload gives back what enterDownload took.
func (h *Handler) leaveDownload(key string) {
	if key != "" {
		h.downloads.Leave(key)
	}
}
