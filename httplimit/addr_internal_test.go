package httplimit

import (
	"net"
	"net/netip"
	"testing"
)

func TestAddrKey(t *testing.T) {
	same := [][2]string{
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:ffff::1"}, // one /64
		{"::ffff:192.0.2.1", "192.0.2.1"},                // IPv4-mapped is IPv4
		{"fe80::1%eth0", "fe80::2"},                      // the zone does not count
	}
	for _, p := range same {
		if a, b := addrKey(netip.MustParseAddr(p[0])), addrKey(netip.MustParseAddr(p[1])); a != b {
			t.Errorf("%s → %s, %s → %s: want one key", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"192.0.2.1", "192.0.2.2"},
	}
	for _, p := range differ {
		if addrKey(netip.MustParseAddr(p[0])) == addrKey(netip.MustParseAddr(p[1])) {
			t.Errorf("%s and %s share a key", p[0], p[1])
		}
	}
}

// fakeListener hands out one end of a pipe per address in addrs, with that
// remote address.
type fakeListener struct {
	net.Listener
	addrs []string
}

type addrConn struct {
	net.Conn
	remote net.Addr
	closed *int
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }
func (c addrConn) Close() error         { *c.closed++; return c.Conn.Close() }

func (l *fakeListener) Accept() (net.Conn, error) {
	if len(l.addrs) == 0 {
		return nil, net.ErrClosed
	}
	a := l.addrs[0]
	l.addrs = l.addrs[1:]
	c, _ := net.Pipe()
	return addrConn{c, net.TCPAddrFromAddrPort(netip.MustParseAddrPort(a)), new(int)}, nil
}

// TestConnLimiterIPv6Prefix: addresses of one IPv6 /64 share one limit;
// the connection over it is closed at accept and the next address's is
// returned; a closed connection frees its place.
func TestConnLimiterIPv6Prefix(t *testing.T) {
	l := newConnLimiter(&fakeListener{addrs: []string{
		"[2001:db8::1]:1000", "[2001:db8::2]:1000", "[2001:db8::3]:1000", "[2001:db8:0:1::1]:1000",
	}}, 2)
	var got []net.Conn
	for range 3 {
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	if r := got[2].RemoteAddr().String(); r != "[2001:db8:0:1::1]:1000" {
		t.Fatalf("third accepted connection is from %s; the third of the /64 should have been refused", r)
	}
	got[0].Close()
	got[0].Close() // a second Close must not free a second place
	if n := l.open["2001:db8::/64"]; n != 1 {
		t.Fatalf("open in the /64 after one Close: %d, want 1", n)
	}
}
