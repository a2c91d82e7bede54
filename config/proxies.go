package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// MaxTrustedProxyHops bounds TRUSTED_PROXY_HOPS: no real chain of proxies
// is longer, and a miscounted one lets clients name themselves.
const MaxTrustedProxyHops = 5

// proxyPresets name address blocks for TRUSTED_PROXIES, for platforms that
// publish no addresses for their proxies.
var proxyPresets = map[string][]netip.Prefix{
	// RFC 1918, RFC 4193 unique local, RFC 6598 shared (carrier-grade NAT)
	// and link-local: where platforms' and clusters' proxies connect from.
	"private":  prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"),
	"loopback": prefixes("127.0.0.0/8", "::1/128"),
	// Cloudflare's edge, as published at https://www.cloudflare.com/ips/.
	"cloudflare": prefixes("173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
		"108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15",
		"104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
		"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"),
}

func prefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// parseProxies reads TRUSTED_PROXIES: addresses, CIDRs and preset names.
// A block that trusts much of the internet is refused: it would let most
// clients name any address in X-Forwarded-For.
func parseProxies(entries []string, errs []error) ([]netip.Prefix, []error) {
	var out []netip.Prefix
	for _, p := range entries {
		if preset, ok := proxyPresets[strings.ToLower(p)]; ok {
			out = append(out, preset...)
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address, a CIDR nor a preset (private, loopback, cloudflare)", p))
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		// Peers are compared unmapped: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
		if a := prefix.Addr(); a.Is4In6() && prefix.Bits() >= 96 {
			prefix = netip.PrefixFrom(a.Unmap(), prefix.Bits()-96)
		}
		prefix = prefix.Masked()
		if tooBroad(prefix) {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %s trusts a large part of the internet; "+
				"an IPv4 block must be /8 or narrower and an IPv6 block /16 or narrower, unless wholly private", p))
			continue
		}
		out = append(out, prefix)
	}
	return out, errs
}

// tooBroad reports whether p is wider than /8 (IPv4) or /16 (IPv6) and not
// wholly inside the private or loopback blocks.
func tooBroad(p netip.Prefix) bool {
	if (p.Addr().Is4() && p.Bits() >= 8) || (p.Addr().Is6() && p.Bits() >= 16) {
		return false
	}
	for _, inner := range slices.Concat(proxyPresets["private"], proxyPresets["loopback"]) {
		if inner.Bits() <= p.Bits() && inner.Contains(p.Addr()) {
			return false
		}
	}
	return true
}
