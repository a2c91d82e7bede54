package service_test

import (
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestSavedJobs(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, b.Post(t, &hmbv1.Job{Title: fmt.Sprintf("Job %d", i)}).Id)
	}
	for _, id := range append(ids, ids[0]) { // saving twice is fine
		if code, _ := b.Call(t, http.MethodPut, "/api/v1/users/me/saved-jobs/"+id, b.Seeker.AccessToken, nil, nil); code != http.StatusOK {
			t.Fatalf("save %s: %d", id, code)
		}
	}
	ctx := servertest.WithToken(b.Seeker.AccessToken)
	page, err := b.Jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{PageSize: 2})
	if err != nil || len(page.Jobs) != 2 || page.NextPageToken == "" {
		t.Fatalf("first page: %v %v", page, err)
	}
	rest, err := b.Jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{PageSize: 2, PageToken: page.NextPageToken})
	if err != nil || len(rest.Jobs) != 1 || rest.NextPageToken != "" {
		t.Errorf("second page: %v %v", rest, err)
	}
	// Another user's token is refused.
	if _, err := b.Jobs.ListSavedJobs(servertest.WithToken(b.Employer.AccessToken), &hmbv1.ListSavedJobsRequest{PageToken: page.NextPageToken}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("someone else's page token: %v", err)
	}
	for range 2 { // unsaving twice is fine
		if code, _ := b.Call(t, http.MethodDelete, "/api/v1/users/me/saved-jobs/"+ids[1], b.Seeker.AccessToken, nil, nil); code != http.StatusOK {
			t.Errorf("unsave: %d", code)
		}
	}
	all, _ := b.Jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{})
	if len(all.Jobs) != 2 {
		t.Errorf("%d saved after unsaving one of 3", len(all.Jobs))
	}
	if _, err := b.Jobs.SaveJob(ctx, &hmbv1.SaveJobRequest{JobId: "00000000-0000-4000-8000-000000000000"}); status.Code(err) != codes.NotFound {
		t.Errorf("save a missing job: %v", err)
	}
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/users/me/saved-jobs", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous saved jobs: %d", code)
	}
}
