package gateway

import "testing"

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
		if got := negotiateEncoding(accept, "br", "gzip"); got != want {
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
