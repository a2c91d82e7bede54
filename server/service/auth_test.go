package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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
