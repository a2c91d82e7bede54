// Package config reads the service's settings from the environment, with a
// command-line flag mirroring each variable, and checks them before anything
// starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/hiremebahamas/api/domain"
)

// Config is every setting the binary reads. Zero values are never used: Load
// fills in the defaults.
type Config struct {
	Env      string // "development" or "production"
	LogLevel slog.Level

	Host     string // interface to listen on; empty means all
	Port     int    // REST and gRPC share this port
	GRPCPort int    // optional extra listener for gRPC only; 0 means none
	// MetricsAddr is the admin listener for /metrics and /debug/pprof, kept
	// off the public port; empty means none.
	MetricsAddr string
	// Tracing is set when the standard OTEL_* variables ask for traces to be
	// exported (see tracingRequested); the exporter, sampler and resource are
	// then read from those variables by the OpenTelemetry SDK.
	Tracing bool

	DatabaseURL string
	// DatabaseDirectURL reaches the same database without a pooler in
	// between, for what a transaction-mode pooler cannot carry: migrations'
	// session lock and LISTEN. Empty: DatabaseURL is used for migrations.
	DatabaseDirectURL string
	DBMinConns        int
	DBMaxConns        int
	DBConnectTimeout  time.Duration
	DBCheckTimeout    time.Duration
	MigrateOnStart    bool
	// CacheInvalidation is how an instance learns of other instances' writes
	// to jobs: "auto" listens for the database's notifications where a
	// notification sent through the pool arrives, and polls otherwise;
	// "poll" always polls.
	CacheInvalidation string

	JWTSecretKey string
	// JWTPreviousKeys still verify tokens after a rotation.
	JWTPreviousKeys []string
	FrontendURL     string

	// Browsers may call from FrontendURL, AllowedOrigins (exact origins)
	// and origins matching AllowedOriginPattern (one * wildcard, e.g. for
	// preview deployments). With none of them, which only development
	// allows, the server takes the local dev servers' origins.
	AllowedOrigins       []string
	AllowedOriginPattern string
	// The refresh cookie's SameSite ("lax", "strict" or "none"), Domain
	// (empty: host-only) and Partitioned (CHIPS) attributes. It is always
	// Secure and HttpOnly, so None and Partitioned never lack the Secure
	// that browsers demand of them.
	RefreshCookieSameSite    string
	RefreshCookieDomain      string
	RefreshCookiePartitioned bool
	// TrustedProxies may say, in X-Forwarded-For, whom they forward for;
	// presets are expanded into their blocks.
	TrustedProxies []netip.Prefix
	// TrustedProxyHops, when above 0, is the number of proxies in front of
	// the service, each appending the address it was reached from: the
	// client is that many X-Forwarded-For entries from the right. Then
	// TrustedProxies, if set, names the peers whose header is read at all.
	TrustedProxyHops int
	// Per-client token buckets: requests per second and burst; auth routes
	// have their own, stricter one. A zero rate turns a limit off.
	RateLimit     float64
	RateBurst     int
	AuthRateLimit float64
	AuthRateBurst int
	// RateLimitOffAllowed lets production run with a limit turned off, for
	// a deployment whose edge limits clients instead.
	RateLimitOffAllowed bool

	AccessTokenTTL     time.Duration
	RefreshIdleTTL     time.Duration
	RefreshAbsoluteTTL time.Duration
	LoginWindow        time.Duration
	LoginMaxFailures   int
	LoginMaxPerAddress int
	// LoginAddressInterval spaces the sign-in attempts of a client address
	// over LoginMaxPerAddress: it is slowed down, never locked out, since
	// everyone behind one proxy shares its address.
	LoginAddressInterval time.Duration

	RequestTimeout    time.Duration
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	DrainDelay        time.Duration
	ShutdownTimeout   time.Duration
	MaxBodyBytes      int
	GRPCMaxMsgBytes   int

	// ReadTimeout bounds the time a client takes to send a whole request:
	// a REST request's headers and body, a gRPC call's request message.
	ReadTimeout time.Duration
	// GRPCIdleTimeout closes gRPC connections without calls for this long.
	GRPCIdleTimeout time.Duration
	// GRPCMaxConnectionAge asks gRPC clients (GOAWAY) to reconnect after
	// this long, so that long-lived clients spread onto replicas added
	// since they connected; calls still open then get
	// GRPCMaxConnectionAgeGrace to finish.
	GRPCMaxConnectionAge      time.Duration
	GRPCMaxConnectionAgeGrace time.Duration
	// MaxConnections bounds the open connections of each listener.
	MaxConnections int
}

// Production reports whether the service runs with production safeguards.
func (c Config) Production() bool { return c.Env == "production" }

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

// DefaultPort is where serve listens without PORT.
const DefaultPort = 8080

// MinSecretBytes is the shortest JWT_SECRET_KEY accepted in production: the
// size of an HS256 key.
const MinSecretBytes = 32

// Load reads the environment through getenv, then flags from args, which
// override it. Command "migrate" needs only the database settings; "serve"
// needs the rest too and, in production, strong secrets.
func Load(command string, args []string, getenv func(string) string) (Config, error) {
	c := Config{
		Env:               "development",
		LogLevel:          slog.LevelInfo,
		Port:              DefaultPort,
		DBMinConns:        5,
		DBMaxConns:        15,
		DBConnectTimeout:  5 * time.Second,
		DBCheckTimeout:    2 * time.Second,
		CacheInvalidation: "auto",
		RequestTimeout:    120 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       5 * time.Second,
		GRPCIdleTimeout:   5 * time.Minute,
		MaxConnections:    4096,
		DrainDelay:        5 * time.Second,
		ShutdownTimeout:   30 * time.Second,
		MaxBodyBytes:      1 << 20,
		GRPCMaxMsgBytes:   4 << 20,

		GRPCMaxConnectionAge:      5 * time.Minute,
		GRPCMaxConnectionAgeGrace: 30 * time.Second,

		RateLimit:     20,
		RateBurst:     60,
		AuthRateLimit: 1,
		AuthRateBurst: 20,

		AccessTokenTTL:     15 * time.Minute,
		RefreshIdleTTL:     7 * 24 * time.Hour,
		RefreshAbsoluteTTL: 30 * 24 * time.Hour,
		LoginWindow:        15 * time.Minute,
		LoginMaxFailures:   5,
		LoginMaxPerAddress: 50,

		LoginAddressInterval: time.Second,

		RefreshCookieSameSite: "lax",
	}
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	r := reader{fs: fs, getenv: getenv}
	var previousKeys, origins, proxies string

	r.str(&c.Env, "env", "ENV", "development or production")
	r.level(&c.LogLevel, "log-level", "LOG_LEVEL", "debug, info, warn or error")
	r.secret(&c.DatabaseURL, "database-url", "DATABASE_URL", "PostgreSQL connection URL")
	r.secret(&c.DatabaseDirectURL, "database-direct-url", "DATABASE_DIRECT_URL", "direct (unpooled) URL of the same database, for migrations and notifications (empty: DATABASE_URL)")
	r.integer(&c.DBMinConns, "db-min-conns", "DB_MIN_CONNS", "connections the pool keeps open")
	r.integer(&c.DBMaxConns, "db-max-conns", "DB_MAX_CONNS", "most connections the pool opens")
	r.duration(&c.DBConnectTimeout, "db-connect-timeout", "DB_CONNECT_TIMEOUT", "time allowed to open one connection")
	if command == "serve" {
		r.str(&c.Host, "host", "HOST", "interface to listen on (empty: all)")
		r.integer(&c.Port, "port", "PORT", "port for REST and gRPC")
		r.integer(&c.GRPCPort, "grpc-port", "GRPC_PORT", "optional extra port for gRPC only (0: none)")
		r.str(&c.MetricsAddr, "metrics-addr", "METRICS_ADDR", "admin address serving /metrics and /debug/pprof, e.g. 127.0.0.1:9464 (empty: none)")
		c.Tracing = tracingRequested(r.env)
		r.duration(&c.DBCheckTimeout, "db-check-timeout", "DB_CHECK_TIMEOUT", "time allowed for the database readiness check")
		r.boolean(&c.MigrateOnStart, "migrate", "MIGRATE_ON_START", "apply pending migrations before serving data")
		r.str(&c.CacheInvalidation, "cache-invalidation", "CACHE_INVALIDATION", "how other instances' writes reach the board cache: auto (LISTEN where it works, else polling) or poll")
		r.secret(&c.JWTSecretKey, "jwt-secret-key", "JWT_SECRET_KEY", "key that signs access tokens")
		r.secret(&previousKeys, "jwt-previous-secret-keys", "JWT_PREVIOUS_SECRET_KEYS", "comma-separated earlier signing keys, still accepted")
		r.str(&c.FrontendURL, "frontend-url", "FRONTEND_URL", "origin of the web frontend")
		r.str(&origins, "allowed-origins", "ALLOWED_ORIGINS", "comma-separated further origins browsers may call from")
		r.str(&c.AllowedOriginPattern, "allowed-origin-pattern", "ALLOWED_ORIGIN_PATTERN", "origins with one * wildcard browsers may call from, e.g. https://*.preview.example.com")
		r.str(&c.RefreshCookieSameSite, "refresh-cookie-samesite", "REFRESH_COOKIE_SAMESITE", "SameSite of the refresh cookie: lax, strict, or none for a frontend on another site")
		r.str(&c.RefreshCookieDomain, "refresh-cookie-domain", "REFRESH_COOKIE_DOMAIN", "Domain of the refresh cookie (empty: the API's host only)")
		r.boolean(&c.RefreshCookiePartitioned, "refresh-cookie-partitioned", "REFRESH_COOKIE_PARTITIONED", "mark the refresh cookie Partitioned (CHIPS), for browsers that block third-party cookies")
		r.str(&proxies, "trusted-proxies", "TRUSTED_PROXIES", "comma-separated addresses, CIDRs or presets (private, loopback, cloudflare) of proxies whose X-Forwarded-For is believed")
		r.integer(&c.TrustedProxyHops, "trusted-proxy-hops", "TRUSTED_PROXY_HOPS", "proxies in front of the service; the client is that many X-Forwarded-For entries from the right (0: off)")
		r.number(&c.RateLimit, "rate-limit", "RATE_LIMIT", "requests per second per client (0: no limit)")
		r.integer(&c.RateBurst, "rate-burst", "RATE_BURST", "requests a client may make at once above the rate")
		r.number(&c.AuthRateLimit, "auth-rate-limit", "AUTH_RATE_LIMIT", "sign-in, registration and refresh requests per second per client (0: no limit)")
		r.integer(&c.AuthRateBurst, "auth-rate-burst", "AUTH_RATE_BURST", "auth requests a client may make at once above the rate")
		r.boolean(&c.RateLimitOffAllowed, "rate-limit-off-allowed", "RATE_LIMIT_OFF_ALLOWED", "let production run with RATE_LIMIT or AUTH_RATE_LIMIT at 0")
		r.duration(&c.AccessTokenTTL, "access-token-ttl", "ACCESS_TOKEN_TTL", "lifetime of access tokens")
		r.duration(&c.RefreshIdleTTL, "refresh-idle-ttl", "REFRESH_IDLE_TTL", "a refresh token expires if unused this long")
		r.duration(&c.RefreshAbsoluteTTL, "refresh-absolute-ttl", "REFRESH_ABSOLUTE_TTL", "a session ends this long after sign-in")
		r.duration(&c.LoginWindow, "login-window", "LOGIN_WINDOW", "window in which failed sign-ins are counted")
		r.integer(&c.LoginMaxFailures, "login-max-failures", "LOGIN_MAX_FAILURES", "failed sign-ins per account in the window before a lockout")
		r.integer(&c.LoginMaxPerAddress, "login-max-per-address", "LOGIN_MAX_PER_ADDRESS", "failed sign-ins per client address in the window before its attempts are spaced out (0: never)")
		r.duration(&c.LoginAddressInterval, "login-address-interval", "LOGIN_ADDRESS_INTERVAL", "time between sign-in attempts of a client address over LOGIN_MAX_PER_ADDRESS")
		r.duration(&c.RequestTimeout, "request-timeout", "REQUEST_TIMEOUT", "longest time one request may take")
		r.duration(&c.ReadHeaderTimeout, "read-header-timeout", "READ_HEADER_TIMEOUT", "time allowed to send request headers")
		r.duration(&c.ReadTimeout, "read-timeout", "READ_TIMEOUT", "time allowed to send a whole request: REST headers and body, a gRPC request message")
		r.duration(&c.IdleTimeout, "idle-timeout", "IDLE_TIMEOUT", "how long an idle keep-alive connection stays open")
		r.duration(&c.GRPCIdleTimeout, "grpc-idle-timeout", "GRPC_IDLE_TIMEOUT", "how long a gRPC connection without calls stays open")
		r.duration(&c.GRPCMaxConnectionAge, "grpc-max-connection-age", "GRPC_MAX_CONNECTION_AGE", "how long a gRPC connection lives before the client is asked to reconnect")
		r.duration(&c.GRPCMaxConnectionAgeGrace, "grpc-max-connection-age-grace", "GRPC_MAX_CONNECTION_AGE_GRACE", "time calls still open on a gRPC connection past its age get to finish")
		r.integer(&c.MaxConnections, "max-connections", "MAX_CONNECTIONS", "most connections open at once on each port")
		r.duration(&c.DrainDelay, "drain-delay", "DRAIN_DELAY", "time between reporting NOT_SERVING and closing listeners")
		r.duration(&c.ShutdownTimeout, "shutdown-timeout", "SHUTDOWN_TIMEOUT", "grace period for requests in flight at shutdown")
		r.integer(&c.MaxBodyBytes, "max-body-bytes", "MAX_BODY_BYTES", "largest REST request body")
		r.integer(&c.GRPCMaxMsgBytes, "grpc-max-msg-bytes", "GRPC_MAX_MSG_BYTES", "largest gRPC request message")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	c.JWTPreviousKeys = list(previousKeys)
	c.AllowedOrigins = list(origins)
	c.RefreshCookieSameSite = strings.ToLower(c.RefreshCookieSameSite)
	// Browsers ignore a leading dot; without it the value compares as a host.
	c.RefreshCookieDomain = strings.TrimPrefix(strings.ToLower(c.RefreshCookieDomain), ".")
	c.TrustedProxies, r.errs = parseProxies(list(proxies), r.errs)
	if fs.NArg() > 0 {
		r.errs = append(r.errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	r.errs = append(r.errs, c.validate(command, getenv)...)
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
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

// tracingRequested applies the rule that turns tracing on: the SDK is not
// disabled (OTEL_SDK_DISABLED), and either OTEL_TRACES_EXPORTER names an
// exporter other than "none", or an OTLP endpoint is set for traces
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), the
// exporter then being OTLP. Without any of them nothing is traced, so an
// unconfigured instance never tries to reach a collector.
func tracingRequested(env func(string) (string, bool)) bool {
	if v, _ := env("OTEL_SDK_DISABLED"); strings.EqualFold(v, "true") {
		return false
	}
	if v, ok := env("OTEL_TRACES_EXPORTER"); ok {
		return v != "none"
	}
	_, general := env("OTEL_EXPORTER_OTLP_ENDPOINT")
	_, traces := env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	return general || traces
}

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
	if command != "serve" {
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

// list splits a comma-separated setting, dropping blanks.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
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

// reader registers each setting as a flag whose default comes from the
// environment, collecting malformed environment values as errors.
type reader struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
}

func (r *reader) env(name string) (string, bool) {
	v := strings.TrimSpace(r.getenv(name))
	return v, v != ""
}

func (r *reader) str(p *string, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		*p = v
	}
	r.fs.StringVar(p, flagName, *p, usage+" ($"+env+")")
}

// secret is str for values that must not appear in -h output.
func (r *reader) secret(p *string, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		*p = v
	}
	r.fs.Var((*secretValue)(p), flagName, usage+" ($"+env+")")
}

// secretValue is a string flag that prints as empty.
type secretValue string

func (s *secretValue) String() string     { return "" }
func (s *secretValue) Set(v string) error { *s = secretValue(v); return nil }

func (r *reader) integer(p *int, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a whole number", env, v))
		}
		*p = n
	}
	r.fs.IntVar(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) number(p *float64, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a number", env, v))
		}
		*p = n
	}
	r.fs.Float64Var(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) boolean(p *bool, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not true or false", env, v))
		}
		*p = b
	}
	r.fs.BoolVar(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) duration(p *time.Duration, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a duration such as 5s or 2m", env, v))
		}
		*p = d
	}
	r.fs.DurationVar(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) level(p *slog.Level, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		if err := p.UnmarshalText([]byte(v)); err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not debug, info, warn or error", env, v))
		}
	}
	r.fs.TextVar(p, flagName, *p, usage+" ($"+env+")")
}
