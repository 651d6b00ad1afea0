package share

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// HTTPTransport is the Transport over HTTP to a Handler. Client carries
// the user's authentication (identity's signing RoundTripper plugs in here);
// nil means http.DefaultClient.
type HTTPTransport struct {
	BaseURL string // e.g. "https://vault.example/api"; no trailing slash
	Client  *http.Client
}

var _ Transport = (*HTTPTransport)(nil)

func (t *HTTPTransport) client() *http.Client {
	if t.Client != nil {
		return t.Client
	}
	return http.DefaultClient
}

func (t *HTTPTransport) url(parts ...string) string {
	var b strings.Builder
	b.WriteString(t.BaseURL)
	b.WriteString("/v1")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// do sends a request and returns the response body for a 2xx status, or the
// mapped error.
func (t *HTTPTransport) do(ctx context.Context, method, u string, body io.Reader) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	var e struct {
		Error string `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&e)
	return nil, codeError(e.Error, resp.StatusCode)
}

func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// call sends in (if not nil) as JSON and decodes the response with dec.
func call[T any](t *HTTPTransport, ctx context.Context, method, u string, in any, dec func([]byte) (T, error)) (T, error) {
	var zero T
	var body io.Reader
	if in != nil {
		var err error
		if body, err = jsonBody(in); err != nil {
			return zero, err
		}
	}
	rc, err := t.do(ctx, method, u, body)
	if err != nil {
		return zero, err
	}
	defer rc.Close()
	if dec == nil {
		io.Copy(io.Discard, io.LimitReader(rc, 4096))
		return zero, nil
	}
	b, err := io.ReadAll(io.LimitReader(rc, MaxUploadRecord+1))
	if err != nil {
		return zero, err
	}
	return dec(b)
}

func noBody([]byte) (struct{}, error) { return struct{}{}, nil }

func listOf[T any, P validator[T]](max int) func([]byte) ([]*T, error) {
	return func(b []byte) ([]*T, error) { return decodeList[T, P](b, max) }
}

func (t *HTTPTransport) PublishUser(ctx context.Context, u *User) error {
	_, err := call(t, ctx, "POST", t.url("users"), u, noBody)
	return err
}
func (t *HTTPTransport) User(ctx context.Context, id string) (*User, error) {
	return call(t, ctx, "GET", t.url("users", id), nil, DecodeUser)
}
func (t *HTTPTransport) Upload(ctx context.Context, up *Upload, blob io.Reader) (*Item, error) {
	var head bytes.Buffer
	if err := writeFrame(&head, up); err != nil {
		return nil, err
	}
	rc, err := t.do(ctx, "POST", t.url("items"), io.MultiReader(&head, blob))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	return DecodeItem(b)
}
func (t *HTTPTransport) Item(ctx context.Context, id string) (*Item, error) {
	return call(t, ctx, "GET", t.url("items", id), nil, DecodeItem)
}
func (t *HTTPTransport) Download(ctx context.Context, id string, ev *Event) (io.ReadCloser, error) {
	body, err := jsonBody(ev)
	if err != nil {
		return nil, err
	}
	return t.do(ctx, "POST", t.url("items", id, "download"), body)
}
func (t *HTTPTransport) Delete(ctx context.Context, id string, ev *Event) error {
	_, err := call(t, ctx, "POST", t.url("items", id, "delete"), ev, noBody)
	return err
}
func (t *HTTPTransport) MyKey(ctx context.Context, item string) (*WrappedKey, error) {
	return call(t, ctx, "GET", t.url("items", item, "key"), nil, DecodeWrappedKey)
}
func (t *HTTPTransport) ItemKeys(ctx context.Context, item string) ([]*WrappedKey, error) {
	return call(t, ctx, "GET", t.url("items", item, "keys"), nil, listOf[WrappedKey](maxKeysPerItem))
}
func (t *HTTPTransport) Share(ctx context.Context, req *ShareRequest) error {
	_, err := call(t, ctx, "POST", t.url("shares"), req, noBody)
	return err
}
func (t *HTTPTransport) Received(ctx context.Context) ([]*Share, error) {
	return call(t, ctx, "GET", t.url("shares", "received"), nil, listOf[Share](MaxAuditEntries))
}
func (t *HTTPTransport) Revoke(ctx context.Context, item, recipient string, ev *Event) error {
	_, err := call(t, ctx, "POST", t.url("items", item, "revoke"), &revokeBody{Recipient: recipient, Event: ev}, noBody)
	return err
}
func (t *HTTPTransport) Invite(ctx context.Context, in *Invitation) error {
	_, err := call(t, ctx, "POST", t.url("invitations"), in, noBody)
	return err
}
func (t *HTTPTransport) Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error) {
	return call(t, ctx, "POST", t.url("invitations", id, "accept"), req, DecodeConnection)
}
func (t *HTTPTransport) Connection(ctx context.Context, id string) (*Connection, error) {
	return call(t, ctx, "GET", t.url("connections", id), nil, DecodeConnection)
}
func (t *HTTPTransport) ShareToSpace(ctx context.Context, req *SpaceShareRequest) error {
	_, err := call(t, ctx, "POST", t.url("spaces", "shares"), req, noBody)
	return err
}
func (t *HTTPTransport) Space(ctx context.Context, id string) (*Space, error) {
	return call(t, ctx, "GET", t.url("spaces", id), nil, DecodeSpace)
}
func (t *HTTPTransport) Claim(ctx context.Context, space string, record []byte) error {
	_, err := call(t, ctx, "POST", t.url("spaces", space, "claim"), &claimBody{Record: record}, noBody)
	return err
}
func (t *HTTPTransport) CreateLink(ctx context.Context, req *LinkRequest) error {
	_, err := call(t, ctx, "POST", t.url("links"), req, noBody)
	return err
}
func (t *HTTPTransport) LinkParams(ctx context.Context, id string) (*LinkParams, error) {
	return call(t, ctx, "GET", t.url("links", id), nil, DecodeLinkParams)
}
func (t *HTTPTransport) AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error) {
	body, err := jsonBody(req)
	if err != nil {
		return nil, nil, err
	}
	rc, err := t.do(ctx, "POST", t.url("links", id, "access"), body)
	if err != nil {
		return nil, nil, err
	}
	b, err := readFrame(rc, MaxRecordSize)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	g, err := DecodeLinkGrant(b)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return g, rc, nil
}
func (t *HTTPTransport) Audit(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error) {
	if limit == 0 {
		limit = MaxAuditPage
	}
	if limit < 0 || limit > MaxAuditPage {
		return nil, invalid("audit page limit out of range")
	}
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	return call(t, ctx, "GET", t.url("items", item, "audit")+"?"+q.Encode(), nil, listOf[AuditEntry](limit))
}
