package service_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

var resetLink = regexp.MustCompile(`https?://[^\s"<>]+/reset-password\?token=([A-Za-z0-9_-]{43})`)

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s, mp, _ := withMail(t)
	u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	nobody := servertest.NewEmail("nobody")

	// The answer is the same whether or not the email has an account.
	for _, email := range []string{nobody, strings.ToUpper(u.User.Email)} {
		var out map[string]any
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/password-reset", "", map[string]any{"email": email}, &out); code != http.StatusOK || len(out) != 0 {
			t.Fatalf("request for %s: %d %v", email, code, out)
		}
	}
	m, token := waitForLink(t, mp, u.User.Email, resetLink)
	if !strings.Contains(m.Subject, "HireMeBahamas") {
		t.Errorf("subject %q does not name the product", m.Subject)
	}
	if link := resetLink.FindStringSubmatch(m.Text); !strings.Contains(m.HTML, link[0]) {
		t.Fatalf("no reset link in both parts:\n%s\n%s", m.Text, m.HTML)
	}
	if got := mailsTo(t, mp, nobody); len(got) != 0 {
		t.Errorf("mail sent to an email without an account: %v", got[0].Subject)
	}

	auth := hmbv1.NewAuthServiceClient(s.Conn)
	ctx := context.Background()
	const next = "a brand new passphrase"
	if _, err := auth.ResetPassword(ctx, &hmbv1.ResetPasswordRequest{Token: token, NewPassword: next}); err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	// Every session ended; the old password no longer signs in, the new one does.
	if _, err := auth.Refresh(ctx, &hmbv1.RefreshRequest{RefreshToken: u.RefreshToken}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("refresh after a reset: %v; want Unauthenticated", err)
	}
	if _, err := auth.Login(ctx, &hmbv1.LoginRequest{Email: u.User.Email, Password: servertest.Password}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("old password after a reset: %v", err)
	}
	if _, err := auth.Login(ctx, &hmbv1.LoginRequest{Email: u.User.Email, Password: next}); err != nil {
		t.Errorf("new password: %v", err)
	}
	// The link works once.
	var refused servertest.RestError
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": token, "new_password": "yet another passphrase"}, &refused); code != http.StatusBadRequest || refused.Error.Reason != "RESET_TOKEN_INVALID" {
		t.Errorf("a used link: %d %+v", code, refused.Error)
	}
	// The owner hears of the change.
	servertest.Eventually(t, 30*time.Second, "the password-changed notice", func() bool {
		return len(withoutVerification(mailsTo(t, mp, u.User.Email))) == 2
	})
	for _, got := range withoutVerification(mailsTo(t, mp, u.User.Email)) {
		if got.ID != m.ID && (resetLink.MatchString(got.Text) || !strings.Contains(got.Text, "password")) {
			t.Errorf("the notice: %q\n%s", got.Subject, got.Text)
		}
	}
	metrics := "http://" + s.App.MetricsAddr().String() + "/metrics"
	// River reports finished jobs a moment after it records them.
	servertest.Eventually(t, 10*time.Second, "both reset requests counted as completed", func() bool {
		return servertest.Scrape(t, metrics).Value(t, "queue_jobs_worked_total", map[string]string{"kind": "password_reset_requested", "outcome": "completed"}) == 2
	})
}

func TestPasswordResetRefusals(t *testing.T) {
	t.Parallel()
	s, mp, url := withMail(t)
	u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	auth := hmbv1.NewAuthServiceClient(s.Conn)
	ctx := context.Background()

	// Requests for one email within a minute are one job, and one mail.
	for range 3 {
		if _, err := auth.RequestPasswordReset(ctx, &hmbv1.RequestPasswordResetRequest{Email: u.User.Email}); err != nil {
			t.Fatal(err)
		}
	}
	_, token := waitForLink(t, mp, u.User.Email, resetLink)
	// A later request's mail arriving means the earlier jobs were done.
	other := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	if _, err := auth.RequestPasswordReset(ctx, &hmbv1.RequestPasswordResetRequest{Email: other.User.Email}); err != nil {
		t.Fatal(err)
	}
	waitForLink(t, mp, other.User.Email, resetLink)
	if n := len(withoutVerification(mailsTo(t, mp, u.User.Email))); n != 1 {
		t.Errorf("%d mails for three requests in a minute; want 1", n)
	}

	// An expired link is refused.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE password_resets SET expire_time = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token, password, reason string
	}{
		{"expired", token, "a brand new passphrase", "RESET_TOKEN_INVALID"},
		{"not a token", "not-a-token", "a brand new passphrase", "RESET_TOKEN_INVALID"},
		{"unknown", strings.Repeat("A", 43), "a brand new passphrase", "RESET_TOKEN_INVALID"},
		{"short password", token, "short", ""},
	} {
		_, err := auth.ResetPassword(ctx, &hmbv1.ResetPasswordRequest{Token: tc.token, NewPassword: tc.password})
		if status.Code(err) != codes.InvalidArgument || tc.reason != "" && servertest.Reason(err) != tc.reason {
			t.Errorf("%s: %v; want INVALID_ARGUMENT %s", tc.name, err, tc.reason)
		}
	}
	if _, err := auth.Login(ctx, &hmbv1.LoginRequest{Email: u.User.Email, Password: servertest.Password}); err != nil {
		t.Errorf("refused resets changed the password: %v", err)
	}
	var bad servertest.RestError
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/password-reset", "", map[string]any{"email": "not an email"}, &bad); code != http.StatusBadRequest || bad.Error.Reason != "INVALID_EMAIL" {
		t.Errorf("a malformed email: %d %+v", code, bad.Error)
	}
}

// With the SMTP server down, the mail is retried, and delivered once when
// the server is back: nothing lost, nothing sent twice.
func TestResetMailSurvivesSMTPDown(t *testing.T) {
	t.Parallel()
	s, mp, url := withMail(t)
	u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	mp.Stop()
	if _, err := hmbv1.NewAuthServiceClient(s.Conn).RequestPasswordReset(context.Background(), &hmbv1.RequestPasswordResetRequest{Email: u.User.Email}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	servertest.Eventually(t, 30*time.Second, "a failed attempt, kept for retry", func() bool {
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'password_reset_requested' AND state = 'retryable' AND errors IS NOT NULL").Scan(&n)
		return err == nil && n == 1
	})
	mp.Restart(t)
	waitForLink(t, mp, u.User.Email, resetLink)
	servertest.Eventually(t, 30*time.Second, "the job completed", func() bool {
		var state string
		err := conn.QueryRow(ctx, "SELECT state::text FROM river_job WHERE kind = 'password_reset_requested'").Scan(&state)
		return err == nil && state == "completed"
	})
	if n := len(withoutVerification(mailsTo(t, mp, u.User.Email))); n != 1 {
		t.Errorf("%d mails after the server came back; want 1", n)
	}
}
