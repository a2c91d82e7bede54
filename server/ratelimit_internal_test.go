package server

import (
	"net/netip"
	"testing"
	"time"
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

func TestLimiterBuckets(t *testing.T) {
	l := newLimiter(1, 2)
	for i, want := range []bool{true, true, false} {
		if ok, wait := l.allow("203.0.113.9"); ok != want || (!ok && (wait <= 0 || wait > time.Second)) {
			t.Errorf("request %d: allowed %v, wait %s", i+1, ok, wait)
		}
	}
	if ok, _ := l.allow("203.0.113.10"); !ok {
		t.Error("a second client shares the first one's bucket")
	}
	// One IPv6 subscriber's /64 is one client.
	l.allow("2001:db8:1:2::1")
	l.allow("2001:db8:1:2::2")
	if ok, _ := l.allow("2001:db8:1:2::3"); ok {
		t.Error("a /64 walked its addresses past the limit")
	}
	if ok, _ := l.allow("2001:db8:1:3::1"); !ok {
		t.Error("the next /64 was limited")
	}
	var off *limiter = newLimiter(0, 0)
	if ok, _ := off.allow("x"); !ok {
		t.Error("a zero rate limited")
	}
}

func TestNegotiateEncoding(t *testing.T) {
	for accept, want := range map[string]string{
		"":                       "",
		"identity":               "",
		"gzip":                   "gzip",
		"GZIP":                   "gzip",
		"br":                     "br",
		"gzip, br":               "br",
		"br;q=0, gzip":           "gzip",
		"br; q=0.0, gzip; q=0.1": "gzip",
		"*":                      "br",
		"*;q=0":                  "",
		"gzip;q=0, *":            "br",
		"deflate, compress":      "",
		"br;q=bogus":             "br",
	} {
		if got := negotiateEncoding(accept); got != want {
			t.Errorf("negotiateEncoding(%q) = %q; want %q", accept, got, want)
		}
	}
}

func TestMatchesETag(t *testing.T) {
	for header, want := range map[string]bool{
		`"abc"`:         true,
		`W/"abc"`:       true,
		`"abc-br"`:      true,
		`"abc-gzip"`:    true,
		`"x", "abc"`:    true,
		`*`:             true,
		`"abcd"`:        false,
		`"ab"`:          false,
		``:              false,
		`"abc-deflate"`: false,
	} {
		if got := matchesETag(header, "abc"); got != want {
			t.Errorf("matchesETag(%q) = %v; want %v", header, got, want)
		}
	}
}
