package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
)

// MinSecretBytes is the shortest JWT_SECRET_KEY accepted in production: the
// size of an HS256 key.
const MinSecretBytes = 32

// weakSecrets are values that appear in tutorials and .env examples.
var weakSecrets = []string{"secret", "changeme", "change-me", "your-secret-key", "jwt-secret", "password", "development"}

// validate checks the settings command reads. getenv supplies the libpq
// variables (PGHOST, PGSSLMODE) the database driver falls back on.
func (c *Config) validate(command string, getenv func(string) string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Env != "development" && c.Env != "production" {
		bad("ENV: %q is neither development nor production", c.Env)
	}
	if c.DatabaseURL == "" {
		bad("DATABASE_URL: required")
	} else if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The URL is never echoed: it usually carries a password.
		bad("DATABASE_URL: not a postgres:// or postgresql:// URL")
	}
	if c.DatabaseDirectURL != "" {
		if u, err := url.Parse(c.DatabaseDirectURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_DIRECT_URL: not a postgres:// or postgresql:// URL")
		}
	}
	if c.DBMinConns < 0 || c.DBMaxConns < 1 || c.DBMinConns > c.DBMaxConns {
		bad("DB_MIN_CONNS, DB_MAX_CONNS: want 0 <= min <= max and max >= 1, got %d and %d", c.DBMinConns, c.DBMaxConns)
	}
	positive(&errs, "DB_CONNECT_TIMEOUT", c.DBConnectTimeout)
	if c.Production() {
		for _, db := range []struct{ name, url string }{{"DATABASE_URL", c.DatabaseURL}, {"DATABASE_DIRECT_URL", c.DatabaseDirectURL}} {
			// The URL is never echoed: it usually carries a password.
			if db.url != "" && plainTextToRemote(db.url, getenv) {
				bad("%s: in production a database on another host needs sslmode=require, verify-ca or verify-full "+
					"(the default, prefer, falls back to plain text)", db.name)
			}
		}
	}
	if command != "serve" && command != "worker" {
		return errs
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("PORT: %d is not a port number", c.Port)
	}
	if c.GRPCPort < 0 || c.GRPCPort > 65535 || (c.GRPCPort != 0 && c.GRPCPort == c.Port) {
		bad("GRPC_PORT: %d is not a port number other than PORT", c.GRPCPort)
	}
	if c.MetricsAddr != "" {
		_, p, err := net.SplitHostPort(c.MetricsAddr)
		port, perr := strconv.Atoi(p)
		switch {
		case err != nil || perr != nil || port < 0 || port > 65535:
			bad("METRICS_ADDR: %q is not host:port, such as 127.0.0.1:9464", c.MetricsAddr)
		case port != 0 && (port == c.Port || port == c.GRPCPort):
			// The admin listener must never share the public port.
			bad("METRICS_ADDR: port %d is already PORT or GRPC_PORT", port)
		}
	}
	positive(&errs, "DB_CHECK_TIMEOUT", c.DBCheckTimeout)
	if c.CacheInvalidation != "auto" && c.CacheInvalidation != "poll" {
		bad("CACHE_INVALIDATION: %q is neither auto nor poll", c.CacheInvalidation)
	}
	positive(&errs, "REQUEST_TIMEOUT", c.RequestTimeout)
	positive(&errs, "READ_HEADER_TIMEOUT", c.ReadHeaderTimeout)
	positive(&errs, "IDLE_TIMEOUT", c.IdleTimeout)
	positive(&errs, "GRPC_IDLE_TIMEOUT", c.GRPCIdleTimeout)
	positive(&errs, "GRPC_MAX_CONNECTION_AGE", c.GRPCMaxConnectionAge)
	positive(&errs, "GRPC_MAX_CONNECTION_AGE_GRACE", c.GRPCMaxConnectionAgeGrace)
	if c.ReadTimeout < c.ReadHeaderTimeout {
		bad("READ_TIMEOUT: %s is shorter than READ_HEADER_TIMEOUT (%s), which it includes", c.ReadTimeout, c.ReadHeaderTimeout)
	}
	if c.JobTimeout <= 0 || c.JobTimeout > time.Hour {
		bad("JOB_TIMEOUT: %s is outside (0, 1h]", c.JobTimeout)
	}
	if c.Workers < 0 || c.Workers > 1000 {
		bad("WORKERS: %d is outside 0 to 1000", c.Workers)
	}
	if c.MaxConnections < 16 {
		bad("MAX_CONNECTIONS: %d is below 16", c.MaxConnections)
	}
	positive(&errs, "SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	if c.DrainDelay < 0 || c.DrainDelay >= c.ShutdownTimeout {
		bad("DRAIN_DELAY: %s must be at least 0 and shorter than SHUTDOWN_TIMEOUT", c.DrainDelay)
	}
	if c.MaxBodyBytes < 1024 {
		bad("MAX_BODY_BYTES: %d is below 1024", c.MaxBodyBytes)
	}
	if c.GRPCMaxMsgBytes < 1024 {
		bad("GRPC_MAX_MSG_BYTES: %d is below 1024", c.GRPCMaxMsgBytes)
	}
	if c.FrontendURL != "" {
		if u, err := url.Parse(c.FrontendURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("FRONTEND_URL: %q is not an http(s) origin", c.FrontendURL)
		}
	}
	if c.APIURL != "" && !isOrigin(c.APIURL) {
		bad("API_URL: %q is not an origin such as https://api.hiremebahamas.com", c.APIURL)
	}
	for _, o := range c.AllowedOrigins {
		if !isOrigin(o) {
			bad("ALLOWED_ORIGINS: %q is not an origin such as https://hiremebahamas.com", o)
		}
	}
	if p := c.AllowedOriginPattern; p != "" {
		if strings.Count(p, "*") != 1 || !isOrigin(strings.Replace(p, "*", "x", 1)) {
			bad("ALLOWED_ORIGIN_PATTERN: %q is not an origin with one * wildcard", p)
		} else if problem := patternTooBroad(p); problem != "" {
			bad("ALLOWED_ORIGIN_PATTERN: %q %s", p, problem)
		}
	}
	if c.TrustedProxyHops < 0 || c.TrustedProxyHops > MaxTrustedProxyHops {
		bad("TRUSTED_PROXY_HOPS: %d; want 0 (off) to %d", c.TrustedProxyHops, MaxTrustedProxyHops)
	}
	switch c.RefreshCookieSameSite {
	case "lax", "strict", "none":
	default:
		bad("REFRESH_COOKIE_SAMESITE: %q is not lax, strict or none", c.RefreshCookieSameSite)
	}
	if d := c.RefreshCookieDomain; d != "" {
		if problem := cookieDomainProblem(d); problem != "" {
			bad("REFRESH_COOKIE_DOMAIN: %q %s", d, problem)
		}
	}
	// With None the cookie rides along on calls from every allowed origin,
	// which may then read the session the call returns: a wildcard that
	// anyone can register a site under would hand sessions to strangers.
	if p := c.AllowedOriginPattern; c.RefreshCookieSameSite == "none" && p != "" && !patternWithinSite(p) {
		bad("ALLOWED_ORIGIN_PATTERN: %q lets sites anyone can register call with the refresh cookie, which REFRESH_COOKIE_SAMESITE=none sends to them; "+
			"put the * under a domain of your own, such as https://*.preview.hiremebahamas.com", p)
	}
	if c.RateLimit < 0 || c.AuthRateLimit < 0 {
		bad("RATE_LIMIT, AUTH_RATE_LIMIT: %g and %g; want 0 (off) or more", c.RateLimit, c.AuthRateLimit)
	}
	if (c.RateLimit > 0 && c.RateBurst < 1) || (c.AuthRateLimit > 0 && c.AuthRateBurst < 1) {
		bad("RATE_BURST, AUTH_RATE_BURST: %d and %d; want at least 1 with a rate", c.RateBurst, c.AuthRateBurst)
	}
	positive(&errs, "ACCESS_TOKEN_TTL", c.AccessTokenTTL)
	positive(&errs, "REFRESH_IDLE_TTL", c.RefreshIdleTTL)
	positive(&errs, "LOGIN_WINDOW", c.LoginWindow)
	if c.RefreshAbsoluteTTL < c.RefreshIdleTTL {
		bad("REFRESH_ABSOLUTE_TTL: %s is shorter than REFRESH_IDLE_TTL", c.RefreshAbsoluteTTL)
	}
	if c.LoginMaxFailures < 1 {
		bad("LOGIN_MAX_FAILURES: %d is below 1", c.LoginMaxFailures)
	}
	if c.LoginMaxPerAddress < 0 {
		bad("LOGIN_MAX_PER_ADDRESS: %d is negative", c.LoginMaxPerAddress)
	}
	// An attempt's slot is kept as a failure in the window: a longer
	// interval would outlive it.
	if c.LoginAddressInterval <= 0 || c.LoginAddressInterval >= c.LoginWindow {
		bad("LOGIN_ADDRESS_INTERVAL: %s must be positive and shorter than LOGIN_WINDOW", c.LoginAddressInterval)
	}
	c.validateMail(bad)
	for i, k := range c.JWTPreviousKeys {
		if len(k) < MinSecretBytes || isWeak(k) {
			bad("JWT_PREVIOUS_SECRET_KEYS: key %d is shorter than %d bytes or a placeholder", i+1, MinSecretBytes)
		}
	}
	if c.Production() {
		switch {
		case c.JWTSecretKey == "":
			bad("JWT_SECRET_KEY: required in production")
		case len(c.JWTSecretKey) < MinSecretBytes:
			bad("JWT_SECRET_KEY: shorter than %d bytes", MinSecretBytes)
		case isWeak(c.JWTSecretKey):
			bad("JWT_SECRET_KEY: a well-known placeholder, not a secret")
		}
		if c.FrontendURL == "" {
			bad("FRONTEND_URL: required in production")
		} else if !strings.HasPrefix(c.FrontendURL, "https://") {
			bad("FRONTEND_URL: must be https:// in production")
		}
		// Mail clients follow List-Unsubscribe only over https (RFC 8058).
		if c.APIURL == "" {
			bad("API_URL: required in production, for the unsubscribe links in mail")
		} else if !strings.HasPrefix(c.APIURL, "https://") {
			bad("API_URL: must be https:// in production")
		}
		// A page served over plain HTTP can be rewritten on the way, and
		// would then act with the user's credentials.
		for _, o := range c.AllowedOrigins {
			if strings.HasPrefix(strings.ToLower(o), "http://") {
				bad("ALLOWED_ORIGINS: %q must be https:// in production", o)
			}
		}
		if strings.HasPrefix(strings.ToLower(c.AllowedOriginPattern), "http://") {
			bad("ALLOWED_ORIGIN_PATTERN: must be https:// in production")
		}
		if (c.RateLimit == 0 || c.AuthRateLimit == 0) && !c.RateLimitOffAllowed {
			bad("RATE_LIMIT, AUTH_RATE_LIMIT: %g and %g; 0 turns a limit off, which production refuses unless RATE_LIMIT_OFF_ALLOWED=true",
				c.RateLimit, c.AuthRateLimit)
		}
	}
	return errs
}

// validateMail checks SMTP_URL and MAIL_FROM. Production must send mail,
// and a password reset link read on the way hands over the account, so it
// must go encrypted to anything but this machine.
func (c *Config) validateMail(bad func(string, ...any)) {
	if c.SMTPURL != "" {
		// The URL is never echoed: it usually carries a password.
		if s, err := mail.ParseURL(c.SMTPURL); err != nil {
			bad("SMTP_URL: %v", err)
		} else if c.Production() && !s.Encrypted() && !isLocalHost(s.Host) {
			bad("SMTP_URL: in production mail to another host must be encrypted: smtps://, starttls:// or smtp://…?tls=required")
		}
	} else if c.Production() {
		bad("SMTP_URL: required in production, such as smtps://user:password@smtp.example.com")
	}
	if c.MailFrom == "" {
		bad("MAIL_FROM: required in production, such as \"HireMeBahamas <no-reply@hiremebahamas.com>\"")
	} else if err := mail.CheckFrom(c.MailFrom); err != nil {
		bad("MAIL_FROM: %v", err)
	}
}

// cookieDomainProblem says why browsers would refuse d as the Domain of a
// cookie, or returns "" when they would take it.
func cookieDomainProblem(d string) string {
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return "is an IP address; leave REFRESH_COOKIE_DOMAIN empty for a cookie of that host alone"
	}
	if !domain.IsHostname(d) {
		return "is not a host name such as hiremebahamas.com"
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(d); err != nil {
		return "is a public suffix, under which anyone can register a site; browsers refuse cookies for it"
	}
	return ""
}

// plainTextToRemote reports whether the postgres:// URL raw reaches a
// database on another host without insisting on TLS. Hosts and sslmode come
// from the URL (a host query parameter, which may list several, wins, as in
// libpq), else from PGHOST and PGSSLMODE; without any the driver uses a local socket or localhost,
// and prefer, which talks plain text to a server that offers no TLS.
func plainTextToRemote(raw string, getenv func(string) string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false // refused as malformed already
	}
	q := u.Query()
	hosts := q.Get("host")
	if hosts == "" {
		hosts = u.Hostname()
	}
	if hosts == "" {
		hosts = strings.TrimSpace(getenv("PGHOST"))
	}
	remote := false
	for _, h := range strings.Split(hosts, ",") {
		remote = remote || !isLocalHost(h)
	}
	if !remote {
		return false
	}
	mode := q.Get("sslmode")
	if mode == "" {
		mode = strings.TrimSpace(getenv("PGSSLMODE"))
	}
	return mode != "require" && mode != "verify-ca" && mode != "verify-full"
}

// isLocalHost reports whether a database host is this machine: empty (the
// driver's default), a unix socket directory, localhost or a loopback
// address.
func isLocalHost(h string) bool {
	if h == "" || strings.HasPrefix(h, "/") || strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

func positive(errs *[]error, name string, d time.Duration) {
	if d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s: %s is not a positive duration", name, d))
	}
}

// isWeak reports whether the secret is a placeholder or one byte repeated.
func isWeak(s string) bool {
	lower := strings.ToLower(s)
	for _, w := range weakSecrets {
		if strings.Contains(lower, w) && len(lower) < len(w)+MinSecretBytes {
			return true
		}
	}
	return strings.Count(s, s[:1]) == len(s)
}
