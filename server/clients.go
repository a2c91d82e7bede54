package server

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// clients resolves who is calling: the connection's peer, or, when the peer
// is a trusted proxy, the nearest address in X-Forwarded-For that is not
// one. A client cannot dodge a limit by sending its own X-Forwarded-For:
// entries left of the first untrusted one are never read.
type clients struct {
	trusted []netip.Prefix
}

func (c clients) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// resolve returns the client's address given the connection's peer
// ("host:port" or a bare address) and the X-Forwarded-For values received.
func (c clients) resolve(remote string, forwarded []string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if !c.isTrusted(addr) {
		return addr.String()
	}
	var hops []string
	for _, v := range forwarded {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// Garbage from beyond the last trusted hop: that hop is the
			// best-known client.
			break
		}
		addr = hop.Unmap()
		if !c.isTrusted(addr) {
			break
		}
	}
	return addr.String()
}

// grpcClient resolves a network gRPC caller's address, believing an
// x-forwarded-for sent by a trusted proxy.
func (c clients) grpcClient(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return c.resolve(p.Addr.String(), md.Get("x-forwarded-for"))
}
