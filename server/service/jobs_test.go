package service_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestJobLifecycle(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)

	// REST create, as the frontend does.
	var created map[string]any
	code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs", b.Employer.AccessToken, map[string]any{
		"title": "Night Auditor", "description": "Balance the books overnight.", "category": "JOB_CATEGORY_HOSPITALITY",
		"employment_type": "EMPLOYMENT_TYPE_FULL_TIME", "island": "ISLAND_EXUMA", "company": "Sandals Emerald Bay",
		"salary": map[string]any{"min": 30000, "max": 38000, "period": "SALARY_PERIOD_YEARLY"},
	}, &created)
	if code != http.StatusOK || created["status"] != "JOB_STATUS_OPEN" || created["publish_time"] == nil || created["etag"] == "" {
		t.Fatalf("POST /jobs: %d %v", code, created)
	}
	if sal := created["salary"].(map[string]any); sal["currency"] != "BSD" {
		t.Errorf("salary currency %v; want BSD by default", sal["currency"])
	}
	publish, _ := time.Parse(time.RFC3339Nano, created["publish_time"].(string))
	expire, _ := time.Parse(time.RFC3339Nano, created["expire_time"].(string))
	if d := expire.Sub(publish); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expires %s after publishing; want 30 days", d)
	}
	id := created["id"].(string)

	// Public read over both transports.
	var got map[string]any
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+id, "", nil, &got); code != http.StatusOK || got["title"] != "Night Auditor" {
		t.Errorf("GET /jobs/{id}: %d %v", code, got)
	}
	job, err := b.Jobs.GetJob(context.Background(), &hmbv1.GetJobRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}

	// Update with the etag; a stale etag is ABORTED (409).
	updated, err := b.Jobs.UpdateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateJobRequest{
		Job: &hmbv1.Job{Id: id, Title: "Senior Night Auditor", Etag: job.Etag}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
	})
	if err != nil || updated.Title != "Senior Night Auditor" || updated.Etag == job.Etag || updated.Company != "Sandals Emerald Bay" {
		t.Fatalf("UpdateJob: %v %v", updated, err)
	}
	var e servertest.RestError
	code, _ = b.Call(t, http.MethodPatch, "/api/v1/jobs/"+id, b.Employer.AccessToken, map[string]any{"title": "x", "etag": job.Etag}, &e)
	if code != http.StatusConflict || e.Error.Status != "ABORTED" {
		t.Errorf("stale etag: %d %+v", code, e.Error)
	}
	// Someone else's job: 403, over both transports; nothing changes.
	if code, _ := b.Call(t, http.MethodPatch, "/api/v1/jobs/"+id, b.Rival.AccessToken, map[string]any{"title": "Hijacked"}, &e); code != http.StatusForbidden {
		t.Errorf("rival PATCH: %d", code)
	}
	if _, err := b.Jobs.DeleteJob(servertest.WithToken(b.Rival.AccessToken), &hmbv1.DeleteJobRequest{Id: id}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("rival DeleteJob: %v", err)
	}
	if _, err := b.Jobs.UpdateJob(servertest.WithToken(b.Seeker.AccessToken), &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: id, Title: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("seeker UpdateJob: %v", err)
	}
	// Close it: it leaves the board and its posting; admins may change it.
	if _, err := b.Jobs.UpdateJob(servertest.WithToken(b.Admin), &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: id, Status: hmbv1.JobStatus_JOB_STATUS_CLOSED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); err != nil {
		t.Fatalf("admin closes: %v", err)
	}
	if _, err := b.Jobs.GetJobPosting(context.Background(), &hmbv1.GetJobPostingRequest{Id: id}); status.Code(err) != codes.NotFound {
		t.Errorf("posting of a closed job: %v", err)
	}
	// CLOSED cannot go back to DRAFT.
	if _, err := b.Jobs.UpdateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: id, Status: hmbv1.JobStatus_JOB_STATUS_DRAFT},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("CLOSED → DRAFT: %v", err)
	}
	// Delete: gone for everyone.
	if code, _ := b.Call(t, http.MethodDelete, "/api/v1/jobs/"+id, b.Employer.AccessToken, nil, nil); code != http.StatusOK {
		t.Errorf("DELETE: %d", code)
	}
	if _, err := b.Jobs.GetJob(context.Background(), &hmbv1.GetJobRequest{Id: id}); status.Code(err) != codes.NotFound {
		t.Errorf("after delete: %v", err)
	}
}

func TestDraftsAndIdempotentCreate(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	ctx := servertest.WithToken(b.Employer.AccessToken)
	req := &hmbv1.CreateJobRequest{RequestId: "7b0e7f52-2f0b-4a52-9a47-0d1c0f3c5a11", Job: &hmbv1.Job{
		Title: "Dive Master", Description: "Lead dives.", Company: "Stuart Cove's", Category: hmbv1.JobCategory_JOB_CATEGORY_TOURISM,
		EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_SEASONAL, Island: hmbv1.Island_ISLAND_NEW_PROVIDENCE,
		Status: hmbv1.JobStatus_JOB_STATUS_DRAFT,
	}}
	first, err := b.Jobs.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Jobs.CreateJob(ctx, req)
	if err != nil || again.Id != first.Id {
		t.Errorf("retry with the same request_id: %v %v; want job %s", again, err, first.Id)
	}
	// A draft is invisible to others, visible to its owner and admins.
	for name, token := range map[string]string{"anonymous": "", "rival": b.Rival.AccessToken, "seeker": b.Seeker.AccessToken} {
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+first.Id, token, nil, nil); code != http.StatusNotFound {
			t.Errorf("%s reads a draft: %d", name, code)
		}
	}
	for name, token := range map[string]string{"owner": b.Employer.AccessToken, "admin": b.Admin} {
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+first.Id, token, nil, nil); code != http.StatusOK {
			t.Errorf("%s reads the draft: %d", name, code)
		}
	}
	// Publishing sets the publish time.
	open, err := b.Jobs.UpdateJob(ctx, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: first.Id, Status: hmbv1.JobStatus_JOB_STATUS_OPEN},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
	if err != nil || open.PublishTime == nil || open.ExpireTime == nil {
		t.Errorf("publish: %v %v", open, err)
	}
	// Seekers cannot post.
	if _, err := b.Jobs.CreateJob(servertest.WithToken(b.Seeker.AccessToken), &hmbv1.CreateJobRequest{Job: req.Job}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("seeker CreateJob: %v", err)
	}
}

func TestJobBadInput(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	good := func() map[string]any {
		return map[string]any{"title": "Chef", "description": "Cook.", "category": "JOB_CATEGORY_HOSPITALITY", "company": "Graycliff",
			"employment_type": "EMPLOYMENT_TYPE_FULL_TIME", "island": "ISLAND_NEW_PROVIDENCE"}
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name, field string
		value       any
	}{
		{"unknown category", "category", "JOB_CATEGORY_SPACE"},
		{"missing island", "island", "ISLAND_UNSPECIFIED"},
		{"empty title", "title", ""},
		{"overlong title", "title", strings.Repeat("t", 201)},
		{"salary min above max", "salary", map[string]any{"min": 50000, "max": 100}},
		{"negative salary", "salary", map[string]any{"min": -1}},
		{"expire in the past", "expire_time", past},
		{"bad currency", "salary", map[string]any{"min": 1, "currency": "dollars"}},
		{"too many skills", "skills", make([]string, 31)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := good()
			body[tc.field] = tc.value
			var e servertest.RestError
			code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs", b.Employer.AccessToken, body, &e)
			field := strings.Split(tc.field, ".")[0]
			if code != http.StatusBadRequest || !strings.Contains(e.Error.Message, field) && !strings.Contains(e.Error.Message, "max") {
				t.Errorf("%d %+v; want 400 naming %s", code, e.Error, field)
			}
		})
	}
	resp, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{EmployerId: b.Employer.User.Id})
	if err != nil || len(resp.Jobs) != 0 {
		t.Errorf("refused jobs were stored: %v %v", resp, err)
	}
	for _, q := range []string{"page_size=-1", "page_size=101", "island=ISLAND_ATLANTIS", "order_by=cheapest",
		"q=" + strings.Repeat("q", 257), "page_token=garbage", "employer_id=not-a-uuid", "order_by=relevance"} {
		var e servertest.RestError
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs?"+q, "", nil, &e); code != http.StatusBadRequest {
			t.Errorf("GET /jobs?%.40s: %d; want 400", q, code)
		}
	}
	for _, id := range []string{"not-a-uuid", "1"} {
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+id, "", nil, nil); code != http.StatusBadRequest {
			t.Errorf("GET /jobs/%s: %d; want 400", id, code)
		}
	}
}

// TestBoardCacheFollowsWrites checks that the public answers kept for a few
// seconds never outlive a write made through the service, over either
// transport, and that a draft read by its owner is never served to anyone
// else.
func TestBoardCacheFollowsWrites(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	job := b.Post(t, &hmbv1.Job{Title: "Dockmaster", Island: hmbv1.Island_ISLAND_BIMINI})
	list := "/api/v1/jobs?island=ISLAND_BIMINI"
	titles := func() []string {
		var page struct {
			Jobs []struct{ Title string } `json:"jobs"`
		}
		if code, _ := b.Call(t, http.MethodGet, list, "", nil, &page); code != http.StatusOK {
			t.Fatalf("GET %s: %d", list, code)
		}
		var out []string
		for _, j := range page.Jobs {
			out = append(out, j.Title)
		}
		return out
	}
	getTitle := func() string {
		var got struct{ Title string }
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+job.Id, "", nil, &got); code != http.StatusOK {
			t.Fatalf("GET job: %d", code)
		}
		return got.Title
	}
	// Read twice so that both answers are cached.
	for range 2 {
		if got := titles(); !slices.Equal(got, []string{"Dockmaster"}) {
			t.Fatalf("list: %v", got)
		}
		if got := getTitle(); got != "Dockmaster" {
			t.Fatalf("get: %q", got)
		}
	}

	// A change of title shows at once, over REST and gRPC.
	if _, err := b.Jobs.UpdateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateJobRequest{
		Job: &hmbv1.Job{Id: job.Id, Title: "Harbour Master"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := getTitle(); got != "Harbour Master" {
		t.Errorf("REST get after update: %q", got)
	}
	if got, err := b.Jobs.GetJob(context.Background(), &hmbv1.GetJobRequest{Id: job.Id}); err != nil || got.Title != "Harbour Master" {
		t.Errorf("gRPC get after update: %v %v", got, err)
	}
	if got := titles(); !slices.Equal(got, []string{"Harbour Master"}) {
		t.Errorf("list after update: %v", got)
	}

	// A new job joins the list at once; a closed one leaves it.
	b.Post(t, &hmbv1.Job{Title: "Bonefish Guide", Island: hmbv1.Island_ISLAND_BIMINI})
	if got := titles(); !slices.Equal(got, []string{"Bonefish Guide", "Harbour Master"}) {
		t.Errorf("list after create: %v", got)
	}
	if code, _ := b.Call(t, http.MethodPatch, "/api/v1/jobs/"+job.Id, b.Employer.AccessToken,
		map[string]any{"status": "JOB_STATUS_CLOSED"}, nil); code != http.StatusOK {
		t.Fatalf("close: %d", code)
	}
	if got := titles(); !slices.Equal(got, []string{"Bonefish Guide"}) {
		t.Errorf("list after close: %v", got)
	}
	var got struct{ Status string }
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+job.Id, "", nil, &got); code != http.StatusOK || got.Status != "JOB_STATUS_CLOSED" {
		t.Errorf("get after close: %d %q", code, got.Status)
	}

	// The owner reads a draft (twice); others still find nothing.
	draft, err := b.Jobs.CreateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
		Title: "Secret Sous Chef", Description: "Not yet.", Company: "Coral Reef Resort", Status: hmbv1.JobStatus_JOB_STATUS_DRAFT,
		Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
		Island: hmbv1.Island_ISLAND_BIMINI,
	}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+draft.Id, b.Employer.AccessToken, nil, nil); code != http.StatusOK {
			t.Fatalf("owner reads draft: %d", code)
		}
	}
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+draft.Id, "", nil, nil); code != http.StatusNotFound {
		t.Errorf("anonymous reads draft: %d", code)
	}
	if _, err := b.Jobs.GetJob(servertest.WithToken(b.Rival.AccessToken), &hmbv1.GetJobRequest{Id: draft.Id}); status.Code(err) != codes.NotFound {
		t.Errorf("rival reads draft: %v", err)
	}
}

// Closed and filled jobs stay public, over both transports, but take no
// applications and have no posting for search engines; a draft does not
// exist for anyone but its owner and admins.
func TestClosedAndFilledJobsStayPublic(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	owner := servertest.WithToken(b.Employer.AccessToken)
	finish := func(title string, to hmbv1.JobStatus) string {
		t.Helper()
		j := b.Post(t, &hmbv1.Job{Title: title})
		if _, err := b.Jobs.UpdateJob(owner, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: j.Id, Status: to},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); err != nil {
			t.Fatal(err)
		}
		return j.Id
	}
	closed := finish("Pool Attendant", hmbv1.JobStatus_JOB_STATUS_CLOSED)
	filled := finish("Sous Chef", hmbv1.JobStatus_JOB_STATUS_FILLED)
	draft, err := b.Jobs.CreateJob(owner, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Sommelier", Description: "Not yet.", Company: "Graycliff",
		Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
		Island: hmbv1.Island_ISLAND_NEW_PROVIDENCE, Status: hmbv1.JobStatus_JOB_STATUS_DRAFT}})
	if err != nil {
		t.Fatal(err)
	}

	for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"another employer", b.Rival.AccessToken}} {
		ctx := context.Background()
		if who.token != "" {
			ctx = servertest.WithToken(who.token)
		}
		for _, tc := range []struct {
			id   string
			want hmbv1.JobStatus
		}{{closed, hmbv1.JobStatus_JOB_STATUS_CLOSED}, {filled, hmbv1.JobStatus_JOB_STATUS_FILLED}} {
			var got struct{ Status string }
			if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+tc.id, who.token, nil, &got); code != http.StatusOK || got.Status != tc.want.String() {
				t.Errorf("REST: %s reads a %s job: %d %q", who.name, tc.want, code, got.Status)
			}
			if j, err := b.Jobs.GetJob(ctx, &hmbv1.GetJobRequest{Id: tc.id}); err != nil || j.Status != tc.want {
				t.Errorf("gRPC: %s reads a %s job: %v %v", who.name, tc.want, j.GetStatus(), err)
			}
		}
		var e servertest.RestError
		if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/"+draft.Id, who.token, nil, &e); code != http.StatusNotFound || e.Error.Reason != "JOB_NOT_FOUND" {
			t.Errorf("REST: %s reads a draft: %d %+v", who.name, code, e.Error)
		}
		if _, err := b.Jobs.GetJob(ctx, &hmbv1.GetJobRequest{Id: draft.Id}); status.Code(err) != codes.NotFound || servertest.Reason(err) != "JOB_NOT_FOUND" {
			t.Errorf("gRPC: %s reads a draft: %v", who.name, err)
		}
	}

	// A job seeker cannot apply, and is told why.
	seeker := servertest.WithToken(b.Seeker.AccessToken)
	for _, tc := range []struct{ id, why string }{{closed, "this job is closed"}, {filled, "this job has been filled"}} {
		var e servertest.RestError
		if code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs/"+tc.id+"/applications", b.Seeker.AccessToken, map[string]any{}, &e); code != http.StatusBadRequest ||
			e.Error.Status != "FAILED_PRECONDITION" || e.Error.Reason != "JOB_NOT_OPEN" || !strings.HasPrefix(e.Error.Message, tc.why) {
			t.Errorf("REST: apply to %s: %d %+v; want FAILED_PRECONDITION JOB_NOT_OPEN %q", tc.id, code, e.Error, tc.why)
		}
		_, err := b.Jobs.ApplyToJob(seeker, &hmbv1.ApplyToJobRequest{JobId: tc.id})
		if status.Code(err) != codes.FailedPrecondition || servertest.Reason(err) != "JOB_NOT_OPEN" || !strings.HasPrefix(status.Convert(err).Message(), tc.why) {
			t.Errorf("gRPC: apply to %s: %v; want FAILED_PRECONDITION JOB_NOT_OPEN %q", tc.id, err, tc.why)
		}
		// Search engines are not offered it as open.
		if code, _, _ := b.Do(t, http.MethodGet, "/api/v1/jobs/"+tc.id+"/posting", nil); code != http.StatusNotFound {
			t.Errorf("REST: posting of %s: %d; want 404", tc.id, code)
		}
		if _, err := b.Jobs.GetJobPosting(context.Background(), &hmbv1.GetJobPostingRequest{Id: tc.id}); status.Code(err) != codes.NotFound {
			t.Errorf("gRPC: posting of %s: %v; want NotFound", tc.id, err)
		}
	}
	if _, err := b.Jobs.ApplyToJob(seeker, &hmbv1.ApplyToJobRequest{JobId: draft.Id}); status.Code(err) != codes.NotFound {
		t.Errorf("apply to a draft: %v; want NotFound", err)
	}
	if list, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{EmployerId: b.Employer.User.Id}); err != nil || len(list.Jobs) != 0 {
		t.Errorf("the board lists %v (%v); want none of a closed, a filled and a draft job", list.GetJobs(), err)
	}
	if mine, err := b.Jobs.ListMyApplications(seeker, &hmbv1.ListMyApplicationsRequest{}); err != nil || len(mine.Applications) != 0 {
		t.Errorf("refused applications were stored: %v %v", mine, err)
	}
}
