package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/auth"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
	"github.com/hiremebahamas/api/store"
)

func TestRegisterAndLogin(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	authc := hmbv1.NewAuthServiceClient(s.Conn)

	// REST: snake_case fields, the email normalised, a session returned.
	var reg servertest.Session
	code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", map[string]any{
		"email": "  Ada.Lovelace@Example.COM ", "password": servertest.Password, "first_name": "Ada", "last_name": "Lovelace",
		"role": "ROLE_EMPLOYER", "location": "ISLAND_EXUMA",
	}, &reg)
	if code != http.StatusOK {
		t.Fatalf("register: %d %+v", code, reg)
	}
	if reg.TokenType != "Bearer" || reg.ExpiresIn != 900 || reg.AccessToken == "" || len(reg.RefreshToken) != 43 {
		t.Errorf("session %+v", reg)
	}
	if reg.User["email"] != "ada.lovelace@example.com" || reg.User["role"] != "ROLE_EMPLOYER" || reg.User["location"] != "ISLAND_EXUMA" {
		t.Errorf("user %+v", reg.User)
	}

	// A taken email, whatever its case, over both transports.
	var e servertest.RestError
	code, _ = s.Call(t, http.MethodPost, "/api/v1/auth/register", "", map[string]any{
		"email": "ada.lovelace@example.com", "password": servertest.Password, "first_name": "A", "last_name": "L", "role": "ROLE_JOB_SEEKER",
	}, &e)
	if code != http.StatusConflict || e.Error.Status != "ALREADY_EXISTS" || e.Error.Reason != "EMAIL_TAKEN" {
		t.Errorf("REST duplicate: %d %+v", code, e.Error)
	}
	_, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
		Email: "ADA.LOVELACE@example.com", Password: servertest.Password, FirstName: "A", LastName: "L", Role: hmbv1.Role_ROLE_JOB_SEEKER,
	})
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("gRPC duplicate: %v", err)
	}

	// Login with any case, over both transports; the tokens work.
	var login servertest.Session
	code, _ = s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": "ADA.lovelace@example.com", "password": servertest.Password}, &login)
	if code != http.StatusOK || login.User["id"] != reg.User["id"] {
		t.Errorf("REST login: %d %+v", code, login)
	}
	grpcLogin, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: "ada.lovelace@example.com", Password: servertest.Password})
	if err != nil || grpcLogin.GetUser().GetId() != reg.User["id"] {
		t.Fatalf("gRPC login: %v %v", grpcLogin, err)
	}
	me, err := hmbv1.NewUserServiceClient(s.Conn).GetMe(servertest.WithToken(grpcLogin.AccessToken), &hmbv1.GetMeRequest{})
	if err != nil || me.GetEmail() != "ada.lovelace@example.com" {
		t.Errorf("GetMe with the new token: %v %v", me, err)
	}
}

// Each bad registration is a 400 naming the field, and creates nothing.
func TestRegisterRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	good := func() map[string]any {
		return map[string]any{"email": servertest.NewEmail("bad"), "password": servertest.Password, "first_name": "A", "last_name": "B", "role": "ROLE_JOB_SEEKER"}
	}
	for _, tc := range []struct {
		name  string
		field string
		value any
	}{
		{"malformed email", "email", "not-an-email"},
		{"short password", "password", "short"},
		{"overlong password", "password", strings.Repeat("p", 129)},
		{"admin role", "role", "ROLE_ADMIN"},
		{"unknown role", "role", "ROLE_KING"},
		{"no role", "role", "ROLE_UNSPECIFIED"},
		{"overlong first name", "first_name", strings.Repeat("n", 101)},
		{"empty last name", "last_name", ""},
		{"bad phone", "phone", "call me maybe"},
		{"wrong type", "first_name", 42},
		{"unknown island", "location", "ISLAND_ATLANTIS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := good()
			body[tc.field] = tc.value
			var e servertest.RestError
			code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", body, &e)
			if code != http.StatusBadRequest || e.Error.Status != "INVALID_ARGUMENT" {
				t.Fatalf("%d %+v; want 400 INVALID_ARGUMENT", code, e.Error)
			}
			if !strings.Contains(e.Error.Message, tc.field) {
				t.Errorf("message %q does not name %s", e.Error.Message, tc.field)
			}
			var l servertest.RestError
			if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": body["email"], "password": servertest.Password}, &l); code != http.StatusUnauthorized {
				t.Errorf("the refused account can sign in: %d", code)
			}
		})
	}
}

// An unknown email, a wrong password and a deactivated account get the
// same answer.
func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	known := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	gone := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	if _, err := hmbv1.NewUserServiceClient(s.Conn).DeleteMe(servertest.WithToken(gone.AccessToken), &hmbv1.DeleteMeRequest{}); err != nil {
		t.Fatal(err)
	}
	attempts := map[string]map[string]any{
		"unknown email":  {"email": servertest.NewEmail("nobody"), "password": servertest.Password},
		"wrong password": {"email": known.User.Email, "password": "not the password"},
		"deactivated":    {"email": gone.User.Email, "password": servertest.Password},
	}
	var bodies []servertest.RestError
	for name, body := range attempts {
		var e servertest.RestError
		code, header := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", body, &e)
		if code != http.StatusUnauthorized || header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d, WWW-Authenticate %q", name, code, header.Get("WWW-Authenticate"))
		}
		e.Error.RequestID = ""
		bodies = append(bodies, e)

		_, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: body["email"].(string), Password: body["password"].(string)})
		if status.Code(err) != codes.Unauthenticated || status.Convert(err).Message() != "the email or password is incorrect" {
			t.Errorf("%s over gRPC: %v", name, err)
		}
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("bodies differ: %+v vs %+v", b, bodies[0])
		}
	}
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	// Long enough that five failed sign-ins (a password hash each, slow
	// under the race detector on a busy machine) fall inside it.
	cfg.LoginWindow = 8 * time.Second
	s := servertest.Start(t, cfg)
	victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	other := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	authc := hmbv1.NewAuthServiceClient(s.Conn)

	for i := range 5 {
		var e servertest.RestError
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": victim.User.Email, "password": "wrong-" + strconv.Itoa(i)}, &e); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	// Locked: even the right password, over both transports.
	var e servertest.RestError
	code, header := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": victim.User.Email, "password": servertest.Password}, &e)
	retry, _ := strconv.Atoi(header.Get("Retry-After"))
	if code != http.StatusTooManyRequests || e.Error.Reason != "TOO_MANY_LOGIN_ATTEMPTS" || retry < 1 || retry > 8 {
		t.Errorf("locked REST login: %d %+v Retry-After %q", code, e.Error, header.Get("Retry-After"))
	}
	if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: victim.User.Email, Password: servertest.Password}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("locked gRPC login: %v", err)
	}
	// Other accounts are unaffected.
	if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: other.User.Email, Password: servertest.Password}); err != nil {
		t.Errorf("another account: %v", err)
	}
	// Once the window passes, the right password works again.
	servertest.Eventually(t, 20*time.Second, "the lockout ends with its window", func() bool {
		_, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: victim.User.Email, Password: servertest.Password})
		return err == nil
	})
}

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

func TestLogoutAllAndChangePassword(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	a := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	b, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: a.User.Email, Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}

	// Wrong current password: 400, nothing changes.
	var e servertest.RestError
	code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/change-password", a.AccessToken, map[string]any{"current_password": "nope-nope", "new_password": "a brand new password"}, &e)
	if code != http.StatusBadRequest || !strings.Contains(e.Error.Message, "current_password") {
		t.Errorf("wrong current password: %d %+v", code, e.Error)
	}
	// Right one: a fresh session comes back; the others end.
	var fresh servertest.Session
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/change-password", a.AccessToken, map[string]any{"current_password": servertest.Password, "new_password": "a brand new password"}, &fresh); code != http.StatusOK {
		t.Fatalf("change password: %d", code)
	}
	for name, tok := range map[string]string{"first": a.RefreshToken, "second": b.RefreshToken} {
		if _, err := authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: tok}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s session after a password change: %v", name, err)
		}
	}
	if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: a.User.Email, Password: servertest.Password}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("old password still works: %v", err)
	}
	c, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: a.User.Email, Password: "a brand new password"})
	if err != nil {
		t.Fatal(err)
	}

	// LogoutAll over gRPC ends every session, the fresh one included.
	if _, err := authc.LogoutAll(servertest.WithToken(c.AccessToken), &hmbv1.LogoutAllRequest{}); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"fresh": fresh.RefreshToken, "latest": c.RefreshToken} {
		if _, err := authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: tok}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s session after LogoutAll: %v", name, err)
		}
	}
	// LogoutAll needs a signed-in caller.
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/logout-all", "", map[string]any{}, nil); code != http.StatusUnauthorized {
		t.Errorf("LogoutAll without a token: %d", code)
	}
}

// Every forged, expired or malformed access token is refused with 401 /
// UNAUTHENTICATED, over both transports.
func TestAccessTokenAttacks(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	user := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	key := auth.KeyFromSecret(servertest.Secret)
	mint := func(cfg auth.TokenConfig) string {
		t.Helper()
		tokens, err := auth.NewTokens(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := tokens.Issue(user.User.Id, "JOB_SEEKER")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	base := auth.TokenConfig{Issuer: "hiremebahamas", Audience: "hiremebahamas-api", TTL: 15 * time.Minute, Current: key}
	expired := base
	expired.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	wrongAudience := base
	wrongAudience.Audience = "someone-else"
	wrongIssuer := base
	wrongIssuer.Issuer = "evil"
	otherKey := base
	otherKey.Current = auth.KeyFromSecret("another-secret-that-is-long-enough-000")
	parts := strings.Split(user.AccessToken, ".")
	for _, tc := range []struct {
		name, header string
	}{
		{"no token", ""},
		{"alg none", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."},
		{"tampered payload", "Bearer " + parts[0] + "." + parts[1] + "x." + parts[2]},
		{"tampered signature", "Bearer " + parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
		{"expired", "Bearer " + mint(expired)},
		{"wrong audience", "Bearer " + mint(wrongAudience)},
		{"wrong issuer", "Bearer " + mint(wrongIssuer)},
		{"unknown key", "Bearer " + mint(otherKey)},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"garbage", "Bearer not-a-jwt"},
		{"long run of dots", "Bearer " + strings.Repeat(".", 60000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, header, body := s.Do(t, http.MethodGet, "/api/v1/users/me", nil, "Authorization", tc.header)
			e := servertest.DecodeError(t, body)
			if code != http.StatusUnauthorized || e.Error.Status != "UNAUTHENTICATED" || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("REST: %d %+v WWW-Authenticate %q", code, e.Error, header.Get("WWW-Authenticate"))
			}
			ctx := context.Background()
			if tc.header != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", tc.header)
			}
			if _, err := hmbv1.NewUserServiceClient(s.Conn).GetMe(ctx, &hmbv1.GetMeRequest{}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("gRPC: %v", err)
			}
		})
	}
	// Just under the server's cap on header lists (64 KiB) gets a plain
	// UNAUTHENTICATED; a megabyte is refused before it is read: the server
	// announces the cap, and grpc-go clients keep to it.
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+strings.Repeat(".", 60<<10))
	if _, err := hmbv1.NewUserServiceClient(s.Conn).GetMe(ctx, &hmbv1.GetMeRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("60 KiB of dots over gRPC: %v", err)
	}
	ctx = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+strings.Repeat(".", 1<<20))
	if _, err := hmbv1.NewUserServiceClient(s.Conn).GetMe(ctx, &hmbv1.GetMeRequest{}); err == nil || !strings.Contains(err.Error(), "maximum size (65536 bytes) set by server") {
		t.Errorf("a megabyte of dots over gRPC: %v", err)
	}
	// The genuine token works, so the refusals above are about the tokens.
	if _, err := hmbv1.NewUserServiceClient(s.Conn).GetMe(servertest.WithToken(user.AccessToken), &hmbv1.GetMeRequest{}); err != nil {
		t.Errorf("genuine token: %v", err)
	}
}

// Rotating JWT_SECRET_KEY with the old key listed as previous signs nobody
// out; dropping the old key does.
func TestSigningKeyRotation(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	before := servertest.Start(t, servertest.Config(url))
	user := before.Register(t, hmbv1.Role_ROLE_EMPLOYER)

	rotated := servertest.Config(url)
	rotated.JWTSecretKey = "the-next-signing-key-0123456789abcdefgh"
	rotated.JWTPreviousKeys = []string{servertest.Secret}
	after := servertest.Start(t, rotated)
	if _, err := hmbv1.NewUserServiceClient(after.Conn).GetMe(servertest.WithToken(user.AccessToken), &hmbv1.GetMeRequest{}); err != nil {
		t.Errorf("a token signed with the previous key: %v", err)
	}

	dropped := servertest.Config(url)
	dropped.JWTSecretKey = rotated.JWTSecretKey
	gone := servertest.Start(t, dropped)
	if _, err := hmbv1.NewUserServiceClient(gone.Conn).GetMe(servertest.WithToken(user.AccessToken), &hmbv1.GetMeRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a token signed with a dropped key: %v", err)
	}
}

// A password hashed with weaker parameters is rehashed at the next sign-in.
func TestLoginUpgradesWeakHashes(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := servertest.Start(t, servertest.Config(url))
	st := servertest.OpenStore(t, url)
	weak, err := auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1).Hash(context.Background(), servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	email := servertest.NewEmail("legacy")
	if _, err := st.CreateUser(context.Background(), store.NewUser{Email: email, PasswordHash: weak, Role: "JOB_SEEKER", FirstName: "L", LastName: "G"}); err != nil {
		t.Fatal(err)
	}
	if _, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: servertest.Password}); err != nil {
		t.Fatalf("login with a weakly hashed password: %v", err)
	}
	_, hash, err := st.GetCredentials(context.Background(), email)
	if err != nil || !strings.Contains(hash, "$m=19456,t=2,p=1$") {
		t.Errorf("hash after sign-in %q, %v; want the current parameters", hash, err)
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

// outcome is how one sign-in or password change ended: "OK" or the error's
// reason, and the Retry-After of a refusal.
type outcome struct {
	reason string
	retry  time.Duration
}

func transportName(rest bool) string {
	if rest {
		return "REST"
	}
	return "gRPC"
}

// login signs in over REST or gRPC. It may run on any goroutine.
func login(t *testing.T, s *servertest.Service, rest bool, email, password string) outcome {
	t.Helper()
	if rest {
		return restOutcome(t, s, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: password})
	return grpcOutcome(err)
}

// changePassword changes the password of the token's user over REST or
// gRPC. It may run on any goroutine.
func changePassword(t *testing.T, s *servertest.Service, rest bool, token, current, next string) outcome {
	t.Helper()
	if rest {
		return restOutcome(t, s, "/api/v1/auth/change-password", token, map[string]any{"current_password": current, "new_password": next})
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).ChangePassword(servertest.WithToken(token), &hmbv1.ChangePasswordRequest{CurrentPassword: current, NewPassword: next})
	return grpcOutcome(err)
}

func restOutcome(t *testing.T, s *servertest.Service, path, token string, body map[string]any) outcome {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.Base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return outcome{reason: "TRANSPORT"}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return outcome{reason: "OK"}
	}
	var e servertest.RestError
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Errorf("POST %s: %d with a body that is not the error shape: %v", path, resp.StatusCode, err)
	}
	if e.Error.Reason == "TOO_MANY_LOGIN_ATTEMPTS" || e.Error.Reason == "TOO_MANY_ATTEMPTS_FROM_ADDRESS" {
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("POST %s: %s with status %d; want 429", path, e.Error.Reason, resp.StatusCode)
		}
	}
	secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return outcome{reason: e.Error.Reason, retry: time.Duration(secs) * time.Second}
}

func grpcOutcome(err error) outcome {
	if err == nil {
		return outcome{reason: "OK"}
	}
	o := outcome{reason: servertest.Reason(err)}
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			o.retry = r.GetRetryDelay().AsDuration()
		}
	}
	return o
}

// burst runs n attempts at once and counts their outcomes by reason,
// checking that every refusal says when to retry, no later than within.
func burst(t *testing.T, n int, within time.Duration, attempt func(i int) outcome) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	ready := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-ready
			o := attempt(i)
			if strings.HasPrefix(o.reason, "TOO_MANY_") && (o.retry <= 0 || o.retry > within) {
				t.Errorf("attempt %d: %s with retry after %s; want (0, %s]", i, o.reason, o.retry, within)
			}
			mu.Lock()
			got[o.reason]++
			mu.Unlock()
		})
	}
	close(ready)
	wg.Wait()
	return got
}

// holdLoginFailures locks the table of failed sign-ins, which every
// attempt reads and writes before its password is checked, until release.
// waiting counts the service's connections waiting for a lock meanwhile.
func holdLoginFailures(t *testing.T, databaseURL string) (waiting func() int, release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	// Closing the connection also releases the lock if the test stops early.
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "BEGIN; LOCK TABLE login_failures IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	waiting = func() int {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	release = func() {
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
	}
	return waiting, release
}

// Simultaneous guesses for one account are counted before any password is
// checked: of 16 at once, exactly LOGIN_MAX_FAILURES are checked.
func TestLoginLockoutHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxFailures = 5
	// Long enough for a burst and its five password checks on a busy
	// machine under the race detector; the test waits it out once.
	cfg.LoginWindow = 8 * time.Second
	s := servertest.Start(t, cfg)
	for _, rest := range []bool{false, true} {
		t.Run(transportName(rest), func(t *testing.T) {
			t.Parallel()
			victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
			got := burst(t, 16, cfg.LoginWindow, func(i int) outcome {
				return login(t, s, rest, victim.User.Email, "wrong-guess-"+strconv.Itoa(i))
			})
			t.Logf("16 simultaneous wrong guesses: %v", got)
			want := map[string]int{"INVALID_CREDENTIALS": 5, "TOO_MANY_LOGIN_ATTEMPTS": 11}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("outcomes of 16 simultaneous wrong guesses (-want +got):\n%s", diff)
			}
			// Locked: the right password is refused over both transports.
			for _, rest := range []bool{false, true} {
				if o := login(t, s, rest, victim.User.Email, servertest.Password); o.reason != "TOO_MANY_LOGIN_ATTEMPTS" || o.retry <= 0 || o.retry > cfg.LoginWindow {
					t.Errorf("the right password after the burst, over %s: %+v; want TOO_MANY_LOGIN_ATTEMPTS", transportName(rest), o)
				}
			}
			servertest.Eventually(t, 30*time.Second, "the lockout ends with its window", func() bool {
				return login(t, s, rest, victim.User.Email, servertest.Password).reason == "OK"
			})
		})
	}
}

// One attempt of a burst carries the right password: whichever is checked
// first, no more than LOGIN_MAX_FAILURES passwords are checked. The burst
// is held at the database until all sixteen have reached it, so that none
// comes after the sign-in has ended, when a new attempt would rightly find
// the failures cleared.
func TestLoginLockoutHoldsWithTheRightPasswordInABurst(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	cfg := servertest.Config(url)
	cfg.LoginMaxFailures = 5
	cfg.LoginWindow = time.Minute
	// A connection for each attempt, so that all can wait in the database.
	cfg.DBMaxConns = 20
	s := servertest.Start(t, cfg)
	victim := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	waiting, release := holdLoginFailures(t, url)
	results := make(chan map[string]int, 1)
	go func() {
		results <- burst(t, 16, cfg.LoginWindow, func(i int) outcome {
			password := "wrong-guess-" + strconv.Itoa(i)
			if i == 7 {
				password = servertest.Password
			}
			return login(t, s, i%2 == 0, victim.User.Email, password)
		})
	}()
	servertest.Eventually(t, 30*time.Second, "all 16 attempts reach the database", func() bool { return waiting() == 16 })
	release()
	got := <-results
	t.Logf("16 simultaneous attempts, one right: %v", got)
	if checked := got["OK"] + got["INVALID_CREDENTIALS"]; checked > 5 || checked+got["TOO_MANY_LOGIN_ATTEMPTS"] != 16 || got["OK"] > 1 {
		t.Errorf("outcomes %v; want at most 5 checked passwords and the rest TOO_MANY_LOGIN_ATTEMPTS", got)
	}
}

// A password change checks the current password like a sign-in: the
// guesses count toward the account's lockout, and the right password
// clears the failures.
func TestChangePasswordCountsTowardLockout(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxFailures = 5
	s := servertest.Start(t, cfg)
	const next = "a brand new password"
	for _, rest := range []bool{false, true} {
		t.Run(transportName(rest)+"/guesses lock the account", func(t *testing.T) {
			t.Parallel()
			stolen := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
			for i := range 5 {
				if o := changePassword(t, s, rest, stolen.AccessToken, "guess-"+strconv.Itoa(i), next); o.reason != "INVALID_CURRENT_PASSWORD" {
					t.Fatalf("guess %d: %+v; want INVALID_CURRENT_PASSWORD", i, o)
				}
			}
			for _, rest := range []bool{false, true} {
				if o := changePassword(t, s, rest, stolen.AccessToken, servertest.Password, next); o.reason != "TOO_MANY_LOGIN_ATTEMPTS" || o.retry <= 0 {
					t.Errorf("the right current password over %s once locked: %+v; want TOO_MANY_LOGIN_ATTEMPTS", transportName(rest), o)
				}
				if o := login(t, s, rest, stolen.User.Email, servertest.Password); o.reason != "TOO_MANY_LOGIN_ATTEMPTS" {
					t.Errorf("sign-in over %s once locked: %+v; want TOO_MANY_LOGIN_ATTEMPTS", transportName(rest), o)
				}
			}
		})
		t.Run(transportName(rest)+"/the right password clears the failures", func(t *testing.T) {
			t.Parallel()
			user := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
			for i := range 4 {
				if o := login(t, s, rest, user.User.Email, "typo-"+strconv.Itoa(i)); o.reason != "INVALID_CREDENTIALS" {
					t.Fatalf("failure %d: %+v", i, o)
				}
			}
			if o := changePassword(t, s, rest, user.AccessToken, servertest.Password, next); o.reason != "OK" {
				t.Fatalf("change with the right password: %+v", o)
			}
			// Four more failures would lock the account had the first four
			// not been cleared.
			for i := range 4 {
				if o := login(t, s, rest, user.User.Email, "typo-again-"+strconv.Itoa(i)); o.reason != "INVALID_CREDENTIALS" {
					t.Fatalf("failure %d after the change: %+v; want INVALID_CREDENTIALS", i, o)
				}
			}
			if o := login(t, s, rest, user.User.Email, next); o.reason != "OK" {
				t.Errorf("sign-in with the new password: %+v", o)
			}
		})
	}
}

// An address over LOGIN_MAX_PER_ADDRESS is slowed down, not locked out:
// the people behind it still sign in with their passwords.
func TestLoginSlowsAnAddressInsteadOfLockingIt(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxPerAddress = 3
	cfg.LoginAddressInterval = 200 * time.Millisecond
	s := servertest.Start(t, cfg)
	users := map[bool]*hmbv1.AuthSession{false: s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER), true: s.Register(t, hmbv1.Role_ROLE_EMPLOYER)}
	// Someone without any password sprays guesses from the address every
	// test client shares, up to its limit.
	for i := range 3 {
		if o := login(t, s, i%2 == 0, servertest.NewEmail("spray"), "guess-"+strconv.Itoa(i)); o.reason != "INVALID_CREDENTIALS" {
			t.Fatalf("guess %d: %+v; want INVALID_CREDENTIALS", i, o)
		}
	}
	for _, rest := range []bool{false, true} {
		user := users[rest]
		if o := login(t, s, rest, user.User.Email, servertest.Password); o.reason != "OK" {
			t.Errorf("the right password over %s from the address: %+v; want a session", transportName(rest), o)
		}
		if o := login(t, s, rest, user.User.Email, "not my password"); o.reason != "INVALID_CREDENTIALS" {
			t.Errorf("a wrong password over %s from the address: %+v; want INVALID_CREDENTIALS", transportName(rest), o)
		}
		if o := login(t, s, rest, user.User.Email, servertest.Password); o.reason != "OK" {
			t.Errorf("the right password over %s after a typo: %+v; want a session", transportName(rest), o)
		}
	}
}

// Once an address is over its limit, it gets one attempt per
// LOGIN_ADDRESS_INTERVAL, however many it sends at once.
func TestLoginSpacesAttemptsOfAnAddressOverItsLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.LoginMaxPerAddress = 3
	// Longer than any request may wait, so an attempt that does not get the
	// slot at once is refused rather than kept waiting.
	cfg.LoginAddressInterval = time.Hour
	cfg.LoginWindow = 2 * time.Hour
	s := servertest.Start(t, cfg)
	for i := range 2 {
		if o := login(t, s, i%2 == 0, servertest.NewEmail("spray"), "guess"); o.reason != "INVALID_CREDENTIALS" {
			t.Fatalf("guess %d: %+v; want INVALID_CREDENTIALS", i, o)
		}
	}
	// The first of the burst reaches the limit; the others find the
	// address's next slot an hour away.
	got := burst(t, 8, cfg.LoginAddressInterval, func(i int) outcome {
		return login(t, s, i%2 == 0, servertest.NewEmail("burst"), "guess-"+strconv.Itoa(i))
	})
	t.Logf("8 simultaneous attempts from an address at its limit: %v", got)
	want := map[string]int{"INVALID_CREDENTIALS": 1, "TOO_MANY_ATTEMPTS_FROM_ADDRESS": 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes of 8 simultaneous attempts (-want +got):\n%s", diff)
	}
}
