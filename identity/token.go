package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Token limits and defaults.
const (
	// MaxTokenBytes caps a token before it is parsed.
	MaxTokenBytes = 4 << 10
	// DefaultTokenTTL is a token's lifetime when TokenIssuer.TTL is 0.
	DefaultTokenTTL = 15 * time.Minute
	// MaxTokenTTL caps TokenIssuer.TTL: tokens are meant to be short-lived.
	MaxTokenTTL = 24 * time.Hour
)

// TokenClaims are the claims of a session token. Subject is the client's
// key ID.
type TokenClaims struct {
	Issuer    string    // "iss"
	Subject   string    // "sub": the client's key ID
	Audience  string    // "aud"
	ID        string    // "jti": unique per token
	IssuedAt  time.Time // "iat"
	NotBefore time.Time // "nbf"
	Expiry    time.Time // "exp"
}

// TokenIssuer issues short-lived EdDSA JWTs (RFC 7519, RFC 8037) signed by
// the server's Ed25519 key, with "kid" set to its key ID. Issue takes a
// *Verified (from MessageVerifier.VerifyLogin, or from a signed request),
// so a token is only issued after a signature check.
type TokenIssuer struct {
	// Key signs tokens. Required; Ed25519.
	Key *PrivateKey
	// Issuer is the "iss" claim.
	Issuer string
	// TTL is the lifetime; 0 means DefaultTokenTTL, capped at MaxTokenTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Issue returns a token for the verified client, for audience.
func (ti *TokenIssuer) Issue(v *Verified, audience string) (string, error) {
	if !v.valid() {
		return "", ErrUnverified
	}
	if ti.Key == nil || ti.Key.ed == nil {
		return "", ErrNotEd25519
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: ti.Key.ed},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), ti.Key.KeyID()))
	if err != nil {
		return "", err
	}
	now := time.Now
	if ti.Now != nil {
		now = ti.Now
	}
	t := now()
	ttl := ti.TTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	ttl = min(ttl, MaxTokenTTL)
	c := jwt.Claims{
		Issuer:    ti.Issuer,
		Subject:   v.KeyID(),
		Audience:  jwt.Audience{audience},
		ID:        NewNonce(),
		IssuedAt:  jwt.NewNumericDate(t),
		NotBefore: jwt.NewNumericDate(t),
		Expiry:    jwt.NewNumericDate(t.Add(ttl)),
	}
	return jwt.Signed(signer).Claims(c).Serialize()
}

// TokenVerifier verifies session tokens from a TokenIssuer: EdDSA only,
// "kid" equal to Key's ID, issuer, audience, expiry and not-before (with
// Leeway), and — when Registry is set — that the subject key is still
// registered and not revoked. Its Handler reads "Authorization: Bearer".
type TokenVerifier struct {
	// Key is the issuer's public key. Required.
	Key *PublicKey
	// Issuer and Audience must match the claims.
	Issuer, Audience string
	// Registry, if set, is consulted for the subject key.
	Registry KeyRegistry
	// TrustedProxy allows plain-HTTP requests from a TLS-terminating proxy
	// (see Verifier.TrustedProxy); without it Handler refuses them.
	TrustedProxy *TrustedProxy
	// Leeway tolerates clock skew; 0 means DefaultMaxSkew.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verify checks token and returns its claims, or a *RejectError
// (ErrBadToken, ErrRevokedKey, ErrUnknownKey, ErrStale).
func (tv *TokenVerifier) Verify(token string) (*TokenClaims, error) {
	c, _, err := tv.verify(context.Background(), token)
	return c, err
}

func (tv *TokenVerifier) verify(ctx context.Context, token string) (*TokenClaims, *Verified, error) {
	if len(token) > MaxTokenBytes {
		return nil, nil, reject(ReasonBadToken, "token too long")
	}
	if tv.Key == nil || tv.Key.Algorithm() != Ed25519 {
		return nil, nil, reject(ReasonUnavailable, "no Ed25519 token key configured")
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, nil, rejectErr(ReasonBadToken, "malformed token", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID != tv.Key.KeyID() {
		return nil, nil, reject(ReasonBadToken, "token kid is not the issuer key")
	}
	var c jwt.Claims
	if err := tok.Claims(tv.Key.ed, &c); err != nil {
		return nil, nil, rejectErr(ReasonBadToken, "token signature does not verify", err)
	}
	now := time.Now
	if tv.Now != nil {
		now = tv.Now
	}
	leeway := tv.Leeway
	if leeway <= 0 {
		leeway = DefaultMaxSkew
	}
	if c.Expiry == nil || c.Subject == "" {
		return nil, nil, reject(ReasonBadToken, "token lacks exp or sub")
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: tv.Issuer, AnyAudience: jwt.Audience{tv.Audience}, Time: now()}, leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired), errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, nil, rejectErr(ReasonStale, "token expired or not yet valid", err)
	case err != nil:
		return nil, nil, rejectErr(ReasonBadToken, "token claims", err)
	}
	out := &TokenClaims{Issuer: c.Issuer, Subject: c.Subject, ID: c.ID, Expiry: c.Expiry.Time()}
	if len(c.Audience) > 0 {
		out.Audience = c.Audience[0]
	}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time()
	}
	if c.NotBefore != nil {
		out.NotBefore = c.NotBefore.Time()
	}
	var ver *Verified
	if tv.Registry != nil {
		e, err := lookupKey(ctx, tv.Registry, c.Subject)
		if err != nil {
			return nil, nil, err
		}
		ver = &Verified{ok: true, entry: e, created: out.IssuedAt, nonce: out.ID}
	}
	return out, ver, nil
}

type claimsKey struct{}

// TokenClaimsFromContext returns the claims TokenVerifier.Handler stored.
func TokenClaimsFromContext(ctx context.Context) (*TokenClaims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*TokenClaims)
	return c, ok
}

// Handler refuses requests without a valid "Authorization: Bearer" token
// (401 missing_signature or invalid_token, 403 revoked_key) and passes the
// others on with the claims in the context (TokenClaimsFromContext); when
// Registry is set, the subject's *Verified too (VerifiedFromContext,
// KeyIDFromContext, RequirePermission). Requests that did not arrive over
// TLS are refused (403) unless TrustedProxy allows them.
func (tv *TokenVerifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := tv.TrustedProxy.authority(r); err != nil {
			WriteError(w, err)
			return
		}
		auth := r.Header.Get("Authorization")
		scheme, tok, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			WriteError(w, reject(ReasonMissingSignature, "no bearer token"))
			return
		}
		c, ver, err := tv.verify(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			WriteError(w, err)
			return
		}
		ctx := context.WithValue(r.Context(), claimsKey{}, c)
		if ver != nil {
			ctx = withVerified(ctx, ver)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
