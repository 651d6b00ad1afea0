package sharehttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/sealkit/sealkit/share"
)

// Client is the [share.Transport] over HTTP to a [Handler]. HTTPClient
// carries the user's authentication (identity's signing RoundTripper plugs
// in here); nil means http.DefaultClient, which suits the anonymous link
// routes only.
type Client struct {
	BaseURL    string // e.g. "https://vault.example/api"; no trailing slash
	HTTPClient *http.Client
}

var _ share.Transport = (*Client)(nil)

// do sends one request to rt and returns the body of an answer with rt's
// success status; any other answer is a [*share.HTTPError].
func (c *Client) do(ctx context.Context, rt *Route, query url.Values, body io.Reader, args ...string) (io.ReadCloser, error) {
	return c.doSized(ctx, rt, query, body, -1, args...)
}

// doSized is do with the body's length, if known (else -1): it is sent as
// Content-Length.
func (c *Client) doSized(ctx context.Context, rt *Route, query url.Values, body io.Reader, n int64, args ...string) (io.ReadCloser, error) {
	req, err := c.newRequest(ctx, rt, query, body, n, args...)
	if err != nil {
		return nil, err
	}
	resp, err := c.roundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == rt.Status {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	return nil, wire.ResponseError(resp)
}

// newRequest builds a request to rt with a body of n bytes (-1: unknown).
func (c *Client) newRequest(ctx context.Context, rt *Route, query url.Values, body io.Reader, n int64, args ...string) (*http.Request, error) {
	u := rt.url(c.BaseURL, args...)
	if query != nil {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, rt.Method, u, body)
	if err != nil {
		return nil, err
	}
	if n >= 0 {
		req.ContentLength = n
	}
	switch rt.Request.Kind {
	case JSON:
		req.Header.Set("Content-Type", "application/json")
	case Frame:
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	return req, nil
}

// roundTrip sends req with HTTPClient.
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(req)
}

// decoder turns an answer's body of at most max bytes into a T.
type decoder[T any] struct {
	max    int64
	decode func([]byte) (T, error)
}

// record decodes one record with share's capped, validating decoder.
func record[T any](max int, decode func([]byte) (*T, error)) decoder[*T] {
	return decoder[*T]{int64(max), decode}
}

// list decodes a JSON array of at most maxN records, each with decode.
func list[T any](maxN int, decode func([]byte) (*T, error)) decoder[[]*T] {
	max := int64(maxN) * 1024
	return decoder[[]*T]{max, func(b []byte) ([]*T, error) {
		var raw []json.RawMessage
		if err := wire.DecodeJSON(b, max, &raw); err != nil {
			return nil, err
		}
		if len(raw) > maxN {
			return nil, fmt.Errorf("%w: more than %d records", share.ErrTooLarge, maxN)
		}
		out := make([]*T, len(raw))
		for i, r := range raw {
			v, err := decode(r)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}}
}

// empty reads the {} of an answer without a record.
var empty = decoder[struct{}]{4 << 10, func([]byte) (struct{}, error) { return struct{}{}, nil }}

// send sends in (nil: no body) as JSON to rt and decodes the answer.
func send[T any](ctx context.Context, c *Client, rt *Route, in any, dec decoder[T], args ...string) (T, error) {
	return sendQuery(ctx, c, rt, nil, in, dec, args...)
}

// sendQuery is send with a query string.
func sendQuery[T any](ctx context.Context, c *Client, rt *Route, query url.Values, in any, dec decoder[T], args ...string) (T, error) {
	var zero T
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return zero, err
		}
		body = bytes.NewReader(b)
	}
	rc, err := c.do(ctx, rt, query, body, args...)
	if err != nil {
		return zero, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, dec.max+1))
	if err != nil {
		return zero, err
	}
	if int64(len(b)) > dec.max {
		return zero, fmt.Errorf("%w: answer over %d bytes", share.ErrTooLarge, dec.max)
	}
	return dec.decode(b)
}

// jsonReader returns v's JSON as a request body.
func jsonReader(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}
