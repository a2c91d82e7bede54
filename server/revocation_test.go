package server_test

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// TestRevocationTakesEffectAtOnce: a deactivated, self-deleted or demoted
// account's access token, still unexpired, can no longer change data or see
// other people's: every such RPC sees the account as it is now.
func TestRevocationTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	users := hmbv1.NewUserServiceClient(b.Conn)
	adminCtx := servertest.WithToken(b.Admin)
	job := b.Post(t, &hmbv1.Job{Title: "Bellhop"})
	draft := b.Post(t, &hmbv1.Job{Title: "Sous Chef", Status: hmbv1.JobStatus_JOB_STATUS_DRAFT})

	deactivated := b.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	if _, err := users.DeactivateUser(adminCtx, &hmbv1.DeactivateUserRequest{Id: deactivated.User.Id}); err != nil {
		t.Fatal(err)
	}
	deleted := b.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	if _, err := users.DeleteMe(servertest.WithToken(deleted.AccessToken), &hmbv1.DeleteMeRequest{}); err != nil {
		t.Fatal(err)
	}
	// The employer who posted job is demoted to job seeker.
	if _, err := users.SetUserRole(adminCtx, &hmbv1.SetUserRoleRequest{Id: b.Employer.User.Id, Role: hmbv1.Role_ROLE_JOB_SEEKER}); err != nil {
		t.Fatal(err)
	}
	// An admin is demoted too.
	demotedAdmin := b.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	servertest.Promote(t, b.URL, demotedAdmin.User.Id)
	adminLogin, err := hmbv1.NewAuthServiceClient(b.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: demotedAdmin.User.Email, Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.SetUserRole(adminCtx, &hmbv1.SetUserRoleRequest{Id: demotedAdmin.User.Id, Role: hmbv1.Role_ROLE_JOB_SEEKER}); err != nil {
		t.Fatal(err)
	}

	newJob := map[string]any{"title": "Porter", "description": "Carry bags.", "company": "Atlantis", "category": "JOB_CATEGORY_HOSPITALITY",
		"employment_type": "EMPLOYMENT_TYPE_FULL_TIME", "island": "ISLAND_NEW_PROVIDENCE"}
	for _, tc := range []struct {
		name         string
		token        string
		method, path string
		body         any
		status       int
		reason       string
		grpc         func(ctx context.Context) error
	}{
		{"deactivated employer posts a job", deactivated.AccessToken, http.MethodPost, "/api/v1/jobs", newJob, 401, "ACCOUNT_INACTIVE",
			func(ctx context.Context) error {
				_, err := b.Jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Porter", Description: "Carry bags.", Company: "Atlantis",
					Category: 1, EmploymentType: 1, Island: 1}})
				return err
			}},
		{"deactivated employer searches talent", deactivated.AccessToken, http.MethodGet, "/api/v1/users", nil, 401, "ACCOUNT_INACTIVE",
			func(ctx context.Context) error { _, err := users.ListUsers(ctx, &hmbv1.ListUsersRequest{}); return err }},
		{"deleted seeker applies", deleted.AccessToken, http.MethodPost, "/api/v1/jobs/" + job.Id + "/applications", map[string]any{"cover_letter": "Hi"}, 401, "ACCOUNT_INACTIVE",
			func(ctx context.Context) error {
				_, err := b.Jobs.ApplyToJob(ctx, &hmbv1.ApplyToJobRequest{JobId: job.Id})
				return err
			}},
		{"deleted seeker saves a job", deleted.AccessToken, http.MethodPut, "/api/v1/users/me/saved-jobs/" + job.Id, nil, 401, "ACCOUNT_INACTIVE",
			func(ctx context.Context) error {
				_, err := b.Jobs.SaveJob(ctx, &hmbv1.SaveJobRequest{JobId: job.Id})
				return err
			}},
		{"demoted employer posts a job", b.Employer.AccessToken, http.MethodPost, "/api/v1/jobs", newJob, 403, "ROLE_NOT_PERMITTED",
			func(ctx context.Context) error {
				_, err := b.Jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Porter", Description: "Carry bags.", Company: "Atlantis",
					Category: 1, EmploymentType: 1, Island: 1}})
				return err
			}},
		{"demoted employer deletes their job", b.Employer.AccessToken, http.MethodDelete, "/api/v1/jobs/" + job.Id, nil, 403, "ROLE_NOT_PERMITTED",
			func(ctx context.Context) error {
				_, err := b.Jobs.DeleteJob(ctx, &hmbv1.DeleteJobRequest{Id: job.Id})
				return err
			}},
		{"demoted employer searches talent", b.Employer.AccessToken, http.MethodGet, "/api/v1/users", nil, 403, "ROLE_NOT_PERMITTED",
			func(ctx context.Context) error { _, err := users.ListUsers(ctx, &hmbv1.ListUsersRequest{}); return err }},
		{"demoted admin deactivates someone", adminLogin.AccessToken, http.MethodPost, "/api/v1/users/" + b.Rival.User.Id + ":deactivate", map[string]any{}, 403, "ROLE_NOT_PERMITTED",
			func(ctx context.Context) error {
				_, err := users.DeactivateUser(ctx, &hmbv1.DeactivateUserRequest{Id: b.Rival.User.Id})
				return err
			}},
		{"demoted admin reads another's draft", adminLogin.AccessToken, http.MethodGet, "/api/v1/jobs/" + draft.Id, nil, 404, "JOB_NOT_FOUND",
			func(ctx context.Context) error {
				_, err := b.Jobs.GetJob(ctx, &hmbv1.GetJobRequest{Id: draft.Id})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e servertest.RestError
			if code, _ := b.Call(t, tc.method, tc.path, tc.token, tc.body, &e); code != tc.status || e.Error.Reason != tc.reason {
				t.Errorf("REST: %d %+v; want %d %s", code, e.Error, tc.status, tc.reason)
			}
			err := tc.grpc(servertest.WithToken(tc.token))
			if want := map[int]codes.Code{401: codes.Unauthenticated, 403: codes.PermissionDenied, 404: codes.NotFound}[tc.status]; status.Code(err) != want || servertest.Reason(err) != tc.reason {
				t.Errorf("gRPC: %v; want %s %s", err, want, tc.reason)
			}
		})
	}

	// A demoted admin sees public profiles only: no email.
	var profile map[string]any
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/users/"+b.Rival.User.Id, adminLogin.AccessToken, nil, &profile); code != 200 || profile["email"] != "" {
		t.Errorf("REST profile for a demoted admin: %d email %v", code, profile["email"])
	}
	if u, err := users.GetUser(servertest.WithToken(adminLogin.AccessToken), &hmbv1.GetUserRequest{Id: b.Rival.User.Id}); err != nil || u.Email != "" {
		t.Errorf("gRPC profile for a demoted admin: %v email %q", err, u.GetEmail())
	}
	// Nothing was written by the refused calls.
	if _, err := b.Jobs.GetJob(context.Background(), &hmbv1.GetJobRequest{Id: job.Id}); err != nil {
		t.Errorf("the demoted employer's job: %v", err)
	}
	if u, err := users.GetUser(adminCtx, &hmbv1.GetUserRequest{Id: b.Rival.User.Id}); err != nil || !u.Active {
		t.Errorf("the account a demoted admin tried to deactivate: %v %v", u, err)
	}
}
