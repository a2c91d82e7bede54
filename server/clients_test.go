package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// The test's stand-ins for a proxy and for a host that is not one: other
// loopback addresses than the service's own 127.0.0.1, which Linux routes.
const (
	proxyAddr    = "127.0.0.2"
	strangerAddr = "127.0.0.3"
)

// peerClients are REST and gRPC clients of s whose connections come from
// local, so that the service sees it as their peer.
type peerClients struct {
	http *http.Client
	jobs hmbv1.JobServiceClient
}

func clientsFrom(t *testing.T, s *servertest.Service, local string) peerClients {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	conn, err := grpc.NewClient(s.App.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	transport := &http.Transport{DialContext: dialer.DialContext}
	t.Cleanup(transport.CloseIdleConnections)
	return peerClients{http: &http.Client{Transport: transport, Timeout: 10 * time.Second}, jobs: hmbv1.NewJobServiceClient(conn)}
}

// restList lists jobs over REST with each of forwarded as an
// X-Forwarded-For header line, and returns the status.
func (p peerClients) restList(t *testing.T, s *servertest.Service, requestID string, forwarded ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.Base+"/api/v1/jobs", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range forwarded {
		req.Header.Add("X-Forwarded-For", f)
	}
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// grpcList lists jobs over gRPC with each of forwarded as an
// x-forwarded-for metadata value, and returns the code.
func (p peerClients) grpcList(requestID string, forwarded ...string) codes.Code {
	md := metadata.MD{}
	for _, f := range forwarded {
		md.Append("x-forwarded-for", f)
	}
	if requestID != "" {
		md.Set("x-request-id", requestID)
	}
	_, err := p.jobs.ListJobs(metadata.NewOutgoingContext(context.Background(), md), &hmbv1.ListJobsRequest{})
	return status.Code(err)
}

// clientOf returns the client address the request's log line names.
func clientOf(t *testing.T, s *servertest.Service, requestID string) string {
	t.Helper()
	var client string
	servertest.Eventually(t, 10*time.Second, "the log line of request "+requestID, func() bool {
		for _, rec := range s.Logs.Lines("request") {
			if rec["request_id"] == requestID {
				client, _ = rec["client"].(string)
				return true
			}
		}
		return false
	})
	return client
}

// TestClientAddress resolves callers' addresses over real sockets, REST
// and gRPC alike, from a trusted proxy and from a host that is not one,
// with X-Forwarded-For forged and not.
func TestClientAddress(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	byAddress := servertest.Config(url)
	byAddress.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(proxyAddr + "/32")}
	byCount := servertest.Config(url)
	byCount.TrustedProxyHops = 2
	services := map[string]*servertest.Service{"by address": servertest.Start(t, byAddress), "by count": servertest.Start(t, byCount)}
	var n atomic.Int64
	for _, tc := range []struct {
		service, peer string
		forwarded     []string
		want          string
	}{
		{"by address", strangerAddr, nil, strangerAddr},
		{"by address", strangerAddr, []string{"198.51.100.7"}, strangerAddr},
		{"by address", proxyAddr, nil, proxyAddr},
		{"by address", proxyAddr, []string{"198.51.100.7"}, "198.51.100.7"},
		{"by address", proxyAddr, []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"by address", proxyAddr, []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
		{"by address", proxyAddr, []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"by address", proxyAddr, []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"by address", proxyAddr, []string{"198.51.100.7, garbage"}, proxyAddr},
		// Render: the client, then the Cloudflare edge that reached
		// Render's proxy; what the client sent lies further left.
		{"by count", strangerAddr, []string{"99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"by count", strangerAddr, []string{"6.6.6.6, 99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"by count", strangerAddr, []string{"6.6.6.6", "99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"by count", strangerAddr, []string{"104.22.17.40"}, "104.22.17.40"},
		{"by count", strangerAddr, nil, strangerAddr},
	} {
		s := services[tc.service]
		p := clientsFrom(t, s, tc.peer)
		id := fmt.Sprintf("rest-%d", n.Add(1))
		if code := p.restList(t, s, id, tc.forwarded...); code != http.StatusOK {
			t.Fatalf("%s, REST from %s: %d", tc.service, tc.peer, code)
		}
		if got := clientOf(t, s, id); got != tc.want {
			t.Errorf("%s, REST from %s with X-Forwarded-For %q: client %q; want %q", tc.service, tc.peer, tc.forwarded, got, tc.want)
		}
		id = fmt.Sprintf("grpc-%d", n.Add(1))
		if code := p.grpcList(id, tc.forwarded...); code != codes.OK {
			t.Fatalf("%s, gRPC from %s: %v", tc.service, tc.peer, code)
		}
		if got := clientOf(t, s, id); got != tc.want {
			t.Errorf("%s, gRPC from %s with x-forwarded-for %q: client %q; want %q", tc.service, tc.peer, tc.forwarded, got, tc.want)
		}
	}
}

// TestRateLimitBehindProxy: behind a platform's proxy trusted by hop count
// (Render's: Cloudflare's edge, then the proxy), each client it forwards for
// has its own bucket, though all come through one edge address and one
// proxy; a client that forges X-Forwarded-For stays in its own; and a host
// that is not the proxy is one client whatever it sends.
func TestRateLimitBehindProxy(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.RateLimit, cfg.RateBurst = 0.01, 2
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(proxyAddr + "/32")}
	cfg.TrustedProxyHops = 2
	s := servertest.Start(t, cfg)
	proxy, stranger := clientsFrom(t, s, proxyAddr), clientsFrom(t, s, strangerAddr)

	// What the proxies append: the client's address, then the edge's.
	const edge = ", 104.22.17.40"
	for _, tc := range []struct {
		name string
		// Each sends a request for one client and reports whether it
		// was limited.
		first, second func() bool
	}{
		{"REST",
			func() bool { return proxy.restList(t, s, "", "198.51.100.1"+edge) == http.StatusTooManyRequests },
			func() bool { return proxy.restList(t, s, "", "198.51.100.2"+edge) == http.StatusTooManyRequests }},
		{"gRPC",
			func() bool { return proxy.grpcList("", "198.51.100.3"+edge) == codes.ResourceExhausted },
			func() bool { return proxy.grpcList("", "198.51.100.4"+edge) == codes.ResourceExhausted }},
	} {
		for i := range 2 {
			if tc.first() {
				t.Fatalf("%s: the first client's request %d within its burst was limited", tc.name, i+1)
			}
		}
		if !tc.first() {
			t.Errorf("%s: the first client was not limited after its burst", tc.name)
		}
		if tc.second() {
			t.Errorf("%s: a second client behind the same proxy shares the first one's bucket", tc.name)
		}
	}
	// Forged entries, in the same header line or another, lie left of the
	// proxies' and change nothing.
	for _, forged := range [][]string{{"203.0.113.50, 198.51.100.1" + edge}, {"203.0.113.51", "198.51.100.1" + edge}} {
		if code := proxy.restList(t, s, "", forged...); code != http.StatusTooManyRequests {
			t.Errorf("REST with X-Forwarded-For %q escaped the first client's bucket: %d", forged, code)
		}
	}
	if code := proxy.grpcList("", "203.0.113.52", "198.51.100.3"+edge); code != codes.ResourceExhausted {
		t.Errorf("gRPC with a forged x-forwarded-for escaped the client's bucket: %v", code)
	}
	// A host that is not the proxy is its own client, whatever it claims.
	var got []int
	for _, claim := range []string{"192.0.2.1" + edge, "192.0.2.2" + edge, "192.0.2.3" + edge} {
		got = append(got, stranger.restList(t, s, "", claim))
	}
	if got[2] != http.StatusTooManyRequests {
		t.Errorf("X-Forwarded-For from a host that is not the proxy made new clients: %v", got)
	}
}

// TestIgnoredForwardedWarning: in production, X-Forwarded-For from a peer
// that is not trusted is reported once (then at most hourly), naming the
// peer and the settings, never with the header in full; each such request
// is counted. In development nothing is logged.
func TestIgnoredForwardedWarning(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	const msg = "X-Forwarded-For from a peer that is not a trusted proxy was ignored"
	cfg := servertest.Config(url)
	cfg.Env = "production"
	cfg.MetricsAddr = "127.0.0.1:0"
	s := servertest.Start(t, cfg)
	stranger := clientsFrom(t, s, strangerAddr)
	long := "198.51.100.1, " + strings.Repeat("9", 4000) + "-tail"
	if code := stranger.restList(t, s, "", long); code != http.StatusOK {
		t.Fatalf("REST: %d", code)
	}
	for _, claim := range []string{"198.51.100.2", "198.51.100.3"} {
		if code := stranger.restList(t, s, "", claim); code != http.StatusOK {
			t.Fatalf("REST: %d", code)
		}
		if code := stranger.grpcList("", claim); code != codes.OK {
			t.Fatalf("gRPC: %v", code)
		}
	}
	if code := stranger.restList(t, s, ""); code != http.StatusOK { // no header: nothing to report
		t.Fatalf("REST: %d", code)
	}
	lines := s.Logs.Lines(msg)
	if len(lines) != 1 {
		t.Fatalf("%d warnings; want 1:\n%s", len(lines), s.Logs.String())
	}
	w := lines[0]
	hint, _ := w["hint"].(string)
	if w["level"] != "WARN" || w["peer"] != strangerAddr || !strings.Contains(hint, "TRUSTED_PROXIES") || !strings.Contains(hint, "TRUSTED_PROXY_HOPS") {
		t.Errorf("warning %v: want level WARN, peer %s and a hint naming TRUSTED_PROXIES and TRUSTED_PROXY_HOPS", w, strangerAddr)
	}
	for _, line := range strings.Split(s.Logs.String(), "\n") {
		if strings.Contains(line, "-tail") || strings.Contains(line, strings.Repeat("9", 100)) {
			t.Errorf("a log line carries the header in full: %.300s…", line)
		}
	}
	fams := servertest.Scrape(t, "http://"+s.App.MetricsAddr().String()+"/metrics")
	if m := fams.Find(t, "forwarded_for_ignored_total", nil); m == nil || m.GetCounter().GetValue() != 5 {
		t.Errorf("forwarded_for_ignored_total = %v; want 5", m.GetCounter())
	}

	dev := servertest.Start(t, servertest.Config(url))
	if code := clientsFrom(t, dev, strangerAddr).restList(t, dev, "", "198.51.100.1"); code != http.StatusOK {
		t.Fatalf("REST: %d", code)
	}
	if lines := dev.Logs.Lines(msg); len(lines) != 0 {
		t.Errorf("development warned: %v", lines)
	}
}
