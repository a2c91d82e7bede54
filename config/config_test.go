package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

const goodSecret = "k7Qp2vX9mR4tL8wZ1cF6hJ3nB5dG0sYe"

func TestLoadDefaults(t *testing.T) {
	c, err := Load("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/db"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.DBMinConns != 5 || c.DBMaxConns != 15 || c.RequestTimeout != 120*time.Second ||
		c.IdleTimeout != 5*time.Second || c.ShutdownTimeout != 30*time.Second || c.DBCheckTimeout != 2*time.Second ||
		c.ReadTimeout != 30*time.Second || c.GRPCIdleTimeout != 5*time.Minute || c.MaxConnections != 4096 ||
		c.Env != "development" || c.MigrateOnStart || c.LoginMaxPerAddress != 50 || c.LoginAddressInterval != time.Second ||
		c.CacheInvalidation != "auto" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := Load("serve", []string{"--port", "9000", "--migrate"}, env(map[string]string{
		"DATABASE_URL": "postgres://localhost/db", "PORT": "7000", "GRPC_PORT": "7001", "MIGRATE_ON_START": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9000 || c.GRPCPort != 7001 || !c.MigrateOnStart {
		t.Errorf("port %d, grpc port %d, migrate %v; want 9000 (flag), 7001 (env), true (flag)", c.Port, c.GRPCPort, c.MigrateOnStart)
	}
}

// Each bad setting is refused with an error naming its variable, and secrets
// are never echoed.
func TestLoadRefusesBadSettings(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://u:hunter2@localhost/db"}
	prod := map[string]string{"ENV": "production", "JWT_SECRET_KEY": goodSecret, "FRONTEND_URL": "https://hiremebahamas.com"}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		wantName string
	}{
		{"no database", map[string]string{"DATABASE_URL": ""}, "DATABASE_URL"},
		{"not a postgres URL", map[string]string{"DATABASE_URL": "mysql://u:hunter2@h/db"}, "DATABASE_URL"},
		{"direct URL not a postgres URL", map[string]string{"DATABASE_DIRECT_URL": "mysql://u:hunter2@h/db"}, "DATABASE_DIRECT_URL"},
		{"port not a number", map[string]string{"PORT": "eighty"}, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT"},
		{"grpc port equals port", map[string]string{"PORT": "9000", "GRPC_PORT": "9000"}, "GRPC_PORT"},
		{"bad duration", map[string]string{"REQUEST_TIMEOUT": "forever"}, "REQUEST_TIMEOUT"},
		{"bad boolean", map[string]string{"MIGRATE_ON_START": "sometimes"}, "MIGRATE_ON_START"},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"unknown env", map[string]string{"ENV": "staging"}, "ENV"},
		{"pool min above max", map[string]string{"DB_MIN_CONNS": "20"}, "DB_MIN_CONNS"},
		{"drain longer than grace", map[string]string{"DRAIN_DELAY": "40s"}, "DRAIN_DELAY"},
		{"metrics address without a port", map[string]string{"METRICS_ADDR": "9464"}, "METRICS_ADDR"},
		{"metrics port not a number", map[string]string{"METRICS_ADDR": "127.0.0.1:metrics"}, "METRICS_ADDR"},
		{"metrics on the public port", map[string]string{"PORT": "9000", "METRICS_ADDR": "127.0.0.1:9000"}, "METRICS_ADDR"},
		{"metrics on the gRPC port", map[string]string{"GRPC_PORT": "9001", "METRICS_ADDR": ":9001"}, "METRICS_ADDR"},
		{"production without secret", merge(prod, map[string]string{"JWT_SECRET_KEY": ""}), "JWT_SECRET_KEY"},
		{"production short secret", merge(prod, map[string]string{"JWT_SECRET_KEY": "hunter2hunter2"}), "JWT_SECRET_KEY"},
		{"production placeholder secret", merge(prod, map[string]string{"JWT_SECRET_KEY": "your-secret-key-change-me-in-production"}), "JWT_SECRET_KEY"},
		{"production repeated secret", merge(prod, map[string]string{"JWT_SECRET_KEY": strings.Repeat("a", 40)}), "JWT_SECRET_KEY"},
		{"production without frontend", merge(prod, map[string]string{"FRONTEND_URL": ""}), "FRONTEND_URL"},
		{"origin with a path", map[string]string{"ALLOWED_ORIGINS": "https://a.example.com, https://b.example.com/app"}, "ALLOWED_ORIGINS"},
		{"origin pattern with two wildcards", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*.*.example.com"}, "ALLOWED_ORIGIN_PATTERN"},
		{"proxy not an address", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, gateway.internal"}, "TRUSTED_PROXIES"},
		{"negative rate", map[string]string{"RATE_LIMIT": "-1"}, "RATE_LIMIT"},
		{"rate not a number", map[string]string{"AUTH_RATE_LIMIT": "fast"}, "AUTH_RATE_LIMIT"},
		{"rate without burst", map[string]string{"RATE_BURST": "0"}, "RATE_BURST"},
		{"no address interval", map[string]string{"LOGIN_ADDRESS_INTERVAL": "0s"}, "LOGIN_ADDRESS_INTERVAL"},
		{"address interval beyond the window", map[string]string{"LOGIN_WINDOW": "10m", "LOGIN_ADDRESS_INTERVAL": "10m"}, "LOGIN_ADDRESS_INTERVAL"},
		{"whole request faster than its headers", map[string]string{"READ_TIMEOUT": "5s"}, "READ_TIMEOUT"},
		{"too few connections", map[string]string{"MAX_CONNECTIONS": "8"}, "MAX_CONNECTIONS"},
		{"no gRPC idle timeout", map[string]string{"GRPC_IDLE_TIMEOUT": "0s"}, "GRPC_IDLE_TIMEOUT"},
		{"unknown cache invalidation", map[string]string{"CACHE_INVALIDATION": "listen"}, "CACHE_INVALIDATION"},
		{"production plain-http frontend", merge(prod, map[string]string{"FRONTEND_URL": "http://hiremebahamas.com"}), "FRONTEND_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("serve", nil, env(merge(base, tc.env)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.wantName) {
				t.Errorf("error %q does not name %s", err, tc.wantName)
			}
			for _, secret := range []string{"hunter2", goodSecret} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q echoes a secret", err)
				}
			}
		})
	}
	if _, err := Load("serve", nil, env(merge(base, prod))); err != nil {
		t.Errorf("a sound production configuration was refused: %v", err)
	}
}

func TestLoadEdgeSettings(t *testing.T) {
	c, err := Load("serve", nil, env(map[string]string{
		"DATABASE_URL":           "postgres://localhost/db",
		"ALLOWED_ORIGINS":        " https://admin.hiremebahamas.com ,, http://localhost:5173",
		"ALLOWED_ORIGIN_PATTERN": "https://*.preview.hiremebahamas.com",
		"TRUSTED_PROXIES":        "10.0.0.0/8, 192.168.1.7, ::1",
		"RATE_LIMIT":             "2.5",
		"AUTH_RATE_LIMIT":        "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://admin.hiremebahamas.com", "http://localhost:5173"}; !slices.Equal(c.AllowedOrigins, want) {
		t.Errorf("AllowedOrigins = %q; want %q", c.AllowedOrigins, want)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128")}
	if !slices.Equal(c.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v; want %v", c.TrustedProxies, want)
	}
	if c.RateLimit != 2.5 || c.RateBurst != 60 || c.AuthRateLimit != 0 {
		t.Errorf("rates %g/%d, auth %g", c.RateLimit, c.RateBurst, c.AuthRateLimit)
	}
}

// The admin listener is off unless asked for, in development as in
// production; the flag overrides the variable, to another address or off.
func TestMetricsAddr(t *testing.T) {
	prod := map[string]string{"ENV": "production", "JWT_SECRET_KEY": goodSecret, "FRONTEND_URL": "https://hiremebahamas.com"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"development default", nil, nil, ""},
		{"production default", prod, nil, ""},
		{"from the environment", map[string]string{"METRICS_ADDR": "127.0.0.1:9464"}, nil, "127.0.0.1:9464"},
		{"all interfaces", map[string]string{"METRICS_ADDR": ":9464"}, nil, ":9464"},
		{"flag overrides", map[string]string{"METRICS_ADDR": "127.0.0.1:9464"}, []string{"--metrics-addr", "127.0.0.1:9999"}, "127.0.0.1:9999"},
		{"flag turns it off", map[string]string{"METRICS_ADDR": "127.0.0.1:9464"}, []string{"--metrics-addr="}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("serve", tc.args, env(merge(map[string]string{"DATABASE_URL": "postgres://localhost/db"}, tc.env)))
			if err != nil {
				t.Fatal(err)
			}
			if c.MetricsAddr != tc.want {
				t.Errorf("MetricsAddr = %q; want %q", c.MetricsAddr, tc.want)
			}
		})
	}
}

// Tracing is on only when the OTEL_* variables name an exporter or an OTLP
// endpoint for traces.
func TestTracingRequested(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"service name alone", map[string]string{"OTEL_SERVICE_NAME": "api"}, false},
		{"sampler alone", map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, false},
		{"metrics endpoint alone", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4318"}, false},
		{"OTLP endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"OTLP traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"exporter named", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true},
		{"exporter none beats an endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
		{"SDK disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false},
		{"blank values", map[string]string{"OTEL_TRACES_EXPORTER": " ", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("serve", nil, env(merge(map[string]string{"DATABASE_URL": "postgres://localhost/db"}, tc.env)))
			if err != nil {
				t.Fatal(err)
			}
			if c.Tracing != tc.want {
				t.Errorf("Tracing = %v; want %v", c.Tracing, tc.want)
			}
		})
	}
}

// migrate needs only the database settings.
func TestMigrateIgnoresServeSettings(t *testing.T) {
	_, err := Load("migrate", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/db", "ENV": "production", "PORT": "eighty"}))
	if err != nil {
		t.Errorf("migrate refused settings it does not use: %v", err)
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
