package identity

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// Principal is who a request acts for, as an [Authenticator] established
// it: a registered, unrevoked key and its owner.
type Principal struct {
	// Owner is the key's owner in the registry: the account acting.
	Owner string
	// KeyID is the authenticating key's ID (a token's subject).
	KeyID string
	// Permissions are the key's permissions when it was checked.
	Permissions []string
	// Verified is the outcome of the signature check of a signed request,
	// nil for a bearer token. [TokenIssuer.Issue] takes it, so a token
	// cannot be exchanged for a fresh one.
	Verified *Verified
	// Token holds a bearer token's claims, nil for a signed request.
	Token *TokenClaims
}

// HasPermission reports whether the principal's key holds perm.
func (p Principal) HasPermission(perm string) bool { return slices.Contains(p.Permissions, perm) }

// Authenticator is server middleware that establishes the [Principal] of
// a request from an RFC 9421 signature (Signatures) or an
// "Authorization: Bearer" token (Tokens). A request carrying a
// Signature-Input or Signature field is judged by its signature alone;
// otherwise by its bearer token. The zero value refuses every request. It
// is safe for concurrent use; do not change fields after first use.
type Authenticator struct {
	// Signatures verifies signed requests; nil refuses them.
	Signatures *Verifier
	// Tokens verifies bearer tokens; nil refuses them. Its Registry is
	// required: it names the token's owner and refuses revoked keys.
	Tokens *TokenVerifier
	// Optional lets Handler pass a request that carries no credential at
	// all on to next with no principal (for routes that are also open to
	// anonymous callers); bad credentials are refused all the same.
	Optional bool
	// Admit, if set, is called with the key's entry once a credential has
	// verified and before any body byte is read (after Signatures.Admit
	// for a signed request); an error refuses the request as is. Servers
	// use it to bound the body bytes they buffer per owner.
	Admit func(r *http.Request, e KeyEntry) error
	// Deny answers a refused request; nil means [WriteError], with
	// "Connection: close" when the request has a body.
	Deny func(w http.ResponseWriter, r *http.Request, err error)
}

// Authenticate establishes r's principal, or returns a *[RejectError] (or
// Admit's error): [ErrNoCredentials] when r carries neither a signature
// nor an Authorization field. For a signed request it has read the body
// and replaced it with a checked in-memory copy, as [Verifier.Verify] does.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if len(r.Header.Values(headerSignatureInput)) > 0 || len(r.Header.Values(headerSignature)) > 0 {
		if a.Signatures == nil {
			return Principal{}, reject(ReasonPolicy, "signed requests are not accepted here")
		}
		v := new(Verified)
		if err := a.Signatures.verify(r, a.Admit, v); err != nil {
			return Principal{}, err
		}
		return Principal{Owner: v.Owner(), KeyID: v.KeyID(), Permissions: v.Permissions(), Verified: v}, nil
	}
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		return Principal{}, reject(ReasonNoCredentials, "no signature or bearer token")
	}
	if a.Tokens == nil {
		return Principal{}, reject(ReasonBadToken, "bearer tokens are not accepted here")
	}
	scheme, tok, ok := strings.Cut(auth[0], " ")
	if len(auth) != 1 || !ok || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, reject(ReasonBadToken, "want one Authorization: Bearer field")
	}
	if _, err := a.Tokens.TrustedProxy.authority(r); err != nil {
		return Principal{}, err
	}
	if a.Tokens.Registry == nil {
		return Principal{}, reject(ReasonUnavailable, "token verifier has no key registry")
	}
	claims, v, err := a.Tokens.verify(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return Principal{}, err
	}
	if a.Admit != nil {
		if err := a.Admit(r, v.entry); err != nil {
			return Principal{}, err
		}
	}
	return Principal{Owner: v.Owner(), KeyID: v.KeyID(), Permissions: v.Permissions(), Token: claims}, nil
}

// Check authenticates r and returns nil or Authenticate's error.
func (a *Authenticator) Check(r *http.Request) error {
	_, err := a.Authenticate(r)
	return err
}

// Handler returns middleware that authenticates each request and passes it
// to next with its principal in the context ([PrincipalFrom]), or answers
// it with Deny. With Optional, a request without any credential goes on
// with no principal.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		switch {
		case err == nil:
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		case a.Optional && isNoCredentials(err):
		default:
			a.deny(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Owner returns the owner of r's principal: the one Handler stored in r's
// context or, without one, what Authenticate gives. It fits hooks of type
// func(*http.Request) (string, error), such as share's Handler.Authenticate.
func (a *Authenticator) Owner(r *http.Request) (string, error) {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p.Owner, nil
	}
	p, err := a.Authenticate(r)
	return p.Owner, err
}

func (a *Authenticator) deny(w http.ResponseWriter, r *http.Request, err error) {
	if a.Deny != nil {
		a.Deny(w, r, err)
		return
	}
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	WriteError(w, err)
}

// isNoCredentials reports whether err is Authenticate's own "no
// credentials" refusal (and not an Admit error that happens to wrap it).
func isNoCredentials(err error) bool {
	re, ok := err.(*RejectError)
	return ok && re.Reason == ReasonNoCredentials
}

type principalKey struct{}

// PrincipalFrom returns the principal that [Authenticator.Handler] stored
// in a request's context.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
