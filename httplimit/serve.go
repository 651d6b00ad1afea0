package httplimit

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// DefaultShutdownGrace is how long [Limits.Serve] lets requests in flight
// finish at shutdown when its grace is zero or negative.
const DefaultShutdownGrace = 10 * time.Second

// Serve serves h on ln, through [Limits.Server] and [Limits.Listener],
// until ctx is done, then shuts down gracefully: it stops accepting, lets
// the requests in flight finish for up to grace (0 or less means
// [DefaultShutdownGrace]), then closes the connections still open. It
// returns nil if every request finished in time, the shutdown's context
// error if some were cut, or the error serving stopped with before ctx
// ended. With tlsConfig nil it serves plain HTTP. h is served as given:
// wrap it in [Limits.Handler] for the per-request limits.
func (l *Limits) Serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, grace time.Duration) error {
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	srv := l.Server(h)
	srv.TLSConfig = tlsConfig
	ln = l.Listener(ln)
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close() // grace is over: cut what is still running
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
