// Package ratelimit holds the per-client token buckets and works out who a
// client is behind trusted proxies. It knows neither gRPC nor HTTP: both
// sides of the service ask it.
package ratelimit

import (
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/hiremebahamas/api/domain"
)

// Limiter is a token bucket per client, forgotten after a quiet while.
type Limiter struct {
	every   rate.Limit
	burst   int
	mu      sync.Mutex
	buckets *expirable.LRU[string, *rate.Limiter]
}

// New returns a limiter of perSecond tokens a second per client, up to
// burst at once, or nil, which limits nothing, when perSecond is not
// positive.
func New(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	// A bucket left alone this long is full again, so forgetting it loses
	// nothing.
	idle := time.Duration(float64(burst)/perSecond*float64(time.Second)) + time.Minute
	return &Limiter{every: rate.Limit(perSecond), burst: burst,
		buckets: expirable.NewLRU[string, *rate.Limiter](100_000, nil, idle)}
}

// Allow takes a token for client, or says how long until one is free.
func (l *Limiter) Allow(client string) (bool, time.Duration) {
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

// Limits holds how clients are told apart, the general bucket and the
// stricter one for auth.
type Limits struct {
	Clients Clients
	General *Limiter
	Auth    *Limiter
}

// For returns the limiter of bucket; nil limits nothing.
func (l *Limits) For(bucket Bucket) *Limiter {
	if bucket == AuthBucket {
		return l.Auth
	}
	return l.General
}

// Bucket names the rate limit a method draws from.
type Bucket int

const (
	// GeneralBucket is every client's allowance for ordinary calls.
	GeneralBucket Bucket = iota
	// AuthBucket is the stricter allowance for signing in and up.
	AuthBucket
)

// Refusal is the refusal of a client over its bucket, for either
// transport: 429 with Retry-After, or RESOURCE_EXHAUSTED with RetryInfo.
func Refusal(wait time.Duration) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &domain.Error{Kind: domain.ErrResourceExhausted, Reason: "RATE_LIMITED", RetryAfter: wait,
		Message: "too many requests from this client; retry after " + strconv.Itoa(secs) + " s"}
}
