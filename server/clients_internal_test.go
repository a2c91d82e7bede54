package server

import (
	"net/netip"
	"testing"
)

func TestResolveClient(t *testing.T) {
	c := clients{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, tc := range []struct {
		remote    string
		forwarded []string
		want      string
	}{
		{"203.0.113.9:5000", nil, "203.0.113.9"},
		{"203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9"}, // not from a proxy: ignored
		{"10.0.0.5:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"10.0.0.5:443", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},              // the client's own claim is left of the proxy's
		{"10.0.0.5:443", []string{"198.51.100.7, 10.1.2.3"}, "198.51.100.7"},             // through two proxies
		{"10.0.0.5:443", []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7"},            // repeated headers read as one list
		{"10.0.0.5:443", []string{"not-an-address, 10.9.9.9"}, "10.9.9.9"},               // garbage: the last trusted hop
		{"10.0.0.5:443", nil, "10.0.0.5"},                                                // a proxy calling for itself
		{"[::1]:443", []string{"2001:db8::1"}, "2001:db8::1"},                            // IPv6
		{"[::ffff:10.0.0.5]:443", []string{"198.51.100.7"}, "198.51.100.7"},              // IPv4-mapped peer
		{"10.0.0.5:443", []string{"  198.51.100.7 ,10.0.0.6 "}, "198.51.100.7"},          // spacing
		{"10.0.0.5:443", []string{"10.0.0.7, 10.0.0.6"}, "10.0.0.7"},                     // all trusted: the farthest
		{"bufconn", nil, "bufconn"},                                                      // not an address at all
		{"10.0.0.5:443", []string{"198.51.100.7, 2001:db8::5, 10.0.0.9"}, "2001:db8::5"}, // mixed families
	} {
		if got := c.resolve(tc.remote, tc.forwarded); got != tc.want {
			t.Errorf("resolve(%q, %q) = %q; want %q", tc.remote, tc.forwarded, got, tc.want)
		}
	}
}
