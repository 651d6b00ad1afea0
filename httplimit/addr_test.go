package httplimit_test

import (
	"net/http/httptest"
	"testing"

	"github.com/sealkit/sealkit/httplimit"
)

// TestClientAddr: IPv4 as is, IPv6 by /64, IPv4-mapped as IPv4, zones
// dropped, anything else as it is.
func TestClientAddr(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:80":              "192.0.2.1",
		"[::ffff:192.0.2.1]:80":     "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:80": "2001:db8:1:2::/64",
		"[2001:db8:1:2::]:80":       "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":         "fe80::/64",
		"not an address":            "not an address",
		"@":                         "@",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := httplimit.ClientAddr(r); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", remote, got, want)
		}
	}
}
