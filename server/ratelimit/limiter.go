package server

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// limiter is a token bucket per client, forgotten after a quiet while.
type limiter struct {
	every   rate.Limit
	burst   int
	mu      sync.Mutex
	buckets *expirable.LRU[string, *rate.Limiter]
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	// A bucket left alone this long is full again, so forgetting it loses
	// nothing.
	idle := time.Duration(float64(burst)/perSecond*float64(time.Second)) + time.Minute
	return &limiter{every: rate.Limit(perSecond), burst: burst,
		buckets: expirable.NewLRU[string, *rate.Limiter](100_000, nil, idle)}
}

// allow takes a token for client, or says how long until one is free.
func (l *limiter) allow(client string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	key := bucketKey(client)
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

// bucketKey groups IPv6 clients by /64, the block one subscriber holds, so
// that walking through its addresses does not buy more requests.
func bucketKey(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil || a.Is4() {
		return client
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// limits holds the general bucket and the stricter one for auth.
type limits struct {
	clients clients
	general *limiter
	auth    *limiter
}

func (l *limits) forMethod(method string) *limiter {
	if strings.HasPrefix(method, "/"+hmbv1.AuthService_ServiceDesc.ServiceName+"/") {
		return l.auth
	}
	return l.general
}

// probePaths are polled by load balancers: never limited.
var probePaths = map[string]bool{"/live": true, "/health": true, "/ready": true, "/ready/db": true}

// withRateLimit answers 429 with Retry-After to a client over its bucket.
// It records the client's address for the services behind the gateway.
func (l *limits) withRateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := l.clients.resolve(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
		if call, ok := r.Context().Value(gatewayCallKey{}).(*gatewayCall); ok {
			call.client = client
		}
		bucket := l.general
		if strings.HasPrefix(r.URL.Path, "/api/v1/auth/") {
			bucket = l.auth
		}
		if !probePaths[r.URL.Path] {
			if ok, wait := bucket.allow(client); !ok {
				st, _ := toStatus(rateLimited(wait))
				writeStatus(w, r, st.Err())
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimited is the refusal of a client over its bucket, for either
// transport: 429 with Retry-After, or RESOURCE_EXHAUSTED with RetryInfo.
func rateLimited(wait time.Duration) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &domain.Error{Kind: domain.ErrResourceExhausted, Reason: "RATE_LIMITED", RetryAfter: wait,
		Message: "too many requests from this client; retry after " + strconv.Itoa(secs) + " s"}
}

type clientCtxKey struct{}

// clientIP returns the caller's address as clientUnary resolved it.
func clientIP(ctx context.Context) string {
	c, _ := ctx.Value(clientCtxKey{}).(string)
	return c
}

// withClient resolves the caller's address into ctx: for REST, as the HTTP
// side resolved it; for gRPC, from the peer and trusted proxies.
func (l *limits) withClient(ctx context.Context) context.Context {
	var client string
	if fromGateway(ctx) {
		if call := outerCall(ctx); call != nil {
			client = call.client
		}
	} else {
		client = l.clients.grpcClient(ctx)
	}
	return context.WithValue(ctx, clientCtxKey{}, client)
}

func (l *limits) clientUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(l.withClient(ctx), req)
}

func (l *limits) clientStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &contextStream{ServerStream: ss, ctx: l.withClient(ss.Context())})
}

// rateLimitUnary limits gRPC clients on the network; REST calls were
// limited before the gateway, and probes never are.
func (l *limits) rateLimitUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := l.limitCall(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// rateLimitStream limits the streams gRPC clients open as rateLimitUnary
// limits calls: each stream takes a token when it starts.
func (l *limits) rateLimitStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := l.limitCall(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

// limitCall takes a token for a network gRPC call or stream of method.
func (l *limits) limitCall(ctx context.Context, method string) error {
	if fromGateway(ctx) || isProbe(method) {
		return nil
	}
	if ok, wait := l.forMethod(method).allow(clientIP(ctx)); !ok {
		return rateLimited(wait)
	}
	return nil
}

func isProbe(method string) bool {
	service, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	return probeServices[service]
}
