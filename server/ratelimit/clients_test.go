package ratelimit

import (
	"net/netip"
	"testing"
)

func TestResolveClient(t *testing.T) {
	byAddress := Clients{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	// Render: its proxy (a private peer) behind Cloudflare's edge.
	byCount := Clients{Hops: 2}
	// A Kubernetes ingress, believed only from the cluster's addresses.
	gated := Clients{Hops: 1, Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, tc := range []struct {
		name      string
		clients   Clients
		remote    string
		forwarded []string
		want      string
	}{
		{"no header", byAddress, "203.0.113.9:5000", nil, "203.0.113.9"},
		{"not from a proxy: ignored", byAddress, "203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"one proxy", byAddress, "10.0.0.5:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"the client's own claim is left of the proxy's", byAddress, "10.0.0.5:443", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{"through two proxies", byAddress, "10.0.0.5:443", []string{"198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"repeated headers read as one list", byAddress, "10.0.0.5:443", []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7"},
		{"garbage: the last trusted hop", byAddress, "10.0.0.5:443", []string{"not-an-address, 10.9.9.9"}, "10.9.9.9"},
		{"unknown: the proxy", byAddress, "10.0.0.5:443", []string{"unknown"}, "10.0.0.5"},
		{"a proxy calling for itself", byAddress, "10.0.0.5:443", nil, "10.0.0.5"},
		{"IPv6", byAddress, "[::1]:443", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer", byAddress, "[::ffff:10.0.0.5]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"IPv4-mapped entry", byAddress, "10.0.0.5:443", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"entry with a port", byAddress, "10.0.0.5:443", []string{"198.51.100.7:5000"}, "198.51.100.7"},
		{"IPv6 entry with a port", byAddress, "10.0.0.5:443", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"zone dropped", byAddress, "[fe80::1%eth0]:443", nil, "fe80::1"},
		{"empty elements skipped", byAddress, "10.0.0.5:443", []string{"198.51.100.7,, ", ""}, "198.51.100.7"},
		{"spacing", byAddress, "10.0.0.5:443", []string{"  198.51.100.7 ,10.0.0.6 "}, "198.51.100.7"},
		{"all Trusted: the farthest", byAddress, "10.0.0.5:443", []string{"10.0.0.7, 10.0.0.6"}, "10.0.0.7"},
		{"not an address at all", byAddress, "bufconn", nil, "bufconn"},
		{"mixed families", byAddress, "10.0.0.5:443", []string{"198.51.100.7, 2001:db8::5, 10.0.0.9"}, "2001:db8::5"},

		{"Hops: Render", byCount, "10.21.157.68:1234", []string{"99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"Hops: forged entry", byCount, "10.21.157.68:1234", []string{"6.6.6.6, 99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"Hops: forged header", byCount, "10.21.157.68:1234", []string{"6.6.6.6", "99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"Hops: trust is not asked of the entries", byCount, "10.21.157.68:1234", []string{"10.1.1.1, 104.22.17.40"}, "10.1.1.1"},
		{"Hops: fewer entries than hops", byCount, "10.21.157.68:1234", []string{"104.22.17.40"}, "104.22.17.40"},
		{"Hops: no header", byCount, "10.21.157.68:1234", nil, "10.21.157.68"},
		{"Hops: garbage at the client's place", byCount, "10.21.157.68:1234", []string{"garbage, 104.22.17.40"}, "104.22.17.40"},
		{"Hops: garbage at the proxy's place", byCount, "10.21.157.68:1234", []string{"99.61.165.29, garbage"}, "10.21.157.68"},
		{"Hops: IPv6 and a mapped entry", byCount, "[fd00::5]:1234", []string{"::ffff:99.61.165.29, 2606:4700::1"}, "99.61.165.29"},
		{"Hops: any peer without TRUSTED_PROXIES", byCount, "203.0.113.9:1", []string{"198.51.100.7, 104.22.17.40"}, "198.51.100.7"},
		{"hops with TRUSTED_PROXIES: a trusted peer", gated, "10.0.0.5:443", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"hops with TRUSTED_PROXIES: an untrusted peer", gated, "203.0.113.9:1", []string{"198.51.100.7"}, "203.0.113.9"},
		{"hops with TRUSTED_PROXIES: the count decides", gated, "10.0.0.5:443", []string{"198.51.100.7, 10.0.0.6"}, "10.0.0.6"},
	} {
		if got := tc.clients.Resolve(tc.remote, tc.forwarded); got != tc.want {
			t.Errorf("%s: resolve(%q, %q) = %q; want %q", tc.name, tc.remote, tc.forwarded, got, tc.want)
		}
	}
}
