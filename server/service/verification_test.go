package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/hiremebahamas/api/config"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// registerOver signs up an account over REST or gRPC and returns its email
// and access token.
func registerOver(t *testing.T, s *servertest.Service, rest bool, role hmbv1.Role) (email, token string) {
	t.Helper()
	email = servertest.NewEmail("verify")
	if rest {
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", map[string]any{"email": email, "password": servertest.Password,
			"first_name": "Ada", "last_name": "L", "role": role.String()}, &out); code != http.StatusOK {
			t.Fatalf("register: %d", code)
		}
		return email, out.AccessToken
	}
	resp, err := hmbv1.NewAuthServiceClient(s.Conn).Register(context.Background(), &hmbv1.RegisterRequest{
		Email: email, Password: servertest.Password, FirstName: "Ada", LastName: "L", Role: role})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return email, resp.AccessToken
}

// verifyOver spends a verification token over REST or gRPC and returns the
// gRPC code of the answer and its reason.
func verifyOver(t *testing.T, s *servertest.Service, rest bool, token string) (codes.Code, string) {
	t.Helper()
	if rest {
		var out servertest.RestError
		code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/email-verification/confirm", "", map[string]any{"token": token}, &out)
		switch code {
		case http.StatusOK:
			return codes.OK, ""
		case http.StatusBadRequest:
			return codes.InvalidArgument, out.Error.Reason
		}
		return codes.Unknown, out.Error.Reason
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).VerifyEmail(context.Background(), &hmbv1.VerifyEmailRequest{Token: token})
	return status.Code(err), servertest.Reason(err)
}

// emailVerified reads the caller's own account over REST or gRPC.
func emailVerified(t *testing.T, s *servertest.Service, rest bool, token string) bool {
	t.Helper()
	if rest {
		var me map[string]any
		if code, _ := s.Call(t, http.MethodGet, "/api/v1/users/me", token, nil, &me); code != http.StatusOK {
			t.Fatalf("GET me: %d", code)
		}
		// protojson leaves out a false bool.
		return me["email_verified"] == true
	}
	me, err := hmbv1.NewUserServiceClient(s.Conn).GetMe(servertest.WithToken(token), &hmbv1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return me.EmailVerified
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	s, mp, _ := withMail(t)
	for _, rest := range []bool{true, false} {
		name := map[bool]string{true: "REST", false: "gRPC"}[rest]
		t.Run(name, func(t *testing.T) {
			email, access := registerOver(t, s, rest, hmbv1.Role_ROLE_JOB_SEEKER)
			m, token := waitForLink(t, mp, email, verifyLink)
			if !strings.Contains(m.Subject, "HireMeBahamas") || !strings.Contains(m.Text, "Ada") || !strings.Contains(m.HTML, "/verify-email?token="+token) {
				t.Errorf("the mail: %q\n%s\n%s", m.Subject, m.Text, m.HTML)
			}
			if _, ok := m.Headers["List-Unsubscribe"]; ok {
				t.Errorf("an essential mail with an unsubscribe link: %v", m.Headers["List-Unsubscribe"])
			}
			if emailVerified(t, s, rest, access) {
				t.Fatal("verified before the link was followed")
			}
			if code, reason := verifyOver(t, s, rest, token); code != codes.OK {
				t.Fatalf("verify: %v %s", code, reason)
			}
			if !emailVerified(t, s, rest, access) {
				t.Error("not verified after the link was followed")
			}
			// The link works once.
			if code, reason := verifyOver(t, s, rest, token); code != codes.InvalidArgument || reason != "VERIFY_TOKEN_INVALID" {
				t.Errorf("the link a second time: %v %s; want INVALID_ARGUMENT VERIFY_TOKEN_INVALID", code, reason)
			}
		})
	}
}

func TestEmailVerificationRefusals(t *testing.T) {
	t.Parallel()
	s, mp, url := withMail(t)
	email, access := registerOver(t, s, false, hmbv1.Role_ROLE_JOB_SEEKER)
	_, token := waitForLink(t, mp, email, verifyLink)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE email_verifications SET expire_time = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	for _, rest := range []bool{true, false} {
		for _, tc := range []struct{ name, token string }{
			{"expired", token},
			{"not a token", "not-a-token"},
			{"unknown", strings.Repeat("A", 43)},
		} {
			if code, reason := verifyOver(t, s, rest, tc.token); code != codes.InvalidArgument || reason != "VERIFY_TOKEN_INVALID" {
				t.Errorf("%s (REST %v): %v %s; want INVALID_ARGUMENT VERIFY_TOKEN_INVALID", tc.name, rest, code, reason)
			}
		}
	}
	if emailVerified(t, s, false, access) {
		t.Error("a refused link verified the email")
	}
	// Asking for a new link takes a signed-in caller.
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/email-verification", "", map[string]any{}, nil); code != http.StatusUnauthorized {
		t.Errorf("an anonymous request: %d; want 401", code)
	}
}

// An account gets at most 3 links an hour, the one of sign-up included, and
// a verified one gets none, whatever it asks; the answer is the same.
func TestEmailVerificationResend(t *testing.T) {
	t.Parallel()
	s, mp, _ := withMail(t)
	email, access := registerOver(t, s, true, hmbv1.Role_ROLE_EMPLOYER)
	auth := hmbv1.NewAuthServiceClient(s.Conn)
	request := func(rest bool) {
		t.Helper()
		if rest {
			var out map[string]any
			if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/email-verification", access, map[string]any{}, &out); code != http.StatusOK || len(out) != 0 {
				t.Fatalf("request: %d %v", code, out)
			}
			return
		}
		if _, err := auth.RequestEmailVerification(servertest.WithToken(access), &hmbv1.RequestEmailVerificationRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	metrics := "http://" + s.App.MetricsAddr().String() + "/metrics"
	worked := func(n float64) {
		t.Helper()
		servertest.Eventually(t, 60*time.Second, "verification jobs completed", func() bool {
			return servertest.Scrape(t, metrics).Value(t, "queue_jobs_worked_total", map[string]string{"kind": "email_verification_requested", "outcome": "completed"}) == n
		})
	}
	for i := range 4 {
		request(i%2 == 0)
	}
	worked(5)
	links := func() []string {
		var tokens []string
		for _, m := range mailsTo(t, mp, email) {
			if sub := verifyLink.FindStringSubmatch(m.Text); sub != nil {
				tokens = append(tokens, sub[1])
			}
		}
		return tokens
	}
	tokens := links()
	if len(tokens) != 3 {
		t.Fatalf("%d links for a sign-up and 4 requests within the hour; want 3", len(tokens))
	}
	// Following one spends the others.
	if code, reason := verifyOver(t, s, false, tokens[1]); code != codes.OK {
		t.Fatalf("verify: %v %s", code, reason)
	}
	if code, reason := verifyOver(t, s, true, tokens[0]); code != codes.InvalidArgument || reason != "VERIFY_TOKEN_INVALID" {
		t.Errorf("another link after verifying: %v %s", code, reason)
	}
	request(true)
	request(false)
	worked(7)
	if n := len(links()); n != 3 {
		t.Errorf("%d links after a verified account asked twice more; want still 3", n)
	}
}

// Asking for links draws from the auth routes' rate bucket of the address.
func TestEmailVerificationRateBucket(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.AuthRateLimit, cfg.AuthRateBurst = 0.001, 3
	s := servertest.Start(t, cfg)
	_, access := registerOver(t, s, false, hmbv1.Role_ROLE_JOB_SEEKER) // the bucket's first token
	for i := range 2 {
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/email-verification", access, map[string]any{}, nil); code != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, code)
		}
	}
	if code, h := s.Call(t, http.MethodPost, "/api/v1/auth/email-verification", access, map[string]any{}, nil); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("beyond the burst over REST: %d, Retry-After %q; want 429 with Retry-After", code, h.Get("Retry-After"))
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).RequestEmailVerification(servertest.WithToken(access), &hmbv1.RequestEmailVerificationRequest{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("beyond the burst over gRPC: %v; want RESOURCE_EXHAUSTED", err)
	}
}

// A sign-up that fails queues no mail: the job goes with the account's
// transaction.
func TestFailedRegistrationMailsNothing(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := servertest.Start(t, servertest.Config(url)) // no workers: the jobs stay to be counted
	email, _ := registerOver(t, s, false, hmbv1.Role_ROLE_JOB_SEEKER)
	var refused servertest.RestError
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", map[string]any{"email": strings.ToUpper(email), "password": servertest.Password,
		"first_name": "Eve", "last_name": "L", "role": "ROLE_EMPLOYER"}, &refused); code != http.StatusConflict || refused.Error.Reason != "EMAIL_TAKEN" {
		t.Errorf("a taken email over REST: %d %+v", code, refused.Error)
	}
	_, err := hmbv1.NewAuthServiceClient(s.Conn).Register(context.Background(), &hmbv1.RegisterRequest{
		Email: email, Password: servertest.Password, FirstName: "Eve", LastName: "L", Role: hmbv1.Role_ROLE_EMPLOYER})
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("a taken email over gRPC: %v", err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'email_verification_requested'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d verification jobs after one sign-up and two refused; want 1", n)
	}
}

// draftJob is a job an employer may save unpublished, or publish.
func draftJob(status hmbv1.JobStatus) *hmbv1.Job {
	return &hmbv1.Job{Title: "Line Cook", Description: "Breakfast shift.", Company: "Sandy Cove Inn",
		Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
		Island: hmbv1.Island_ISLAND_EXUMA, Status: status}
}

// createOver creates a job over REST or gRPC and returns its id, or the
// refusal's gRPC code and reason.
func createOver(t *testing.T, s *servertest.Service, rest bool, token string, j *hmbv1.Job) (string, codes.Code, string) {
	t.Helper()
	if rest {
		body := map[string]any{"title": j.Title, "description": j.Description, "company": j.Company, "category": j.Category.String(),
			"employment_type": j.EmploymentType.String(), "island": j.Island.String()}
		if j.Status != hmbv1.JobStatus_JOB_STATUS_UNSPECIFIED {
			body["status"] = j.Status.String()
		}
		var out struct {
			ID string `json:"id"`
			servertest.RestError
		}
		code, _ := s.Call(t, http.MethodPost, "/api/v1/jobs", token, body, &out)
		switch code {
		case http.StatusOK:
			return out.ID, codes.OK, ""
		case http.StatusBadRequest:
			return "", codes.FailedPrecondition, out.Error.Reason
		}
		return "", codes.Unknown, out.Error.Reason
	}
	got, err := hmbv1.NewJobServiceClient(s.Conn).CreateJob(servertest.WithToken(token), &hmbv1.CreateJobRequest{Job: j})
	return got.GetId(), status.Code(err), servertest.Reason(err)
}

// publishOver moves a job to OPEN over REST or gRPC.
func publishOver(t *testing.T, s *servertest.Service, rest bool, token, id string) (codes.Code, string) {
	t.Helper()
	if rest {
		var out servertest.RestError
		code, _ := s.Call(t, http.MethodPatch, "/api/v1/jobs/"+id+"?update_mask=status", token, map[string]any{"status": "JOB_STATUS_OPEN"}, &out)
		switch code {
		case http.StatusOK:
			return codes.OK, ""
		case http.StatusBadRequest:
			return codes.FailedPrecondition, out.Error.Reason
		}
		return codes.Unknown, out.Error.Reason
	}
	_, err := hmbv1.NewJobServiceClient(s.Conn).UpdateJob(servertest.WithToken(token), &hmbv1.UpdateJobRequest{
		Job: &hmbv1.Job{Id: id, Status: hmbv1.JobStatus_JOB_STATUS_OPEN}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
	return status.Code(err), servertest.Reason(err)
}

// With REQUIRE_VERIFIED_EMAIL, an unverified employer keeps drafts, edits
// them, and publishes nothing until the email is verified.
func TestPublishNeedsVerifiedEmail(t *testing.T) {
	t.Parallel()
	s, mp, _ := withMailConfig(t, func(c *config.Config) { c.RequireVerifiedEmail = true })
	jobs := hmbv1.NewJobServiceClient(s.Conn)
	for _, rest := range []bool{true, false} {
		name := map[bool]string{true: "REST", false: "gRPC"}[rest]
		t.Run(name, func(t *testing.T) {
			email, access := registerOver(t, s, rest, hmbv1.Role_ROLE_EMPLOYER)
			for _, st := range []hmbv1.JobStatus{hmbv1.JobStatus_JOB_STATUS_OPEN, hmbv1.JobStatus_JOB_STATUS_UNSPECIFIED} {
				if _, code, reason := createOver(t, s, rest, access, draftJob(st)); code != codes.FailedPrecondition || reason != "EMAIL_NOT_VERIFIED" {
					t.Errorf("create %v unverified: %v %s; want FAILED_PRECONDITION EMAIL_NOT_VERIFIED", st, code, reason)
				}
			}
			id, code, reason := createOver(t, s, rest, access, draftJob(hmbv1.JobStatus_JOB_STATUS_DRAFT))
			if code != codes.OK {
				t.Fatalf("create a draft unverified: %v %s", code, reason)
			}
			if _, err := jobs.UpdateJob(servertest.WithToken(access), &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: id, Title: "Head Cook"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}); err != nil {
				t.Errorf("edit a draft unverified: %v", err)
			}
			if code, reason := publishOver(t, s, rest, access, id); code != codes.FailedPrecondition || reason != "EMAIL_NOT_VERIFIED" {
				t.Errorf("publish unverified: %v %s; want FAILED_PRECONDITION EMAIL_NOT_VERIFIED", code, reason)
			}
			got, err := jobs.GetJob(servertest.WithToken(access), &hmbv1.GetJobRequest{Id: id})
			if err != nil || got.Status != hmbv1.JobStatus_JOB_STATUS_DRAFT || got.Title != "Head Cook" {
				t.Errorf("after a refused publish: %v %v; want the edited draft", got, err)
			}
			list, err := jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{EmployerId: got.GetEmployerId()})
			if err != nil || len(list.Jobs) != 0 {
				t.Errorf("the board after refusals: %v %v; want no jobs", list, err)
			}

			_, token := waitForLink(t, mp, email, verifyLink)
			if code, reason := verifyOver(t, s, rest, token); code != codes.OK {
				t.Fatalf("verify: %v %s", code, reason)
			}
			if code, reason := publishOver(t, s, rest, access, id); code != codes.OK {
				t.Errorf("publish verified: %v %s", code, reason)
			}
			if _, code, reason := createOver(t, s, rest, access, draftJob(hmbv1.JobStatus_JOB_STATUS_UNSPECIFIED)); code != codes.OK {
				t.Errorf("create open verified: %v %s", code, reason)
			}
		})
	}
}

// Without the setting (development's default), an unverified employer
// publishes.
func TestPublishWithoutVerificationWhenNotRequired(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	for _, rest := range []bool{true, false} {
		_, access := registerOver(t, s, rest, hmbv1.Role_ROLE_EMPLOYER)
		if _, code, reason := createOver(t, s, rest, access, draftJob(hmbv1.JobStatus_JOB_STATUS_OPEN)); code != codes.OK {
			t.Errorf("create open (REST %v): %v %s", rest, code, reason)
		}
		id, code, reason := createOver(t, s, rest, access, draftJob(hmbv1.JobStatus_JOB_STATUS_DRAFT))
		if code != codes.OK {
			t.Fatalf("create a draft (REST %v): %v %s", rest, code, reason)
		}
		if code, reason := publishOver(t, s, rest, access, id); code != codes.OK {
			t.Errorf("publish (REST %v): %v %s", rest, code, reason)
		}
	}
}
