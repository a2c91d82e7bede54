package server

import (
	"testing"
	"time"
)

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
