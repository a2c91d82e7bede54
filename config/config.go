// Package config reads the service's settings from the environment, with a
// command-line flag mirroring each variable, and checks them before anything
// starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
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
	// APIURL is this API's public base URL, for links in mail that must
	// reach the API itself (one-click unsubscribe).
	APIURL string

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
	// Workers is how many background jobs (mail, alerts) one process works
	// at once; 0 lets `serve` insert jobs but leaves them to
	// `hiremebahamas worker` processes.
	Workers int
	// JobTimeout bounds one attempt of a background job; a job still
	// marked running twice as long after it began (its worker was killed)
	// is rescued and retried.
	JobTimeout time.Duration

	// SMTPURL is where mail goes (see mail.ParseURL); empty, which only
	// development allows, sends none.
	SMTPURL string
	// MailFrom is the sender of every mail.
	MailFrom string

	// RequireVerifiedEmail keeps employers whose email is not verified to
	// draft jobs: they may not publish. On by default in production.
	RequireVerifiedEmail bool
}

// DevMailFrom is MAIL_FROM in development when it is unset.
const DevMailFrom = "HireMeBahamas <no-reply@localhost>"

// Production reports whether the service runs with production safeguards.
func (c Config) Production() bool { return c.Env == "production" }

// DefaultPort is where serve listens without PORT.
const DefaultPort = 8080

// Load reads the environment through getenv, then flags from args, which
// override it. Command "migrate" needs only the database settings; "serve"
// and "worker" need the rest too and, in production, strong secrets.
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
		Workers:           10,
		JobTimeout:        time.Minute,
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
	var previousKeys, origins, proxies, requireVerified string

	r.str(&c.Env, "env", "ENV", "development or production")
	r.level(&c.LogLevel, "log-level", "LOG_LEVEL", "debug, info, warn or error")
	r.secret(&c.DatabaseURL, "database-url", "DATABASE_URL", "PostgreSQL connection URL")
	r.secret(&c.DatabaseDirectURL, "database-direct-url", "DATABASE_DIRECT_URL", "direct (unpooled) URL of the same database, for migrations and notifications (empty: DATABASE_URL)")
	r.integer(&c.DBMinConns, "db-min-conns", "DB_MIN_CONNS", "connections the pool keeps open")
	r.integer(&c.DBMaxConns, "db-max-conns", "DB_MAX_CONNS", "most connections the pool opens")
	r.duration(&c.DBConnectTimeout, "db-connect-timeout", "DB_CONNECT_TIMEOUT", "time allowed to open one connection")
	if command == "serve" || command == "worker" {
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
		r.str(&c.APIURL, "api-url", "API_URL", "public origin of this API, for unsubscribe links in mail (development default: http://localhost:PORT)")
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
		r.integer(&c.Workers, "workers", "WORKERS", "background jobs worked at once by this process (0: serve only inserts them)")
		r.duration(&c.JobTimeout, "job-timeout", "JOB_TIMEOUT", "longest time one attempt of a background job may take; a killed worker's job is retried after twice this")
		r.duration(&c.DrainDelay, "drain-delay", "DRAIN_DELAY", "time between reporting NOT_SERVING and closing listeners")
		r.duration(&c.ShutdownTimeout, "shutdown-timeout", "SHUTDOWN_TIMEOUT", "grace period for requests in flight at shutdown")
		r.integer(&c.MaxBodyBytes, "max-body-bytes", "MAX_BODY_BYTES", "largest REST request body")
		r.integer(&c.GRPCMaxMsgBytes, "grpc-max-msg-bytes", "GRPC_MAX_MSG_BYTES", "largest gRPC request message")
		r.secret(&c.SMTPURL, "smtp-url", "SMTP_URL", "SMTP server for mail: smtps://user:password@host, starttls://… or smtp://…[?tls=required] (empty: none sent; development only)")
		r.str(&c.MailFrom, "mail-from", "MAIL_FROM", "sender of mail, e.g. \"HireMeBahamas <no-reply@hiremebahamas.com>\" (development default: "+DevMailFrom+")")
		r.str(&requireVerified, "require-verified-email", "REQUIRE_VERIFIED_EMAIL", "true or false: employers publish jobs only once their email is verified (empty: true in production, false in development)")
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
	if (command == "serve" || command == "worker") && c.MailFrom == "" && !c.Production() {
		c.MailFrom = DevMailFrom
	}
	// Its default follows ENV, which a flag may set too, so it is read after both.
	c.RequireVerifiedEmail = c.Production()
	if requireVerified != "" {
		b, err := strconv.ParseBool(requireVerified)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("REQUIRE_VERIFIED_EMAIL: %q is not true or false", requireVerified))
		}
		c.RequireVerifiedEmail = b
	}
	if fs.NArg() > 0 {
		r.errs = append(r.errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	r.errs = append(r.errs, c.validate(command, getenv)...)
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
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
