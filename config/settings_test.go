package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// The refresh cookie is Lax and host-only unless told otherwise, and the
// settings for a frontend on another site are taken as written.
func TestRefreshCookieSettings(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://localhost/db"}
	c, err := Load("serve", nil, env(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.RefreshCookieSameSite != "lax" || c.RefreshCookieDomain != "" || c.RefreshCookiePartitioned {
		t.Errorf("defaults: SameSite %q, Domain %q, Partitioned %v; want lax, host-only, not partitioned",
			c.RefreshCookieSameSite, c.RefreshCookieDomain, c.RefreshCookiePartitioned)
	}
	for _, tc := range []struct {
		name             string
		env              map[string]string
		args             []string
		sameSite, domain string
		partitioned      bool
	}{
		{"another site, production", map[string]string{"ENV": "production", "JWT_SECRET_KEY": goodSecret, "FRONTEND_URL": "https://hiremebahamas.vercel.app", "API_URL": "https://api.hiremebahamas.com",
			"REFRESH_COOKIE_SAMESITE": "none", "REFRESH_COOKIE_PARTITIONED": "true", "SMTP_URL": goodSMTPURL, "MAIL_FROM": goodMailFrom}, nil, "none", "", true},
		{"a domain, written with a leading dot", map[string]string{"REFRESH_COOKIE_SAMESITE": "Strict", "REFRESH_COOKIE_DOMAIN": ".HireMeBahamas.com"}, nil,
			"strict", "hiremebahamas.com", false},
		{"a domain under a platform's suffix", map[string]string{"REFRESH_COOKIE_DOMAIN": "hiremebahamas-api.onrender.com"}, nil, "lax", "hiremebahamas-api.onrender.com", false},
		{"None with previews under a domain of one's own", map[string]string{"REFRESH_COOKIE_SAMESITE": "none",
			"ALLOWED_ORIGIN_PATTERN": "https://*.preview.hiremebahamas.com"}, nil, "none", "", false},
		{"None with previews under one Vercel project's site", map[string]string{"REFRESH_COOKIE_SAMESITE": "none",
			"ALLOWED_ORIGIN_PATTERN": "https://*-hmb.hiremebahamas.vercel.app"}, nil, "none", "", false},
		{"Lax with Vercel sites named alike allowed", map[string]string{"ALLOWED_ORIGIN_PATTERN": "https://hiremebahamas-*.vercel.app"}, nil, "lax", "", false},
		{"flags override", map[string]string{"REFRESH_COOKIE_SAMESITE": "strict", "REFRESH_COOKIE_PARTITIONED": "true"},
			[]string{"--refresh-cookie-samesite", "none", "--refresh-cookie-partitioned=false"}, "none", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("serve", tc.args, env(merge(base, tc.env)))
			if err != nil {
				t.Fatal(err)
			}
			if c.RefreshCookieSameSite != tc.sameSite || c.RefreshCookieDomain != tc.domain || c.RefreshCookiePartitioned != tc.partitioned {
				t.Errorf("SameSite %q, Domain %q, Partitioned %v; want %q, %q, %v", c.RefreshCookieSameSite, c.RefreshCookieDomain,
					c.RefreshCookiePartitioned, tc.sameSite, tc.domain, tc.partitioned)
			}
		})
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

// TRUSTED_PROXIES mixes addresses, CIDRs and presets; blocks wider than
// the bound are accepted when wholly private.
func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		setting string
		want    []string
	}{
		{"loopback", []string{"127.0.0.0/8", "::1/128"}},
		{"Private", []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"}},
		{"loopback, 203.0.113.0/24, 2001:db8::7", []string{"127.0.0.0/8", "::1/128", "203.0.113.0/24", "2001:db8::7/128"}},
		{"::ffff:10.1.0.0/112, ::ffff:10.1.2.3", []string{"10.1.0.0/16", "10.1.2.3/32"}},
		{"fc00::/7, 3.0.0.0/8, 2a06:98c0::/16", []string{"fc00::/7", "3.0.0.0/8", "2a06::/16"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
	} {
		c, err := Load("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/db", "TRUSTED_PROXIES": tc.setting}))
		if err != nil {
			t.Errorf("TRUSTED_PROXIES=%q: %v", tc.setting, err)
			continue
		}
		var got []string
		for _, p := range c.TrustedProxies {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("TRUSTED_PROXIES=%q: %q; want %q", tc.setting, got, tc.want)
		}
	}
	c, err := Load("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/db", "TRUSTED_PROXIES": "cloudflare", "TRUSTED_PROXY_HOPS": "1"}))
	if err != nil || c.TrustedProxyHops != 1 {
		t.Fatalf("cloudflare with one hop: %d hops, %v", c.TrustedProxyHops, err)
	}
	for _, edge := range []string{"104.16.0.1", "162.158.1.1", "2606:4700::1", "2a06:98c0::1"} {
		if !slices.ContainsFunc(c.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(netip.MustParseAddr(edge)) }) {
			t.Errorf("the cloudflare preset does not hold %s", edge)
		}
	}
}

// The admin listener is off unless asked for, in development as in
// production; the flag overrides the variable, to another address or off.
func TestMetricsAddr(t *testing.T) {
	prod := map[string]string{"ENV": "production", "JWT_SECRET_KEY": goodSecret, "FRONTEND_URL": "https://hiremebahamas.com", "API_URL": "https://api.hiremebahamas.com",
		"SMTP_URL": goodSMTPURL, "MAIL_FROM": goodMailFrom}
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

// Publishing needs a verified email by default in production only, whether
// ENV comes from the environment or a flag; either may say otherwise.
func TestRequireVerifiedEmail(t *testing.T) {
	prod := map[string]string{"DATABASE_URL": "postgres://localhost/db", "ENV": "production", "JWT_SECRET_KEY": goodSecret,
		"FRONTEND_URL": "https://hiremebahamas.com", "SMTP_URL": goodSMTPURL, "MAIL_FROM": goodMailFrom,
		"API_URL": "https://api.hiremebahamas.com"}
	dev := map[string]string{"DATABASE_URL": "postgres://localhost/db"}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"development", nil, dev, false},
		{"production", nil, prod, true},
		{"production, turned off", nil, merge(prod, map[string]string{"REQUIRE_VERIFIED_EMAIL": "false"}), false},
		{"development, turned on", nil, merge(dev, map[string]string{"REQUIRE_VERIFIED_EMAIL": "true"}), true},
		{"production by flag", []string{"--env", "production"}, merge(prod, map[string]string{"ENV": ""}), true},
		{"flag over environment", []string{"--require-verified-email", "false"}, prod, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("serve", tc.args, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.RequireVerifiedEmail != tc.want {
				t.Errorf("RequireVerifiedEmail %v; want %v", c.RequireVerifiedEmail, tc.want)
			}
		})
	}
	if _, err := Load("serve", nil, env(merge(dev, map[string]string{"REQUIRE_VERIFIED_EMAIL": "sometimes"}))); err == nil || !strings.Contains(err.Error(), "REQUIRE_VERIFIED_EMAIL") {
		t.Errorf("REQUIRE_VERIFIED_EMAIL=sometimes: %v; want an error naming it", err)
	}
}
