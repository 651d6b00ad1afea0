package account

import "github.com/sealkit/sealkit/identity"

// Token issues a session token for the key a signed request verified
// (identity.Principal.Verified). A token cannot renew itself: v nil (a
// bearer-token request) is identity.ErrMissingSignature.
func (s *Service) Token(v *identity.Verified) (*TokenResponse, error) {
	if v == nil {
		return nil, identity.ErrMissingSignature
	}
	tok, err := s.cfg.Tokens.Issue(v, s.cfg.TokenAudience)
	if err != nil {
		return nil, err
	}
	ttl := s.cfg.Tokens.TTL // as the issuer reads it
	if ttl <= 0 {
		ttl = identity.DefaultTokenTTL
	}
	return &TokenResponse{Token: tok, ExpiresAt: s.cfg.Now().Add(min(ttl, identity.MaxTokenTTL))}, nil
}
