package config

import (
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

const (
	goodSecret   = "k7Qp2vX9mR4tL8wZ1cF6hJ3nB5dG0sYe"
	goodSMTPURL  = "smtps://apikey:hunter2@smtp.example.com"
	goodMailFrom = "HireMeBahamas <no-reply@hiremebahamas.com>"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/db"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.DBMinConns != 5 || c.DBMaxConns != 15 || c.RequestTimeout != 120*time.Second ||
		c.IdleTimeout != 5*time.Second || c.ShutdownTimeout != 30*time.Second || c.DBCheckTimeout != 2*time.Second ||
		c.ReadTimeout != 30*time.Second || c.GRPCIdleTimeout != 5*time.Minute || c.MaxConnections != 4096 ||
		c.GRPCMaxConnectionAge != 5*time.Minute || c.GRPCMaxConnectionAgeGrace != 30*time.Second ||
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
	prod := map[string]string{"ENV": "production", "JWT_SECRET_KEY": goodSecret, "FRONTEND_URL": "https://hiremebahamas.com", "API_URL": "https://api.hiremebahamas.com",
		"SMTP_URL": goodSMTPURL, "MAIL_FROM": goodMailFrom}
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
		{"production without the API's URL", merge(prod, map[string]string{"API_URL": ""}), "API_URL"},
		{"production plain-http API URL", merge(prod, map[string]string{"API_URL": "http://api.hiremebahamas.com"}), "API_URL"},
		{"API URL with a path", merge(base, map[string]string{"API_URL": "https://hiremebahamas.com/api"}), "API_URL"},
		{"origin with a path", map[string]string{"ALLOWED_ORIGINS": "https://a.example.com, https://b.example.com/app"}, "ALLOWED_ORIGINS"},
		{"origin pattern with two wildcards", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*.*.example.com"}, "ALLOWED_ORIGIN_PATTERN"},
		{"proxy not an address", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, gateway.internal"}, "TRUSTED_PROXIES"},
		{"proxies: every IPv4 address", map[string]string{"TRUSTED_PROXIES": "0.0.0.0/0"}, "TRUSTED_PROXIES"},
		{"proxies: every IPv6 address", map[string]string{"TRUSTED_PROXIES": "::/0"}, "TRUSTED_PROXIES"},
		{"proxies: every IPv4 address, mapped", map[string]string{"TRUSTED_PROXIES": "::ffff:0.0.0.0/96"}, "TRUSTED_PROXIES"},
		{"proxies: half the internet", map[string]string{"TRUSTED_PROXIES": "private, 128.0.0.0/1"}, "TRUSTED_PROXIES"},
		{"proxies: wider than /8, partly private", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/7"}, "TRUSTED_PROXIES"},
		{"proxies: all global unicast IPv6", map[string]string{"TRUSTED_PROXIES": "2000::/3"}, "TRUSTED_PROXIES"},
		{"proxy hops negative", map[string]string{"TRUSTED_PROXY_HOPS": "-1"}, "TRUSTED_PROXY_HOPS"},
		{"proxy hops beyond the bound", map[string]string{"TRUSTED_PROXY_HOPS": "6"}, "TRUSTED_PROXY_HOPS"},
		{"proxy hops not a number", map[string]string{"TRUSTED_PROXY_HOPS": "two"}, "TRUSTED_PROXY_HOPS"},
		{"negative rate", map[string]string{"RATE_LIMIT": "-1"}, "RATE_LIMIT"},
		{"rate not a number", map[string]string{"AUTH_RATE_LIMIT": "fast"}, "AUTH_RATE_LIMIT"},
		{"rate without burst", map[string]string{"RATE_BURST": "0"}, "RATE_BURST"},
		{"no address interval", map[string]string{"LOGIN_ADDRESS_INTERVAL": "0s"}, "LOGIN_ADDRESS_INTERVAL"},
		{"address interval beyond the window", map[string]string{"LOGIN_WINDOW": "10m", "LOGIN_ADDRESS_INTERVAL": "10m"}, "LOGIN_ADDRESS_INTERVAL"},
		{"whole request faster than its headers", map[string]string{"READ_TIMEOUT": "5s"}, "READ_TIMEOUT"},
		{"too few connections", map[string]string{"MAX_CONNECTIONS": "8"}, "MAX_CONNECTIONS"},
		{"no gRPC idle timeout", map[string]string{"GRPC_IDLE_TIMEOUT": "0s"}, "GRPC_IDLE_TIMEOUT"},
		{"no gRPC connection age", map[string]string{"GRPC_MAX_CONNECTION_AGE": "0s"}, "GRPC_MAX_CONNECTION_AGE"},
		{"gRPC connection age not a duration", map[string]string{"GRPC_MAX_CONNECTION_AGE": "5"}, "GRPC_MAX_CONNECTION_AGE"},
		{"negative gRPC connection age grace", map[string]string{"GRPC_MAX_CONNECTION_AGE_GRACE": "-1s"}, "GRPC_MAX_CONNECTION_AGE_GRACE"},
		{"unknown cache invalidation", map[string]string{"CACHE_INVALIDATION": "listen"}, "CACHE_INVALIDATION"},
		{"production plain-http frontend", merge(prod, map[string]string{"FRONTEND_URL": "http://hiremebahamas.com"}), "FRONTEND_URL"},
		{"unknown SameSite", map[string]string{"REFRESH_COOKIE_SAMESITE": "loose"}, "REFRESH_COOKIE_SAMESITE"},
		{"Partitioned not a boolean", map[string]string{"REFRESH_COOKIE_PARTITIONED": "chips"}, "REFRESH_COOKIE_PARTITIONED"},
		{"cookie domain an IP address", map[string]string{"REFRESH_COOKIE_DOMAIN": "203.0.113.7"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain an IPv6 address", map[string]string{"REFRESH_COOKIE_DOMAIN": "[2001:db8::1]"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain a URL", map[string]string{"REFRESH_COOKIE_DOMAIN": "https://hiremebahamas.com"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain with a port", map[string]string{"REFRESH_COOKIE_DOMAIN": "hiremebahamas.com:443"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain with a space", map[string]string{"REFRESH_COOKIE_DOMAIN": "hire me.com"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain a top-level domain", map[string]string{"REFRESH_COOKIE_DOMAIN": "com"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain a country's public suffix", map[string]string{"REFRESH_COOKIE_DOMAIN": "com.bs"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain Render's public suffix", map[string]string{"REFRESH_COOKIE_DOMAIN": "onrender.com"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain Vercel's public suffix", map[string]string{"REFRESH_COOKIE_DOMAIN": ".vercel.app"}, "REFRESH_COOKIE_DOMAIN"},
		{"cookie domain localhost", map[string]string{"REFRESH_COOKIE_DOMAIN": "localhost"}, "REFRESH_COOKIE_DOMAIN"},
		{"SameSite=None with every Vercel site allowed", map[string]string{"REFRESH_COOKIE_SAMESITE": "none", "ALLOWED_ORIGIN_PATTERN": "https://*.vercel.app"},
			"ALLOWED_ORIGIN_PATTERN"},
		{"SameSite=None with Vercel sites named alike allowed", map[string]string{"REFRESH_COOKIE_SAMESITE": "None",
			"ALLOWED_ORIGIN_PATTERN": "https://hiremebahamas-*.vercel.app"}, "ALLOWED_ORIGIN_PATTERN"},
		{"SameSite=None with a wildcard top-level domain", map[string]string{"REFRESH_COOKIE_SAMESITE": "none", "ALLOWED_ORIGIN_PATTERN": "https://hiremebahamas.*"},
			"ALLOWED_ORIGIN_PATTERN"},
		{"production remote database without sslmode", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@db.neon.tech/db"}), "DATABASE_URL"},
		{"production remote database, sslmode=prefer", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@db.neon.tech/db?sslmode=prefer"}), "DATABASE_URL"},
		{"production remote database, sslmode=disable", merge(prod, map[string]string{"DATABASE_URL": "postgresql://u:hunter2@10.0.0.7:5432/db?sslmode=disable"}), "DATABASE_URL"},
		{"production remote database, sslmode=allow", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@[2001:db8::7]/db?sslmode=allow"}), "DATABASE_URL"},
		{"production one remote host of several", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@/db?host=/tmp,db.example.com"}), "DATABASE_URL"},
		{"production remote host parameter", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@/db?host=db.example.com"}), "DATABASE_URL"},
		{"production remote PGHOST", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@/db", "PGHOST": "db.example.com"}), "DATABASE_URL"},
		{"production PGSSLMODE=prefer", merge(prod, map[string]string{"DATABASE_URL": "postgres://u:hunter2@db.example.com/db", "PGSSLMODE": "prefer"}), "DATABASE_URL"},
		{"production direct URL without sslmode", merge(prod, map[string]string{"DATABASE_DIRECT_URL": "postgres://u:hunter2@db.neon.tech/db"}), "DATABASE_DIRECT_URL"},
		{"production plain-http origin", merge(prod, map[string]string{"ALLOWED_ORIGINS": "https://admin.hiremebahamas.com, http://staff.hiremebahamas.com"}), "ALLOWED_ORIGINS"},
		{"production plain-http localhost origin", merge(prod, map[string]string{"ALLOWED_ORIGINS": "http://localhost:3000"}), "ALLOWED_ORIGINS"},
		{"production plain-http pattern", merge(prod, map[string]string{"ALLOWED_ORIGIN_PATTERN": "http://*.preview.hiremebahamas.com"}), "ALLOWED_ORIGIN_PATTERN"},
		{"production rate limit off", merge(prod, map[string]string{"RATE_LIMIT": "0"}), "RATE_LIMIT"},
		{"production auth rate limit off", merge(prod, map[string]string{"AUTH_RATE_LIMIT": "0"}), "AUTH_RATE_LIMIT"},
		{"production rate limits off, override false", merge(prod, map[string]string{"RATE_LIMIT": "0", "AUTH_RATE_LIMIT": "0", "RATE_LIMIT_OFF_ALLOWED": "false"}), "RATE_LIMIT_OFF_ALLOWED"},
		{"override not a boolean", map[string]string{"RATE_LIMIT_OFF_ALLOWED": "yes please"}, "RATE_LIMIT_OFF_ALLOWED"},
		{"pattern matching every host", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern matching every host on a port", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*:8443"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern under any top-level domain", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://hiremebahamas.*"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern on a top-level domain", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*.com"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern on a country's public suffix", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*.co.uk"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern on every Vercel site", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*.vercel.app"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern on every GitHub Pages site", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://*.github.io"}, "ALLOWED_ORIGIN_PATTERN"},
		{"pattern of registrable names", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://hiremebahamas-*.com"}, "ALLOWED_ORIGIN_PATTERN"},
		{"SMTP URL of another scheme", map[string]string{"SMTP_URL": "https://apikey:hunter2@smtp.example.com"}, "SMTP_URL"},
		{"SMTP URL without a host", map[string]string{"SMTP_URL": "smtp://apikey:hunter2@:587"}, "SMTP_URL"},
		{"SMTP URL with a bad port", map[string]string{"SMTP_URL": "smtp://apikey:hunter2@smtp.example.com:70000"}, "SMTP_URL"},
		{"SMTP URL with an unknown parameter", map[string]string{"SMTP_URL": "smtp://apikey:hunter2@smtp.example.com?tls=maybe"}, "SMTP_URL"},
		{"SMTP URL not a URL", map[string]string{"SMTP_URL": "smtp://apikey:hunter2@smtp.example.com:%zz"}, "SMTP_URL"},
		{"MAIL_FROM not an address", map[string]string{"MAIL_FROM": "HireMeBahamas"}, "MAIL_FROM"},
		{"MAIL_FROM two addresses", map[string]string{"MAIL_FROM": "a@example.com, b@example.com"}, "MAIL_FROM"},
		{"production without SMTP URL", merge(prod, map[string]string{"SMTP_URL": ""}), "SMTP_URL"},
		{"production SMTP in plain text", merge(prod, map[string]string{"SMTP_URL": "smtp://apikey:hunter2@smtp.example.com"}), "SMTP_URL"},
		{"production SMTP in plain text to a private address", merge(prod, map[string]string{"SMTP_URL": "smtp://apikey:hunter2@10.0.0.25:25"}), "SMTP_URL"},
		{"production without MAIL_FROM", merge(prod, map[string]string{"MAIL_FROM": ""}), "MAIL_FROM"},
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
	// Every problem is named at once.
	_, err := Load("serve", nil, env(merge(base, prod, map[string]string{
		"DATABASE_URL": "postgres://u:hunter2@db.neon.tech/db", "ALLOWED_ORIGINS": "http://a.example.com",
		"ALLOWED_ORIGIN_PATTERN": "https://*.vercel.app", "RATE_LIMIT": "0",
	})))
	for _, name := range []string{"DATABASE_URL", "ALLOWED_ORIGINS", "ALLOWED_ORIGIN_PATTERN", "RATE_LIMIT_OFF_ALLOWED"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

// What production accepts: a remote database over TLS or a local one
// without, https origins and patterns under a domain or with a fixed part,
// and limits off when said so.
func TestLoadAcceptsSoundProduction(t *testing.T) {
	prod := map[string]string{"ENV": "production", "JWT_SECRET_KEY": goodSecret, "FRONTEND_URL": "https://hiremebahamas.com", "API_URL": "https://api.hiremebahamas.com",
		"SMTP_URL": goodSMTPURL, "MAIL_FROM": goodMailFrom}
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"Neon pooled URL", map[string]string{"DATABASE_URL": "postgres://u:p@ep-x-pooler.us-east-2.aws.neon.tech/db?sslmode=require&channel_binding=require",
			"DATABASE_DIRECT_URL": "postgres://u:p@ep-x.us-east-2.aws.neon.tech/db?sslmode=verify-full"}},
		{"verify-ca", map[string]string{"DATABASE_URL": "postgres://u:p@db.example.com:6543/db?sslmode=verify-ca"}},
		{"PGSSLMODE", map[string]string{"DATABASE_URL": "postgres://u:p@db.example.com/db", "PGSSLMODE": "require"}},
		{"localhost without TLS", map[string]string{"DATABASE_URL": "postgres://u:p@localhost:5432/db?sslmode=disable"}},
		{"loopback address without TLS", map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.2:5433/db"}},
		{"IPv6 loopback without TLS", map[string]string{"DATABASE_URL": "postgres://u:p@[::1]:5433/db"}},
		{"local hosts listed", map[string]string{"DATABASE_URL": "postgres://u:p@/db?host=/tmp,localhost"}},
		{"unix socket", map[string]string{"DATABASE_URL": "postgres://u:p@/db?host=/var/run/postgresql"}},
		{"no host at all", map[string]string{"DATABASE_URL": "postgres:///db"}},
		{"https origins", map[string]string{"DATABASE_URL": "postgres://localhost/db", "ALLOWED_ORIGINS": "https://admin.hiremebahamas.com"}},
		{"pattern under our domain", map[string]string{"DATABASE_URL": "postgres://localhost/db", "ALLOWED_ORIGIN_PATTERN": "https://*.preview.hiremebahamas.com"}},
		{"pattern with a fixed part on Vercel", map[string]string{"DATABASE_URL": "postgres://localhost/db", "ALLOWED_ORIGIN_PATTERN": "https://hiremebahamas-*.vercel.app"}},
		{"pattern with a fixed suffix on Vercel", map[string]string{"DATABASE_URL": "postgres://localhost/db", "ALLOWED_ORIGIN_PATTERN": "https://*-bahamas-team.vercel.app"}},
		{"limits off, said so", map[string]string{"DATABASE_URL": "postgres://localhost/db", "RATE_LIMIT": "0", "AUTH_RATE_LIMIT": "0", "RATE_LIMIT_OFF_ALLOWED": "true"}},
		{"STARTTLS required", map[string]string{"DATABASE_URL": "postgres://localhost/db", "SMTP_URL": "smtp://apikey:k@smtp.example.com:587?tls=required"}},
		{"starttls scheme", map[string]string{"DATABASE_URL": "postgres://localhost/db", "SMTP_URL": "starttls://apikey:k@smtp.example.com"}},
		{"SMTP relay on this machine in plain text", map[string]string{"DATABASE_URL": "postgres://localhost/db", "SMTP_URL": "smtp://127.0.0.1:25"}},
		{"SMTP relay on localhost in plain text", map[string]string{"DATABASE_URL": "postgres://localhost/db", "SMTP_URL": "smtp://localhost:1025"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load("serve", nil, env(merge(prod, tc.env))); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
	// Development keeps its freedom of plain http and limits off.
	if _, err := Load("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://u:p@db.example.com/db", "ALLOWED_ORIGINS": "http://localhost:3000", "RATE_LIMIT": "0"})); err != nil {
		t.Errorf("development refused: %v", err)
	}
	// migrate checks the database's transport too.
	if _, err := Load("migrate", nil, env(map[string]string{"ENV": "production", "DATABASE_URL": "postgres://u:p@db.example.com/db"})); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("migrate in production over plain text: %v", err)
	}
}

// Development sends no mail unless SMTP_URL says where, from a local
// sender; MAIL_FROM and SMTP_URL are taken as written.
func TestMailSettings(t *testing.T) {
	c, err := Load("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/db"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "" || c.MailFrom != "HireMeBahamas <no-reply@localhost>" {
		t.Errorf("development defaults: SMTP_URL %q, MAIL_FROM %q; want none and HireMeBahamas <no-reply@localhost>", c.SMTPURL, c.MailFrom)
	}
	c, err = Load("serve", []string{"--mail-from", goodMailFrom}, env(map[string]string{
		"DATABASE_URL": "postgres://localhost/db", "SMTP_URL": "smtp://127.0.0.1:1025", "MAIL_FROM": "Other <other@example.com>",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtp://127.0.0.1:1025" || c.MailFrom != goodMailFrom {
		t.Errorf("SMTP_URL %q, MAIL_FROM %q; want the environment's URL and the flag's sender", c.SMTPURL, c.MailFrom)
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
