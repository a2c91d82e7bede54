package server_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

var securityHeaders = map[string]string{
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Content-Security-Policy":   "default-src 'none'; frame-ancestors 'none'",
	"Referrer-Policy":           "strict-origin-when-cross-origin",
	"Permissions-Policy":        "camera=(), microphone=(), geolocation=(self), payment=()",
	"X-Xss-Protection":          "0",
}

// TestSecurityHeaders checks every kind of response: served, refused by a
// handler, by the router, by the middleware and by the rate limit.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.RateLimit, cfg.RateBurst = 0.001, 1
	s := servertest.Start(t, cfg)
	big := strings.Repeat("x", cfg.MaxBodyBytes+1)
	for _, tc := range []struct {
		name, method, path string
		body               string
		want               int
	}{
		{"ok", http.MethodGet, "/api/v1/jobs", "", http.StatusOK},
		{"head", http.MethodHead, "/health", "", http.StatusOK},
		{"limited", http.MethodGet, "/api/v1/jobs", "", http.StatusTooManyRequests},
		{"probe", http.MethodGet, "/health", "", http.StatusOK},
		{"unauthenticated", http.MethodGet, "/api/v1/users/me", "", http.StatusTooManyRequests},
		{"no route", http.MethodGet, "/nowhere", "", http.StatusTooManyRequests},
		{"too large", http.MethodPost, "/api/v1/auth/login", big, http.StatusRequestEntityTooLarge},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		code, h, _ := s.Do(t, tc.method, tc.path, body)
		if code != tc.want {
			t.Errorf("%s: status %d; want %d", tc.name, code, tc.want)
		}
		for k, v := range securityHeaders {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s = %q; want %q", tc.name, k, got, v)
			}
		}
		if h.Get("Server") != "" {
			t.Errorf("%s: Server header %q", tc.name, h.Get("Server"))
		}
	}
	// Without the limit, the router's and the handlers' refusals too.
	s = servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	for path, want := range map[string]int{"/api/v1/users/me": http.StatusUnauthorized, "/nowhere": http.StatusNotFound} {
		code, h, _ := s.Do(t, http.MethodGet, path, nil)
		if code != want || h.Get("X-Frame-Options") != "DENY" || h.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: %d with %v", path, code, h)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.FrontendURL = "https://hiremebahamas.com"
	cfg.AllowedOrigins = []string{"https://admin.hiremebahamas.com"}
	cfg.AllowedOriginPattern = "https://*.preview.hiremebahamas.com"
	s := servertest.Start(t, cfg)

	preflight := func(origin string) (int, http.Header) {
		code, h, _ := s.Do(t, http.MethodOptions, "/api/v1/users/me", nil, "Origin", origin,
			"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,content-type")
		return code, h
	}
	for _, origin := range []string{"https://hiremebahamas.com", "https://admin.hiremebahamas.com", "https://pr-42.preview.hiremebahamas.com"} {
		// A preflight to a route that needs a token is answered before
		// authentication.
		code, h := preflight(origin)
		if code/100 != 2 || h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
			h.Get("Access-Control-Max-Age") != "600" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") {
			t.Errorf("preflight from %s: %d %v", origin, code, h)
		}
		code, h, _ = s.Do(t, http.MethodGet, "/api/v1/jobs", nil, "Origin", origin)
		if code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("GET from %s: %d %v", origin, code, h)
		}
	}
	for _, origin := range []string{"https://evil.example", "http://hiremebahamas.com", "https://hiremebahamas.com.evil.example", "https://preview.hiremebahamas.com",
		"https://a.b.preview.hiremebahamas.com"} {
		_, h := preflight(origin)
		if v := h.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("preflight from %s allowed: %q", origin, v)
		}
		_, h, _ = s.Do(t, http.MethodGet, "/api/v1/jobs", nil, "Origin", origin)
		if v := h.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("GET from %s allowed: %q", origin, v)
		}
	}

	// The * matches within one label, so that on a platform's domain the
	// sites of its other customers stay out.
	cfg.AllowedOriginPattern = "https://hiremebahamas-*.vercel.app"
	vercel := servertest.Start(t, cfg)
	for origin, want := range map[string]bool{
		"https://hiremebahamas-git-main-bahamas.vercel.app": true,
		"https://hiremebahamas-x.theirs.vercel.app":         false,
		"https://hiremebahamas-x_y.vercel.app":              false,
	} {
		_, h, _ := vercel.Do(t, http.MethodGet, "/api/v1/jobs", nil, "Origin", origin)
		if got := h.Get("Access-Control-Allow-Origin") == origin; got != want {
			t.Errorf("pattern %s, GET from %s: allowed %v; want %v", cfg.AllowedOriginPattern, origin, got, want)
		}
	}
}

// With no origin configured (development), the local dev servers' origins
// are allowed and no other: never every origin.
func TestCORSDefaultOrigins(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	get := func(s *servertest.Service, origin string) http.Header {
		t.Helper()
		_, h, _ := s.Do(t, http.MethodGet, "/api/v1/jobs", nil, "Origin", origin)
		return h
	}
	dev := servertest.Start(t, servertest.Config(url))
	for _, origin := range []string{"http://localhost:3000", "http://localhost:5173", "http://127.0.0.1:3000", "http://127.0.0.1:5173"} {
		if h := get(dev, origin); h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("nothing configured, GET from %s: Access-Control-Allow-Origin %q, -Credentials %q; want the origin, with credentials",
				origin, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
		}
	}
	for _, origin := range []string{"https://evil.example", "http://localhost:8081", "null"} {
		if h := get(dev, origin); h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("nothing configured, GET from %s: Access-Control-Allow-Origin %q, -Credentials %q; want neither",
				origin, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
		}
	}

	// A configured origin replaces the development list.
	cfg := servertest.Config(url)
	cfg.FrontendURL = "https://hiremebahamas.com"
	configured := servertest.Start(t, cfg)
	if v := get(configured, "https://hiremebahamas.com").Get("Access-Control-Allow-Origin"); v != "https://hiremebahamas.com" {
		t.Errorf("FRONTEND_URL itself: Access-Control-Allow-Origin %q", v)
	}
	if v := get(configured, "http://localhost:5173").Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("with FRONTEND_URL set, a dev server's origin is allowed: %q", v)
	}
}

// A page on another site cannot act for a user of the frontend: it cannot
// sign the browser in to an account of its choosing (login CSRF), nor use or
// end the session the refresh cookie holds. The frontend, the API's own
// pages and clients that are not browsers still can.
func TestCrossSiteWrites(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	cfg := servertest.Config(url)
	cfg.FrontendURL = "https://hiremebahamas.com"
	s := servertest.Start(t, cfg)
	victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	credentials := `{"email":"` + victim.User.Email + `","password":"` + servertest.Password + `"}`
	registration := `{"email":"` + servertest.NewEmail("csrf") + `","password":"` + servertest.Password + `","first_name":"A","last_name":"B","role":"ROLE_JOB_SEEKER"}`
	cookie := []string{"Cookie", "hmb_refresh=" + victim.RefreshToken}
	with := func(pairs ...[]string) []string { return slices.Concat(pairs...) }
	jsonType := []string{"Content-Type", "application/json"}
	evil := []string{"Origin", "https://evil.example"}
	crossSite := []string{"Sec-Fetch-Site", "cross-site"}
	before := tableDigests(t, url)

	for _, tc := range []struct {
		name, path, body string
		header           []string
		status           int
		reason, message  string
	}{
		{"login form as text/plain", "/api/v1/auth/login", credentials, []string{"Content-Type", "text/plain"},
			http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", `"text/plain"`},
		{"login form as text/plain, with its origin", "/api/v1/auth/login", credentials, with([]string{"Content-Type", "text/plain"}, evil, crossSite),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"https://evil.example"`},
		{"login form, urlencoded", "/api/v1/auth/login", "email=" + victim.User.Email + "&password=x", []string{"Content-Type", "application/x-www-form-urlencoded"},
			http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "application/x-www-form-urlencoded"},
		{"login in JSON from another origin", "/api/v1/auth/login", credentials, with(jsonType, evil),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"https://evil.example"`},
		{"register from another origin", "/api/v1/auth/register", registration, with(jsonType, evil, crossSite),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"https://evil.example"`},
		{"cookie refresh from another origin", "/api/v1/auth/refresh", "{}", with(jsonType, cookie, evil),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"https://evil.example"`},
		{"cookie refresh, no body, from another origin", "/api/v1/auth/refresh", "", with(cookie, evil, crossSite),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"https://evil.example"`},
		{"cookie refresh from an opaque origin", "/api/v1/auth/refresh", "{}", with(jsonType, cookie, []string{"Origin", "null"}),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"null"`},
		{"cookie refresh, cross-site without Origin", "/api/v1/auth/refresh", "{}", with(jsonType, cookie, crossSite),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", "another site"},
		{"cookie refresh, same-site without Origin", "/api/v1/auth/refresh", "{}", with(jsonType, cookie, []string{"Sec-Fetch-Site", "same-site"}),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", "another site"},
		{"cookie refresh as text/plain", "/api/v1/auth/refresh", "{}", with([]string{"Content-Type", "text/plain;charset=UTF-8"}, cookie),
			http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "text/plain"},
		{"logout from another origin", "/api/v1/auth/logout", "", with(cookie, evil, crossSite),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", `"https://evil.example"`},
		{"logout, cross-site without Origin", "/api/v1/auth/logout", "{}", with(jsonType, cookie, crossSite),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", "another site"},
		{"logout from a look-alike origin", "/api/v1/auth/logout", "", with(cookie, []string{"Origin", "https://hiremebahamas.com.evil.example"}),
			http.StatusForbidden, "ORIGIN_NOT_ALLOWED", "hiremebahamas.com.evil.example"},
		{"logout as a text/plain form", "/api/v1/auth/logout", "{}", with([]string{"Content-Type", "text/plain"}, cookie),
			http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			code, h, raw := s.Do(t, http.MethodPost, tc.path, body, tc.header...)
			if code != tc.status {
				t.Fatalf("status %d %s; want %d", code, raw, tc.status)
			}
			if e := servertest.DecodeError(t, raw).Error; e.Code != tc.status || e.Reason != tc.reason || !strings.Contains(e.Message, tc.message) {
				t.Errorf("error %+v; want %d %s mentioning %s", e, tc.status, tc.reason, tc.message)
			}
			if c := h.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("Set-Cookie %q on a refused request", c)
			}
		})
	}
	if after := tableDigests(t, url); !maps.Equal(before, after) {
		t.Errorf("refused requests changed the database:\nbefore %v\nafter  %v", before, after)
	}

	// The same cookie still works from the frontend, from the API's own
	// pages (older browsers send no Sec-Fetch-Site) and without a browser;
	// each refresh rotates it.
	value := victim.RefreshToken
	for _, tc := range []struct {
		name   string
		header []string
	}{
		{"from the frontend", []string{"Origin", "https://hiremebahamas.com", "Sec-Fetch-Site", "cross-site"}},
		{"same origin", []string{"Origin", s.Base, "Sec-Fetch-Site", "same-origin"}},
		{"same origin, no Sec-Fetch-Site", []string{"Origin", s.Base}},
		{"not a browser", nil},
	} {
		code, h, raw := s.Do(t, http.MethodPost, "/api/v1/auth/refresh", strings.NewReader("{}"),
			with(jsonType, []string{"Cookie", "hmb_refresh=" + value}, tc.header)...)
		if code != http.StatusOK {
			t.Fatalf("cookie refresh %s: %d %s; want 200", tc.name, code, raw)
		}
		value = servertest.RefreshCookie(t, h).Value
	}
	code, h, raw := s.Do(t, http.MethodPost, "/api/v1/auth/logout", nil, "Cookie", "hmb_refresh="+value, "Origin", "https://hiremebahamas.com")
	if code != http.StatusOK || servertest.RefreshCookie(t, h).MaxAge >= 0 {
		t.Errorf("logout from the frontend: %d %s %v; want 200 and a cleared cookie", code, raw, h.Values("Set-Cookie"))
	}

	// A request without a body needs no Content-Type.
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	job, err := hmbv1.NewJobServiceClient(s.Conn).CreateJob(servertest.WithToken(employer.AccessToken), &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
		Title: "Night Auditor", Description: "Balance the books overnight.", Company: "Sandals",
		Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
		Island: hmbv1.Island_ISLAND_EXUMA,
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete} {
		code, _, raw := s.Do(t, method, "/api/v1/users/me/saved-jobs/"+job.Id, nil,
			"Authorization", "Bearer "+victim.AccessToken, "Origin", "https://hiremebahamas.com")
		if code != http.StatusOK {
			t.Errorf("%s saved job without a body or Content-Type: %d %s", method, code, raw)
		}
	}
}

// TestRateLimit checks the per-client buckets, that X-Forwarded-For is
// believed only from a trusted proxy and only as far as the first hop it
// does not trust, and that probes are never limited.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	cfg := servertest.Config(url)
	cfg.RateLimit, cfg.RateBurst = 0.01, 3
	cfg.AuthRateLimit, cfg.AuthRateBurst = 0.01, 1
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	s := servertest.Start(t, cfg)

	get := func(forwarded string) (int, http.Header, []byte) {
		return s.Do(t, http.MethodGet, "/api/v1/jobs", nil, "X-Forwarded-For", forwarded)
	}
	for i := range 3 {
		if code, _, _ := get("203.0.113.9"); code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i+1, code)
		}
	}
	code, h, body := get("203.0.113.9")
	e := servertest.DecodeError(t, body)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || e.Error.Reason != "RATE_LIMITED" || e.Error.Status != "RESOURCE_EXHAUSTED" {
		t.Errorf("over the limit: %d, Retry-After %q, %+v", code, h.Get("Retry-After"), e.Error)
	}
	// Prepending a made-up address does not make a new client.
	if code, _, _ := get("198.51.100.1, 203.0.113.9"); code != http.StatusTooManyRequests {
		t.Errorf("spoofed X-Forwarded-For dodged the limit: %d", code)
	}
	// Another client has its own bucket; probes are never limited.
	if code, _, _ := get("198.51.100.7"); code != http.StatusOK {
		t.Errorf("another client: %d", code)
	}
	for range 5 {
		if code, _, _ := s.Do(t, http.MethodGet, "/ready", nil, "X-Forwarded-For", "203.0.113.9"); code != http.StatusOK {
			t.Fatalf("probe limited: %d", code)
		}
	}
	// Auth has its own, stricter bucket.
	login := `{"email":"nobody@example.com","password":"wrong password"}`
	for i, want := range []int{http.StatusUnauthorized, http.StatusTooManyRequests} {
		code, _, _ := s.Do(t, http.MethodPost, "/api/v1/auth/login", strings.NewReader(login), "X-Forwarded-For", "198.51.100.8", "Content-Type", "application/json")
		if code != want {
			t.Errorf("login %d: %d; want %d", i+1, code, want)
		}
	}

	// Without trusted proxies the header is ignored: every request is from
	// the connection's address.
	cfg = servertest.Config(url)
	cfg.RateLimit, cfg.RateBurst = 0.01, 2
	s = servertest.Start(t, cfg)
	var got []int
	for _, fwd := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		code, _, _ := s.Do(t, http.MethodGet, "/api/v1/jobs", nil, "X-Forwarded-For", fwd)
		got = append(got, code)
	}
	if got[2] != http.StatusTooManyRequests {
		t.Errorf("untrusted X-Forwarded-For made new clients: %v", got)
	}

	// gRPC clients are limited by their address too, with RetryInfo.
	jobs := hmbv1.NewJobServiceClient(s.Conn)
	var err error
	for range 3 {
		if _, err = jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{}); err != nil {
			break
		}
	}
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("gRPC over the limit: %v, retry %v", err, retry)
	}
}
