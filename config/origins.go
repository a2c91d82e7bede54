package config

import (
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// patternWithinSite reports whether every origin matching an
// ALLOWED_ORIGIN_PATTERN lies under one registrable domain: the text after
// the * holds a dot, and what follows that dot is no public suffix (so
// https://*.preview.hiremebahamas.com, but not https://*.vercel.app or
// https://hiremebahamas-*.vercel.app).
func patternWithinSite(pattern string) bool {
	_, rest, ok := wildcardLabel(pattern)
	if !ok || rest == "" {
		return false
	}
	_, err := publicsuffix.EffectiveTLDPlusOne(rest)
	return err == nil
}

// patternTooBroad says why an origin pattern (one *, already well formed)
// would let in sites its owner does not control, or returns "". The * must
// stand in the host and match within one label (see server's origins).
// What follows that label must be a domain someone owns: not nothing (any
// top-level domain), and not a public suffix (com, co.uk, vercel.app,
// github.io), under which anyone can have a site; except that a label
// which keeps a fixed part may sit on a platform's suffix, where the
// platform names the sites: https://hiremebahamas-*.vercel.app.
func patternTooBroad(pattern string) string {
	label, rest, ok := wildcardLabel(pattern)
	switch {
	case !ok:
		return "has its * outside the host"
	case rest == "" && label == "*" && !strings.Contains(pattern, "."): // the host is the * alone
		return "matches every host"
	case rest == "":
		return "matches hosts under any top-level domain"
	}
	suffix, icann := publicsuffix.PublicSuffix(rest)
	if suffix != rest || (label != "*" && !icann) {
		return ""
	}
	return "matches sites anyone can have under " + rest + "; put the * under a domain you own " +
		"(https://*.preview.example.com) or keep a fixed part beside it on a platform's domain (https://hiremebahamas-*.vercel.app)"
}

// wildcardLabel splits the host of an origin pattern (one *, already well
// formed) into the label holding the * and the labels after it; ok is false
// when the * is not in the host.
func wildcardLabel(pattern string) (label, rest string, ok bool) {
	hostport := pattern[strings.Index(pattern, "://")+3:]
	host := hostport
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		host = hostport[:i]
	}
	labels := strings.Split(strings.ToLower(host), ".")
	i := slices.IndexFunc(labels, func(l string) bool { return strings.Contains(l, "*") })
	if i < 0 {
		return "", "", false
	}
	return labels[i], strings.Join(labels[i+1:], "."), true
}

// isOrigin reports whether s is scheme://host[:port] and nothing more.
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
