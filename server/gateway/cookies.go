package gateway

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/metadata"

	"github.com/hiremebahamas/api/server/rpc"
)

// The refresh cookie: the one place that knows its name, path and
// attributes. AuthService only sees the token, as rpc.RefreshTokenKey, and
// asks for the cookie to be set or cleared with rpc.SetRefreshKey and
// rpc.ClearRefreshKey; only REST callers (browsers) ever get it.
const (
	refreshCookieName = "hmb_refresh"
	refreshCookiePath = "/api/v1/auth"
)

// refreshCookie is how the refresh cookie is written. It is HttpOnly, so
// scripts cannot read it, Secure, and scoped to the auth routes that use it;
// SameSite, Domain and Partitioned are settings, since a frontend on another
// site needs SameSite=None.
type refreshCookie struct {
	sameSite    http.SameSite
	domain      string // empty: host-only
	partitioned bool
	maxAge      time.Duration
}

// CookieOptions are the refresh cookie's settings.
type CookieOptions struct {
	SameSite    string // REFRESH_COOKIE_SAMESITE: lax, strict or none
	Domain      string // REFRESH_COOKIE_DOMAIN; empty: host-only
	Partitioned bool   // REFRESH_COOKIE_PARTITIONED
	MaxAge      time.Duration
}

func newRefreshCookie(o CookieOptions) refreshCookie {
	sameSite := map[string]http.SameSite{"strict": http.SameSiteStrictMode, "none": http.SameSiteNoneMode}[o.SameSite]
	if sameSite == 0 {
		sameSite = http.SameSiteLaxMode
	}
	return refreshCookie{sameSite: sameSite, domain: o.Domain, partitioned: o.Partitioned, maxAge: o.MaxAge}
}

// apply turns the refresh-cookie instructions an RPC left in its response
// metadata into a Set-Cookie header.
func (c refreshCookie) apply(ctx context.Context, w http.ResponseWriter) {
	md, ok := gwruntime.ServerMetadataFromContext(ctx)
	if !ok {
		return
	}
	cookie := http.Cookie{Name: refreshCookieName, Path: refreshCookiePath, Domain: c.domain, HttpOnly: true, Secure: true,
		SameSite: c.sameSite, Partitioned: c.partitioned}
	// A browser drops a cookie whose Domain does not cover the host it
	// called; the API reached under another name (the platform's own
	// hostname, say) still keeps sessions with a host-only one.
	if call := requestFrom(ctx); call != nil && c.domain != "" && !domainCovers(c.domain, call.host) {
		cookie.Domain = ""
	}
	switch {
	case len(md.HeaderMD.Get(rpc.SetRefreshKey)) > 0:
		cookie.Value = md.HeaderMD.Get(rpc.SetRefreshKey)[0]
		cookie.MaxAge = int(c.maxAge.Seconds())
	case len(md.HeaderMD.Get(rpc.ClearRefreshKey)) > 0:
		// Only a cookie with the same name, Domain, Path and partition is
		// cleared, hence the same attributes.
		cookie.MaxAge = -1
	default:
		return
	}
	http.SetCookie(w, &cookie)
}

// domainCovers reports whether a cookie for domain is one a browser on
// hostport (a request's Host) keeps: hostport is the domain or under it.
func domainCovers(domain, hostport string) bool {
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = strings.ToLower(h)
	}
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// refreshTokenMetadata passes a REST caller's refresh cookie to the
// services as rpc.RefreshTokenKey, or returns nil when it sent none.
func refreshTokenMetadata(r *http.Request) metadata.MD {
	c, err := r.Cookie(refreshCookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	return metadata.Pairs(rpc.RefreshTokenKey, c.Value)
}
