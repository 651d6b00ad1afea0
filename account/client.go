package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// maxResponse caps what the Client reads of an answer: a KeysResponse
// holds at most a registration's records, base64 in JSON.
const maxResponse = 2 * MaxRegisterBody

// Client calls the account routes of a [Handler]. HTTPClient carries the
// authentication of the Signed and User routes (identity's signing
// RoundTripper plugs in here) and any check of the answers; nil means
// http.DefaultClient, which suits the Anonymous routes only. Error answers
// are [*HTTPError].
type Client struct {
	BaseURL    string // the prefix the Handler is mounted at, e.g. "https://vault.example/api"
	HTTPClient *http.Client
}

// Register sends a registration (see [SignRegistration] for its proof).
func (c *Client) Register(ctx context.Context, req *RegisterRequest) (*RegisterResponse, error) {
	return call[RegisterResponse](ctx, c, "Register", "", req)
}

// LoginStart fetches user's account record.
func (c *Client) LoginStart(ctx context.Context, user string) (*LoginStartResponse, error) {
	return call[LoginStartResponse](ctx, c, "LoginStart", "", &LoginStartRequest{User: user})
}

// Login presents the auth key of user's unlocked account and returns its
// sealed key records.
func (c *Client) Login(ctx context.Context, user string, authKey []byte) (*KeysResponse, error) {
	return call[KeysResponse](ctx, c, "Login", "", &LoginRequest{User: user, AuthKey: authKey})
}

// Token exchanges a signed request for a session token: HTTPClient must
// sign.
func (c *Client) Token(ctx context.Context) (*TokenResponse, error) {
	return call[TokenResponse](ctx, c, "Token", "", struct{}{})
}

// Keys fetches the caller's account and sealed key records, authenticated
// by token (a session token) or, if token is "", by HTTPClient.
func (c *Client) Keys(ctx context.Context, token string) (*KeysResponse, error) {
	return call[KeysResponse](ctx, c, "Keys", token, nil)
}

// ChangePassphrase replaces the caller's account record and login
// verifier: HTTPClient must sign.
func (c *Client) ChangePassphrase(ctx context.Context, req *ChangePassphraseRequest) error {
	_, err := call[struct{}](ctx, c, "ChangePassphrase", "", req)
	return err
}

// call sends in (nil: no body) to the route named name, with a bearer
// token unless it is "", and decodes a successful answer into a T.
func call[T any](ctx context.Context, c *Client, name, token string, in any) (*T, error) {
	var rt *Route
	for _, r := range table {
		if r.Name == name {
			rt = r
		}
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, rt.Method, c.BaseURL+rt.Path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != rt.Status {
		return nil, wire.ResponseError(resp)
	}
	out := new(T)
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
		return nil, errors.Join(errors.New("account: malformed response"), err)
	}
	return out, nil
}
