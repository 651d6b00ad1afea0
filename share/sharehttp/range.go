package sharehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/sealkit/sealkit/share"
)

// maxRangeHeader caps the Range header the download route reads: one
// range of two 19-digit positions is 45 bytes; the rest is room for
// whitespace and empty list elements. Longer is refused unparsed.
const maxRangeHeader = 256

// byteRange is one parsed range-spec of a Range header (RFC 9110 §14.1.2):
// bytes First through Last inclusive, or with Suffix the last Last bytes.
// Positions past math.MaxInt64 are held as math.MaxInt64, which no payload
// reaches, so they mean what they say without overflowing.
type byteRange struct {
	First, Last int64
	Suffix      bool
}

// offLen is the range as [share.Service.DownloadRange] takes it: off < 0
// asks for the last -off bytes. A suffix of 0 bytes selects nothing and
// has no such form (ok false).
func (b byteRange) offLen() (off, n int64, ok bool) {
	if b.Suffix {
		return -b.Last, math.MaxInt64, b.Last > 0
	}
	n = b.Last - b.First // Last ≥ First ≥ 0: no overflow
	if n < math.MaxInt64 {
		n++
	}
	return b.First, n, true
}

// parseRange reads a request's Range header for the download route. It
// returns ok false when the request asks for the whole payload: no Range
// header, a range unit other than bytes (which RFC 9110 §14.2 says to
// ignore), or an If-Range header (the route has no validator, so no
// If-Range matches and the Range is ignored). A bytes range that is
// malformed, more than one range, or more than one Range field is
// ErrInvalid. The exact grammar is in share/SPEC.md §8.
func parseRange(h http.Header) (r byteRange, ok bool, err error) {
	vs := h.Values("Range")
	if len(vs) == 0 || len(h.Values("If-Range")) != 0 {
		return byteRange{}, false, nil
	}
	if len(vs) > 1 {
		return byteRange{}, false, invalid("more than one Range field")
	}
	return parseRangeValue(vs[0])
}

// parseRangeValue parses one Range field value; see parseRange.
func parseRangeValue(v string) (r byteRange, ok bool, err error) {
	if len(v) > maxRangeHeader {
		return byteRange{}, false, invalid("Range header too long")
	}
	unit, set, found := strings.Cut(strings.Trim(v, " \t"), "=")
	if !found || !isToken(unit) {
		return byteRange{}, false, invalid("Range header without a range unit")
	}
	if !strings.EqualFold(unit, "bytes") {
		return byteRange{}, false, nil
	}
	var spec string
	for el := range strings.SplitSeq(set, ",") {
		el = strings.Trim(el, " \t")
		if el == "" {
			continue // empty list elements are allowed (RFC 9110 §5.6.1)
		}
		if spec != "" {
			return byteRange{}, false, invalid("more than one range")
		}
		spec = el
	}
	if spec == "" {
		return byteRange{}, false, invalid("Range header without a range")
	}
	first, last, found := strings.Cut(spec, "-")
	if !found || (first == "" && last == "") {
		return byteRange{}, false, invalid("range " + strconv.Quote(spec))
	}
	if first == "" {
		n, ok := digits(last)
		if !ok {
			return byteRange{}, false, invalid("range suffix length")
		}
		return byteRange{Last: n, Suffix: true}, true, nil
	}
	r.First, ok = digits(first)
	if !ok {
		return byteRange{}, false, invalid("range first position")
	}
	r.Last = math.MaxInt64
	if last != "" {
		if r.Last, ok = digits(last); !ok {
			return byteRange{}, false, invalid("range last position")
		}
		if r.Last < r.First {
			return byteRange{}, false, invalid("range last position before its first")
		}
	}
	return r, true, nil
}

// digits reads 1*DIGIT, saturating at math.MaxInt64.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := range len(s) {
		d := s[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(d-'0'))/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(d-'0')
	}
	return n, true
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// rangeHeader is the Range field value the client sends for at most n
// bytes (n ≥ 1) from off (off < 0: the last -off bytes).
func rangeHeader(off, n int64) string {
	if off < 0 {
		return "bytes=-" + strconv.FormatInt(-off, 10)
	}
	last := int64(math.MaxInt64)
	if n-1 < math.MaxInt64-off {
		last = off + n - 1
	}
	return "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(last, 10)
}

// contentRange is the Content-Range value of a 206 answer.
func contentRange(sp share.Span) string {
	return fmt.Sprintf("bytes %d-%d/%d", sp.Off, sp.Off+sp.N-1, sp.Size)
}

// parseContentRange reads a 206 answer's Content-Range, bytes a-b/size
// with a ≤ b < size, strictly: no whitespace beyond the one space, no
// unknown size (*), no sign.
func parseContentRange(v string) (share.Span, error) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok || len(v) > maxRangeHeader {
		return share.Span{}, invalid("Content-Range")
	}
	rng, total, ok := strings.Cut(rest, "/")
	a, b, ok2 := strings.Cut(rng, "-")
	first, ok3 := digits(a)
	last, ok4 := digits(b)
	size, ok5 := digits(total)
	if !ok || !ok2 || !ok3 || !ok4 || !ok5 || first > last || last >= size || size == math.MaxInt64 {
		return share.Span{}, invalid("Content-Range")
	}
	return share.Span{Off: first, N: last - first + 1, Size: size}, nil
}

// wantSpan checks that sp, a 206 answer's Content-Range, is what a request
// for at most n bytes (n ≥ 1) from off (off < 0, not math.MinInt64: the
// last -off bytes) must get from a payload of sp.Size bytes.
func wantSpan(sp share.Span, off, n int64) error {
	start, end := off, sp.Size
	if off < 0 {
		start = max(0, sp.Size+off)
	} else if n <= sp.Size-off {
		end = off + n
	}
	if sp.Off != start || sp.Off+sp.N != end {
		return fmt.Errorf("%w: the server answered bytes %d-%d/%d to a request for %s",
			share.ErrCorrupt, sp.Off, sp.Off+sp.N-1, sp.Size, rangeHeader(off, n))
	}
	return nil
}

// streamRange answers a ranged download: 206 with the range's bytes, or
// 416 with the payload's size when the range starts past its end.
func (c *call) streamRange(rg byteRange, ev *share.Event) error {
	rc, sp, err := c.downloadRange(rg, ev)
	if re := (*share.RangeError)(nil); errors.As(err, &re) {
		c.w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(re.Size, 10))
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	h := c.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Range", contentRange(sp))
	h.Set("Content-Length", strconv.FormatInt(sp.N, 10))
	c.w.WriteHeader(http.StatusPartialContent)
	_, _ = io.Copy(c.w, rc) // a short copy leaves the client a short body, which it refuses
	return nil
}

// downloadRange asks the Service for rg. A suffix of 0 bytes selects
// nothing (RFC 9110 §14.1.3): it is a RangeError once the item is known
// to be readable.
func (c *call) downloadRange(rg byteRange, ev *share.Event) (io.ReadCloser, share.Span, error) {
	off, n, ok := rg.offLen()
	if ok {
		return c.svc.DownloadRange(c.ctx(), c.actor, c.id(), off, n, ev)
	}
	it, err := c.svc.Item(c.ctx(), c.actor, c.id())
	if err != nil {
		return nil, share.Span{}, err
	}
	return nil, share.Span{}, &share.RangeError{Size: it.Size}
}

// DownloadRange calls the download route with a Range header for at most
// n bytes (n ≥ 1) from off (off < 0: the last -off bytes); the caller
// closes the payload. Only a 206 answer whose Content-Range and
// Content-Length are those the request must get is accepted; its body is
// refused (io.ErrUnexpectedEOF) if it ends short. A range past the end is
// an error that errors.Is matches with share.ErrRange.
func (c *Client) DownloadRange(ctx context.Context, id string, off, n int64, ev *share.Event) (io.ReadCloser, share.Span, error) {
	if n < 1 || off == math.MinInt64 {
		return nil, share.Span{}, invalid("range")
	}
	b, err := jsonReader(ev)
	if err != nil {
		return nil, share.Span{}, err
	}
	req, err := c.newRequest(ctx, download, nil, b, -1, id)
	if err != nil {
		return nil, share.Span{}, err
	}
	req.Header.Set("Range", rangeHeader(off, n))
	resp, err := c.roundTrip(req)
	if err != nil {
		return nil, share.Span{}, err
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case download.Status:
		resp.Body.Close()
		return nil, share.Span{}, fmt.Errorf("%w: the server answered a ranged download with the whole payload", share.ErrCorrupt)
	default:
		defer resp.Body.Close()
		return nil, share.Span{}, wire.ResponseError(resp)
	}
	sp, err := checkPartial(resp, off, n)
	if err != nil {
		resp.Body.Close()
		return nil, share.Span{}, err
	}
	return &exactBody{rc: resp.Body, left: sp.N}, sp, nil
}

// checkPartial checks a 206 answer's head against the request for at most
// n bytes from off and returns its span.
func checkPartial(resp *http.Response, off, n int64) (share.Span, error) {
	crs := resp.Header.Values("Content-Range")
	if len(crs) != 1 {
		return share.Span{}, fmt.Errorf("%w: a 206 answer with %d Content-Range fields", share.ErrCorrupt, len(crs))
	}
	sp, err := parseContentRange(crs[0])
	if err != nil {
		return share.Span{}, fmt.Errorf("%w: %w", share.ErrCorrupt, err)
	}
	if err := wantSpan(sp, off, n); err != nil {
		return share.Span{}, err
	}
	if resp.ContentLength >= 0 && resp.ContentLength != sp.N {
		return share.Span{}, fmt.Errorf("%w: a 206 answer of %d bytes for a range of %d", share.ErrCorrupt, resp.ContentLength, sp.N)
	}
	return sp, nil
}

// exactBody is a body that must hold left more bytes: one that ends
// before is io.ErrUnexpectedEOF, and nothing past them is read.
type exactBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *exactBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	switch {
	case b.left == 0:
		return n, io.EOF
	case err == io.EOF:
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *exactBody) Close() error { return b.rc.Close() }
