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

	// Browsers may call from FrontendURL, AllowedOrigins (exact origins)
	// and origins matching AllowedOriginPattern (one * wildcard, e.g. for
	// preview deployments). With none of them, which only development
	// allows, the server takes the local dev servers' origins.
	AllowedOrigins       []string
	AllowedOriginPattern string
	// TrustedProxies may say, in X-Forwarded-For, whom they forward for.
	TrustedProxies []netip.Prefix
	// Per-client token buckets: requests per second and burst; auth routes
	// have their own, stricter one. A zero rate turns a limit off.
	RateLimit     float64
	RateBurst     int
	AuthRateLimit float64
	AuthRateBurst int

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
	// MaxConnections bounds the open connections of each listener.
	MaxConnections int
}

// Production reports whether the service runs with production safeguards.
func (c Config) Production() bool { return c.Env == "production" }

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
		Port:              8080,
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
		r.str(&proxies, "trusted-proxies", "TRUSTED_PROXIES", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed")
		r.number(&c.RateLimit, "rate-limit", "RATE_LIMIT", "requests per second per client (0: no limit)")
		r.integer(&c.RateBurst, "rate-burst", "RATE_BURST", "requests a client may make at once above the rate")
		r.number(&c.AuthRateLimit, "auth-rate-limit", "AUTH_RATE_LIMIT", "sign-in, registration and refresh requests per second per client (0: no limit)")
		r.integer(&c.AuthRateBurst, "auth-rate-burst", "AUTH_RATE_BURST", "auth requests a client may make at once above the rate")
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
	for _, p := range list(proxies) {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				r.errs = append(r.errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a CIDR", p))
				continue
			}
			prefix = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	if fs.NArg() > 0 {
		r.errs = append(r.errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	r.errs = append(r.errs, c.validate(command)...)
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

// weakSecrets are values that appear in tutorials and .env examples.
var weakSecrets = []string{"secret", "changeme", "change-me", "your-secret-key", "jwt-secret", "password", "development"}

func (c *Config) validate(command string) []error {
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
	if p := c.AllowedOriginPattern; p != "" && (strings.Count(p, "*") != 1 || !isOrigin(strings.Replace(p, "*", "x", 1))) {
		bad("ALLOWED_ORIGIN_PATTERN: %q is not an origin with one * wildcard", p)
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
	}
	return errs
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
