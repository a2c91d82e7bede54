package service_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	first := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	authc := hmbv1.NewAuthServiceClient(s.Conn)

	// REST refresh returns a new pair.
	var second servertest.Session
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}, &second); code != http.StatusOK {
		t.Fatalf("refresh: %d", code)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Errorf("refresh did not rotate: %+v", second)
	}
	// gRPC refresh of the new one works.
	third, err := authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: second.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	// Replaying the first token: 401, and the whole family ends.
	var e servertest.RestError
	code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}, &e)
	if code != http.StatusUnauthorized || e.Error.Reason != "REFRESH_TOKEN_REUSED" {
		t.Errorf("reuse: %d %+v", code, e.Error)
	}
	_, err = authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: third.RefreshToken})
	if status.Code(err) != codes.Unauthenticated || servertest.Reason(err) != "REFRESH_TOKEN_INVALID" {
		t.Errorf("the newest token of a revoked family: %v", err)
	}
	// Garbage is refused cheaply and the same way.
	for _, bad := range []string{"short", strings.Repeat("A", 43), strings.Repeat("x", 64)} {
		if _, err := authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: bad}); status.Code(err) != codes.Unauthenticated ||
			servertest.Reason(err) != "REFRESH_TOKEN_INVALID" {
			t.Errorf("refresh %q: %v", bad, err)
		}
	}
}

// A refresh that presents no token at all is told so, apart from one whose
// token is invalid: over REST a browser that withheld the cookie gets here.
func TestRefreshWithoutToken(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	_, err := hmbv1.NewAuthServiceClient(s.Conn).Refresh(context.Background(), &hmbv1.RefreshRequest{})
	if status.Code(err) != codes.Unauthenticated || servertest.Reason(err) != "REFRESH_TOKEN_MISSING" || !strings.Contains(status.Convert(err).Message(), "no refresh token was sent") {
		t.Errorf("gRPC refresh without a token: %v; want UNAUTHENTICATED REFRESH_TOKEN_MISSING", err)
	}
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		reason string
	}{
		{name: "no body", reason: "REFRESH_TOKEN_MISSING"},
		{name: "empty object", body: "{}", header: []string{"Content-Type", "application/json"}, reason: "REFRESH_TOKEN_MISSING"},
		{name: "empty token", body: `{"refresh_token":""}`, header: []string{"Content-Type", "application/json"}, reason: "REFRESH_TOKEN_MISSING"},
		{name: "other cookies only", header: []string{"Cookie", "theme=dark; hmb_refresh_old=x"}, reason: "REFRESH_TOKEN_MISSING"},
		{name: "empty cookie", header: []string{"Cookie", "hmb_refresh="}, reason: "REFRESH_TOKEN_MISSING"},
		{name: "unknown cookie", header: []string{"Cookie", "hmb_refresh=" + strings.Repeat("A", 43)}, reason: "REFRESH_TOKEN_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			code, _, raw := s.Do(t, http.MethodPost, "/api/v1/auth/refresh", body, tc.header...)
			e := servertest.DecodeError(t, raw)
			if code != http.StatusUnauthorized || e.Error.Status != "UNAUTHENTICATED" || e.Error.Reason != tc.reason {
				t.Errorf("%d %+v; want 401 UNAUTHENTICATED %s", code, e.Error, tc.reason)
			}
			if tc.reason == "REFRESH_TOKEN_MISSING" && !strings.Contains(e.Error.Message, "another site") {
				t.Errorf("message %q does not say that a browser may block the cookie", e.Error.Message)
			}
		})
	}
}

// Of concurrent refreshes with one token, exactly one succeeds.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	sess := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			if _, err := authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: sess.RefreshToken}); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if status.Code(err) != codes.Unauthenticated {
				t.Errorf("refresh: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d of %d concurrent refreshes succeeded; want exactly 1", ok, n)
	}
}

func TestRefreshCookie(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	email := servertest.NewEmail("cookie")
	var reg servertest.Session
	_, header := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", map[string]any{
		"email": email, "password": servertest.Password, "first_name": "C", "last_name": "K", "role": "ROLE_JOB_SEEKER"}, &reg)
	cookie := servertest.RefreshCookie(t, header)
	if cookie.Value != reg.RefreshToken || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode ||
		cookie.Path != "/api/v1/auth" || cookie.MaxAge <= 0 {
		t.Errorf("cookie %+v", cookie)
	}

	// Refresh with the cookie alone.
	refreshWithCookie := func(value string) (int, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, s.Base+"/api/v1/auth/refresh", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "hmb_refresh", Value: value})
		resp, err := s.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	code, header := refreshWithCookie(cookie.Value)
	if code != http.StatusOK {
		t.Fatalf("refresh with the cookie: %d", code)
	}
	rotated := servertest.RefreshCookie(t, header)
	if rotated.Value == cookie.Value {
		t.Error("the cookie did not rotate")
	}

	// Logout with the cookie clears it and ends the session.
	req, _ := http.NewRequest(http.MethodPost, s.Base+"/api/v1/auth/logout", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "hmb_refresh", Value: rotated.Value})
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cleared := servertest.RefreshCookie(t, resp.Header); resp.StatusCode != http.StatusOK || cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("logout: %d, cookie %+v; want 200 and a cleared cookie", resp.StatusCode, cleared)
	}
	if code, _ := refreshWithCookie(rotated.Value); code != http.StatusUnauthorized {
		t.Errorf("refresh after logout: %d; want 401", code)
	}

	// gRPC callers get tokens in the body only.
	var md metadata.MD
	if _, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: servertest.Password}, grpc.Header(&md)); err != nil {
		t.Fatal(err)
	}
	for k := range md {
		if strings.Contains(k, "refresh") || strings.Contains(k, "cookie") {
			t.Errorf("gRPC response metadata %q", k)
		}
	}
}

// The refresh cookie's SameSite, Domain and Partitioned attributes follow
// the settings, on the cookie that is set and the one that clears it; a
// Domain that does not cover the host called gives way to a host-only
// cookie, which the browser keeps.
func TestRefreshCookieSettings(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	for _, tc := range []struct {
		name        string
		sameSite    string
		domain      string
		partitioned bool
		host        string // the Host called; empty: the listener's address
		want        string // Set-Cookie's attributes after the value
	}{
		{name: "default", sameSite: "lax", want: "Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax"},
		{name: "strict", sameSite: "strict", want: "Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict"},
		{name: "another site", sameSite: "none", partitioned: true,
			want: "Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=None; Partitioned"},
		{name: "domain", sameSite: "lax", domain: "hiremebahamas.com", host: "api.hiremebahamas.com",
			want: "Path=/api/v1/auth; Domain=hiremebahamas.com; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax"},
		{name: "domain, the host itself", sameSite: "none", domain: "api.hiremebahamas.com", host: "API.hiremebahamas.com:443",
			want: "Path=/api/v1/auth; Domain=api.hiremebahamas.com; Max-Age=2592000; HttpOnly; Secure; SameSite=None"},
		{name: "domain not covering the host", sameSite: "lax", domain: "hiremebahamas.com", host: "hiremebahamas-api.onrender.com",
			want: "Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax"},
		{name: "domain only as a suffix of the host's text", sameSite: "lax", domain: "bahamas.com", host: "api.hiremebahamas.com",
			want: "Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := servertest.Config(db)
			cfg.RefreshCookieSameSite, cfg.RefreshCookieDomain, cfg.RefreshCookiePartitioned = tc.sameSite, tc.domain, tc.partitioned
			s := servertest.Start(t, cfg)
			post := func(path, body string) []string {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, s.Base+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				if tc.host != "" {
					req.Host = tc.host
				}
				resp, err := s.HTTP.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d", path, resp.StatusCode)
				}
				return resp.Header.Values("Set-Cookie")
			}
			email := servertest.NewEmail("cookie-settings")
			set := post("/api/v1/auth/register", `{"email":"`+email+`","password":"`+servertest.Password+`","first_name":"C","last_name":"K","role":"ROLE_JOB_SEEKER"}`)
			if len(set) != 1 || !strings.HasPrefix(set[0], "hmb_refresh=") || !strings.HasSuffix(set[0], "; "+tc.want) {
				t.Errorf("Set-Cookie %q; want hmb_refresh=…; %s", set, tc.want)
			}
			value, _, _ := strings.Cut(strings.TrimPrefix(set[0], "hmb_refresh="), ";")
			cleared := post("/api/v1/auth/logout", `{"refresh_token":"`+value+`"}`)
			wantCleared := "hmb_refresh=; " + strings.Replace(tc.want, "Max-Age=2592000", "Max-Age=0", 1)
			if len(cleared) != 1 || cleared[0] != wantCleared {
				t.Errorf("logout's Set-Cookie %q; want %q", cleared, wantCleared)
			}
		})
	}
}

// A refresh token unused for longer than REFRESH_IDLE_TTL is refused.
func TestRefreshIdleExpiry(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.RefreshIdleTTL = time.Second
	s := servertest.Start(t, cfg)
	sess := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	time.Sleep(1500 * time.Millisecond)
	_, err := hmbv1.NewAuthServiceClient(s.Conn).Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: sess.RefreshToken})
	if status.Code(err) != codes.Unauthenticated || servertest.Reason(err) != "REFRESH_TOKEN_INVALID" {
		t.Errorf("an idle-expired refresh token: %v", err)
	}
}
