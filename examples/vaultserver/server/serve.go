package server

import (
	"context"
	"crypto/tls"
	"net"
)

// Serve serves s on ln until ctx is done, then shuts down gracefully
// (httplimit.Limits.Serve), with the limits and shutdown grace of its
// Config. With tlsConfig nil it serves plain HTTP; servertls makes one.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	return s.limits.Serve(ctx, ln, s, tlsConfig, s.cfg.ShutdownGrace)
}
