package ratelimit

import (
	"iter"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// Clients resolves who is calling: the connection's peer, unless the peer
// is a trusted proxy; then an address from X-Forwarded-For, read from the
// right, since each proxy appends the address it was reached from and only
// the entries trusted proxies wrote can be believed:
//   - by address (TRUSTED_PROXIES alone): the nearest entry that is not
//     itself a trusted proxy;
//   - by count (TRUSTED_PROXY_HOPS): the entry that many from the right,
//     for platforms whose proxies' addresses are not published. Then every
//     peer is a proxy, unless TRUSTED_PROXIES names the ones that are.
//
// A client cannot dodge a limit by sending its own X-Forwarded-For: what it
// sends lies left of what the proxies appended and is never reached.
type Clients struct {
	Trusted []netip.Prefix
	Hops    int
	// Ignored notes X-Forwarded-For from peers that are not trusted; nil
	// notes nothing.
	Ignored *IgnoredForwards
}

func (c Clients) isTrusted(a netip.Addr) bool {
	for _, p := range c.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerTrusted reports whether the connection's peer may say whom it
// forwards for.
func (c Clients) peerTrusted(a netip.Addr) bool {
	if c.Hops > 0 && len(c.Trusted) == 0 {
		return true
	}
	return c.isTrusted(a)
}

// Resolve returns the client's address given the connection's peer
// ("host:port" or a bare address) and the X-Forwarded-For values received,
// in order: several headers read as one list.
func (c Clients) Resolve(remote string, forwarded []string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap().WithZone("")
	if !c.peerTrusted(addr) {
		c.Ignored.note(addr, forwarded)
		return addr.String()
	}
	read := 0
	for entry := range forwardedFromRight(forwarded) {
		if c.Hops > 0 && read == c.Hops {
			break
		}
		hop, ok := parseForwarded(entry)
		if !ok {
			// Garbage where a proxy's entry should be: the last good
			// address is the best-known client.
			break
		}
		addr, read = hop, read+1
		if c.Hops == 0 && !c.isTrusted(addr) {
			break
		}
	}
	// Fewer entries than hops: the request took a shorter way in (from
	// inside the platform, say), and the farthest address a proxy recorded
	// is the client.
	return addr.String()
}

// forwardedFromRight yields X-Forwarded-For entries nearest first: the last
// header's last entry, then leftwards. Empty list elements are skipped, as
// HTTP's list syntax says. Nothing is split that is not read.
func forwardedFromRight(values []string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := len(values) - 1; i >= 0; i-- {
			rest := values[i]
			for rest != "" {
				entry := rest
				if j := strings.LastIndexByte(rest, ','); j >= 0 {
					entry, rest = rest[j+1:], rest[:j]
				} else {
					rest = ""
				}
				if entry = strings.TrimSpace(entry); entry != "" && !yield(entry) {
					return
				}
			}
		}
	}
}

// parseForwarded reads one X-Forwarded-For entry: an address, or an address
// and port as some load balancers write it (203.0.113.7:5000,
// [2001:db8::7]:443). IPv4-mapped addresses count as IPv4 and zones are
// dropped, so that a client has one spelling.
func parseForwarded(entry string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(entry)
	if err != nil {
		ap, perr := netip.ParseAddrPort(entry)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// ignoredWarnEvery spaces the warnings about ignored X-Forwarded-For: the
// first one tells the operator; repeating it on every request would drown
// the log.
const ignoredWarnEvery = time.Hour

// IgnoredForwards counts requests whose X-Forwarded-For was ignored because
// their peer is no trusted proxy, and warns about them now and then. Behind
// an untrusted platform proxy every client shares that proxy's rate limits.
type IgnoredForwards struct {
	log      *slog.Logger // nil: count only
	count    func()       // nil: warn only
	lastWarn atomic.Int64 // unix nanoseconds of the last warning
}

// NewIgnoredForwards warns on log and counts with count, either of which
// may be nil; it returns nil, which notes nothing, if both are.
func NewIgnoredForwards(log *slog.Logger, count func()) *IgnoredForwards {
	if log == nil && count == nil {
		return nil
	}
	return &IgnoredForwards{log: log, count: count}
}

// note records that the peer sent X-Forwarded-For values.
func (f *IgnoredForwards) note(peer netip.Addr, forwarded []string) {
	if f == nil {
		return
	}
	var nearest string
	for entry := range forwardedFromRight(forwarded) {
		nearest = entry
		break
	}
	if nearest == "" {
		return
	}
	if f.count != nil {
		f.count()
	}
	if f.log == nil {
		return
	}
	now, last := time.Now().UnixNano(), f.lastWarn.Load()
	if (last != 0 && now-last < int64(ignoredWarnEvery)) || !f.lastWarn.CompareAndSwap(last, now) {
		return
	}
	// The header is the client's to fill: only its nearest entry is shown,
	// and clipped.
	const shown = 64
	if len(nearest) > shown {
		nearest = nearest[:shown] + "…"
	}
	f.log.Warn("X-Forwarded-For from a peer that is not a trusted proxy was ignored",
		slog.String("peer", peer.String()), slog.String("nearest_entry", nearest),
		slog.String("hint", "if "+peer.String()+" is your load balancer or platform proxy, set TRUSTED_PROXIES to its address "+
			"or a preset (private, loopback, cloudflare), or TRUSTED_PROXY_HOPS to the number of proxies in front "+
			"(2 on Render); until then every client behind it shares one rate limit and sign-in slow-down"),
		slog.Duration("repeats_at_most_every", ignoredWarnEvery))
}
