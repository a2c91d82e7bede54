package service_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestApplications(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	job := b.Post(t, &hmbv1.Job{Title: "Front Desk Agent"})
	seeker := servertest.WithToken(b.Seeker.AccessToken)

	// Apply over REST; a second application is 409.
	var app map[string]any
	code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs/"+job.Id+"/applications", b.Seeker.AccessToken,
		map[string]any{"cover_letter": "I love people.", "resume_url": "https://example.com/cv.pdf"}, &app)
	if code != http.StatusOK || app["status"] != "APPLICATION_STATUS_SUBMITTED" || app["job_title"] != "Front Desk Agent" {
		t.Fatalf("apply: %d %v", code, app)
	}
	appID := app["id"].(string)
	if _, err := b.Jobs.ApplyToJob(seeker, &hmbv1.ApplyToJobRequest{JobId: job.Id}); status.Code(err) != codes.AlreadyExists {
		t.Errorf("second application: %v", err)
	}
	// Employers cannot apply.
	if _, err := b.Jobs.ApplyToJob(servertest.WithToken(b.Rival.AccessToken), &hmbv1.ApplyToJobRequest{JobId: job.Id}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("employer applies: %v", err)
	}

	// Who sees the applications.
	if list, err := b.Jobs.ListJobApplications(servertest.WithToken(b.Employer.AccessToken), &hmbv1.ListJobApplicationsRequest{JobId: job.Id}); err != nil || len(list.Applications) != 1 {
		t.Errorf("owner lists: %v %v", list, err)
	}
	if _, err := b.Jobs.ListJobApplications(servertest.WithToken(b.Rival.AccessToken), &hmbv1.ListJobApplicationsRequest{JobId: job.Id}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("rival lists: %v", err)
	}
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+job.Id+"/applications", b.Seeker.AccessToken, nil, nil); code != http.StatusForbidden {
		t.Errorf("seeker lists the job's applications: %d", code)
	}
	var mine struct {
		Applications []map[string]any `json:"applications"`
	}
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/users/me/applications", b.Seeker.AccessToken, nil, &mine); code != http.StatusOK || len(mine.Applications) != 1 {
		t.Errorf("my applications: %d %v", code, mine)
	}
	// GetJob never embeds applications.
	var public map[string]any
	b.Call(t, http.MethodGet, "/api/v1/jobs/"+job.Id, "", nil, &public)
	if _, ok := public["applications"]; ok {
		t.Error("GetJob embeds applications")
	}

	// The pipeline: every allowed move, and refused ones.
	move := func(token, to string) int {
		code, _ := b.Call(t, http.MethodPatch, "/api/v1/applications/"+appID, token, map[string]any{"status": to}, nil)
		return code
	}
	if code := move(b.Employer.AccessToken, "APPLICATION_STATUS_OFFERED"); code != http.StatusBadRequest {
		t.Errorf("SUBMITTED → OFFERED: %d; want 400", code)
	}
	if code := move(b.Rival.AccessToken, "APPLICATION_STATUS_REVIEWING"); code != http.StatusNotFound {
		t.Errorf("rival moves: %d; want 404", code)
	}
	for _, to := range []string{"REVIEWING", "INTERVIEW", "OFFERED", "HIRED"} {
		if code := move(b.Employer.AccessToken, "APPLICATION_STATUS_"+to); code != http.StatusOK {
			t.Fatalf("→ %s: %d", to, code)
		}
	}
	if code := move(b.Employer.AccessToken, "APPLICATION_STATUS_REJECTED"); code != http.StatusBadRequest {
		t.Errorf("HIRED → REJECTED: %d; want 400", code)
	}
	if _, err := b.Jobs.WithdrawApplication(seeker, &hmbv1.WithdrawApplicationRequest{Id: appID}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("withdraw after hire: %v", err)
	}

	// A second job: rejection from an open stage, and withdrawal.
	other := b.Post(t, &hmbv1.Job{Title: "Concierge"})
	a2, err := b.Jobs.ApplyToJob(seeker, &hmbv1.ApplyToJobRequest{JobId: other.Id, CoverLetter: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Jobs.WithdrawApplication(servertest.WithToken(b.Employer.AccessToken), &hmbv1.WithdrawApplicationRequest{Id: a2.Id}); status.Code(err) != codes.NotFound {
		t.Errorf("employer withdraws for the applicant: %v %v", got, err)
	}
	if got, err := b.Jobs.WithdrawApplication(seeker, &hmbv1.WithdrawApplicationRequest{Id: a2.Id}); err != nil || got.Status != hmbv1.ApplicationStatus_APPLICATION_STATUS_WITHDRAWN {
		t.Errorf("withdraw: %v %v", got, err)
	}
	a3job := b.Post(t, &hmbv1.Job{Title: "Housekeeper"})
	a3, err := b.Jobs.ApplyToJob(seeker, &hmbv1.ApplyToJobRequest{JobId: a3job.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Jobs.UpdateApplicationStatus(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateApplicationStatusRequest{Id: a3.Id,
		Status: hmbv1.ApplicationStatus_APPLICATION_STATUS_REJECTED}); err != nil || got.Status != hmbv1.ApplicationStatus_APPLICATION_STATUS_REJECTED {
		t.Errorf("reject: %v %v", got, err)
	}

	// A closed job takes no applications.
	closed := b.Post(t, &hmbv1.Job{Title: "Closed"})
	b.Jobs.UpdateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: closed.Id, Status: hmbv1.JobStatus_JOB_STATUS_CLOSED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
	if _, err := b.Jobs.ApplyToJob(seeker, &hmbv1.ApplyToJobRequest{JobId: closed.Id}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("apply to a closed job: %v", err)
	}
}
