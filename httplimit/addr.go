package httplimit

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
)

// ClientAddr is the unit every per-address limit counts r's client as:
// the TCP peer's IPv4 address (an IPv4-mapped IPv6 address is IPv4), or
// the /64 network of its IPv6 address, since one subscriber is commonly
// handed a whole /64 and could otherwise take a fresh count for every
// address in it. A peer that is not an IP address (a Unix socket) counts
// as its RemoteAddr.
//
// It does not trust X-Forwarded-For: behind a reverse proxy every client
// is the proxy, so limit per client there, or set r.RemoteAddr from the
// proxy's header before these limits see the request.
func ClientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return addrKey(ap.Addr())
}

func addrKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// connLimiter is a net.Listener that lets each client address hold at
// most max open connections: one more is closed as soon as it is
// accepted, so one client cannot use up the server's connections and
// goroutines.
type connLimiter struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[string]int
}

func newConnLimiter(ln net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: ln, max: max, open: make(map[string]int)}
}

// Accept implements net.Listener.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil {
			return c, nil // not an IP peer (a Unix socket): nothing to count
		}
		key := addrKey(ap.Addr())
		l.mu.Lock()
		if l.open[key] >= l.max {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &countedConn{Conn: c, done: func() { l.closed(key) }}, nil
	}
}

func (l *connLimiter) closed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// countedConn gives its place back once, on the first Close.
type countedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.done)
	return c.Conn.Close()
}

// ReadFrom keeps the underlying connection's fast path (sendfile for a
// TCP connection) for net/http's responses.
func (c *countedConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }
