package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestListJobs(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	mk := func(title string, island hmbv1.Island, cat hmbv1.JobCategory, et hmbv1.EmploymentType, remote bool, maxPay float64, skills ...string) string {
		return b.Post(t, &hmbv1.Job{Title: title, Island: island, Category: cat, EmploymentType: et, Remote: remote, Skills: skills,
			Salary: &hmbv1.Salary{Min: maxPay / 2, Max: maxPay, Period: hmbv1.SalaryPeriod_SALARY_PERIOD_YEARLY}}).Id
	}
	bartender := mk("Bartender", hmbv1.Island_ISLAND_NEW_PROVIDENCE, hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, hmbv1.EmploymentType_EMPLOYMENT_TYPE_PART_TIME, false, 30000, "mixology")
	developer := mk("Software Developer", hmbv1.Island_ISLAND_NEW_PROVIDENCE, hmbv1.JobCategory_JOB_CATEGORY_TECHNOLOGY, hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, true, 90000, "Go", "PostgreSQL")
	captain := mk("Boat Captain", hmbv1.Island_ISLAND_EXUMA, hmbv1.JobCategory_JOB_CATEGORY_MARITIME, hmbv1.EmploymentType_EMPLOYMENT_TYPE_SEASONAL, false, 60000, "navigation")
	teller := mk("Bank Teller", hmbv1.Island_ISLAND_GRAND_BAHAMA, hmbv1.JobCategory_JOB_CATEGORY_BANKING_FINANCE, hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, false, 35000)
	// A draft never lists.
	if _, err := b.Jobs.CreateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Hidden bartender", Description: "d",
		Company: "c", Category: 1, EmploymentType: 1, Island: 1, Status: hmbv1.JobStatus_JOB_STATUS_DRAFT}}); err != nil {
		t.Fatal(err)
	}

	ids := func(resp *hmbv1.ListJobsResponse) []string {
		var out []string
		for _, j := range resp.Jobs {
			out = append(out, j.Id)
		}
		return out
	}
	yes := true
	for _, tc := range []struct {
		name string
		req  *hmbv1.ListJobsRequest
		want []string
	}{
		{"newest first", &hmbv1.ListJobsRequest{}, []string{teller, captain, developer, bartender}},
		{"island", &hmbv1.ListJobsRequest{Island: []hmbv1.Island{hmbv1.Island_ISLAND_EXUMA, hmbv1.Island_ISLAND_GRAND_BAHAMA}}, []string{teller, captain}},
		{"category", &hmbv1.ListJobsRequest{Category: []hmbv1.JobCategory{hmbv1.JobCategory_JOB_CATEGORY_TECHNOLOGY}}, []string{developer}},
		{"employment type", &hmbv1.ListJobsRequest{EmploymentType: []hmbv1.EmploymentType{hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME}}, []string{teller, developer}},
		{"remote", &hmbv1.ListJobsRequest{Remote: &yes}, []string{developer}},
		{"salary reaches", &hmbv1.ListJobsRequest{SalaryMin: 50000}, []string{captain, developer}},
		{"by salary", &hmbv1.ListJobsRequest{OrderBy: "salary"}, []string{developer, captain, teller, bartender}},
		{"words", &hmbv1.ListJobsRequest{Q: "software developer"}, []string{developer}},
		{"prefix of the last word", &hmbv1.ListJobsRequest{Q: "bart"}, []string{bartender}},
		{"stemmed", &hmbv1.ListJobsRequest{Q: "captains"}, []string{captain}},
		{"skills", &hmbv1.ListJobsRequest{Q: "postgresql"}, []string{developer}},
		{"syntax characters are separators", &hmbv1.ListJobsRequest{Q: "bank & (tell):*'"}, []string{teller}},
		{"posted within", &hmbv1.ListJobsRequest{PostedWithinDays: 1, Island: []hmbv1.Island{hmbv1.Island_ISLAND_EXUMA}}, []string{captain}},
		{"employer", &hmbv1.ListJobsRequest{EmployerId: b.Rival.User.Id}, nil},
	} {
		resp, err := b.Jobs.ListJobs(context.Background(), tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := ids(resp); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, got, tc.want)
		}
		if int(resp.TotalSize) != len(tc.want) {
			t.Errorf("%s: total_size %d; want %d", tc.name, resp.TotalSize, len(tc.want))
		}
	}
	// Relevance ranks a title match above a description-only one.
	b.Post(t, &hmbv1.Job{Title: "Hotel Manager", Description: "Oversee the bartender team and the front desk."})
	resp, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{Q: "bartender"})
	if err != nil || len(resp.Jobs) != 2 || resp.Jobs[0].Id != bartender {
		t.Errorf("relevance: %v %v", ids(resp), err)
	}

	// REST: repeated filters and facets.
	var page struct {
		Jobs   []map[string]any `json:"jobs"`
		Total  int              `json:"total_size"`
		Facets struct {
			Island []struct {
				Value string `json:"value"`
				Count int    `json:"count"`
			} `json:"island"`
		} `json:"facets"`
	}
	code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs?island=ISLAND_NEW_PROVIDENCE&island=ISLAND_EXUMA&facets=true", "", nil, &page)
	if code != http.StatusOK || page.Total != 4 || len(page.Facets.Island) != 2 || page.Facets.Island[0].Value != "ISLAND_NEW_PROVIDENCE" || page.Facets.Island[0].Count != 3 {
		t.Errorf("REST list with facets: %d %+v", code, page)
	}

	// Pages of 2 stay stable while jobs are added meanwhile.
	first, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{PageSize: 2})
	if err != nil || len(first.Jobs) != 2 || first.NextPageToken == "" {
		t.Fatalf("first page: %v %v", first, err)
	}
	b.Post(t, &hmbv1.Job{Title: "Newcomer"})
	var seen []string
	seen = append(seen, ids(first)...)
	token := first.NextPageToken
	for token != "" {
		next, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(next)...)
		token = next.NextPageToken
	}
	if len(seen) != 5 || slices.Contains(seen, "") {
		t.Errorf("paged through %d jobs (%v); want the 5 there were at the start, each once", len(seen), seen)
	}
	// Every order pages through its matches once each, page by page.
	for _, req := range []*hmbv1.ListJobsRequest{{Q: "bartender"}, {OrderBy: "salary"}, {OrderBy: "newest", Island: []hmbv1.Island{hmbv1.Island_ISLAND_NEW_PROVIDENCE}}} {
		all, err := b.Jobs.ListJobs(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var paged []string
		req.PageSize = 1
		for {
			page, err := b.Jobs.ListJobs(context.Background(), req)
			if err != nil {
				t.Fatalf("%v: %v", req, err)
			}
			paged = append(paged, ids(page)...)
			if req.PageToken = page.NextPageToken; req.PageToken == "" {
				break
			}
		}
		if !slices.Equal(paged, ids(all)) {
			t.Errorf("%v: pages of one gave %v; one page gave %v", req, paged, ids(all))
		}
	}

	// A token is bound to its query.
	if _, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{PageSize: 2, PageToken: first.NextPageToken, OrderBy: "salary"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("token with another order: %v", err)
	}
}

func TestJobStatsAndPosting(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	job := b.Post(t, &hmbv1.Job{Title: "Remote Accountant", Remote: true, Location: "Nassau", Island: hmbv1.Island_ISLAND_NEW_PROVIDENCE,
		EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_CONTRACT,
		Salary:         &hmbv1.Salary{Min: 25, Max: 40, Period: hmbv1.SalaryPeriod_SALARY_PERIOD_HOURLY}})
	b.Post(t, &hmbv1.Job{Title: "Second"})
	var stats map[string]any
	if code, _ := b.Call(t, http.MethodGet, "/api/v1/jobs/stats", "", nil, &stats); code != http.StatusOK ||
		stats["active_jobs"] != 2.0 || stats["companies_hiring"] != 1.0 || stats["new_this_week"] != 2.0 {
		t.Errorf("stats: %d %v", code, stats)
	}
	code, header, body := b.Do(t, http.MethodGet, "/api/v1/jobs/"+job.Id+"/posting", nil)
	if code != http.StatusOK || header.Get("Content-Type") != "application/ld+json" {
		t.Fatalf("posting: %d %s %s", code, header.Get("Content-Type"), body)
	}
	var ld map[string]any
	if err := json.Unmarshal(body, &ld); err != nil {
		t.Fatal(err)
	}
	loc := ld["jobLocation"].(map[string]any)["address"].(map[string]any)
	salary := ld["baseSalary"].(map[string]any)["value"].(map[string]any)
	if ld["@type"] != "JobPosting" || ld["title"] != "Remote Accountant" || ld["employmentType"] != "CONTRACTOR" ||
		ld["jobLocationType"] != "TELECOMMUTE" || loc["addressCountry"] != "BS" || loc["addressRegion"] != "New Providence" ||
		salary["unitText"] != "HOUR" || salary["maxValue"] != 40.0 || ld["datePosted"] == nil || ld["validThrough"] == nil {
		t.Errorf("JSON-LD: %s", body)
	}
	// An expired job has no posting.
	if _, err := b.Jobs.UpdateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateJobRequest{
		Job:        &hmbv1.Job{Id: job.Id, ExpireTime: timestamppb.New(time.Now().Add(time.Second))},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"expire_time"}}}); err != nil {
		t.Fatal(err)
	}
	servertest.Eventually(t, 5*time.Second, "an expired job's posting is gone", func() bool {
		code, _, _ := b.Do(t, http.MethodGet, "/api/v1/jobs/"+job.Id+"/posting", nil)
		return code == http.StatusNotFound
	})
}
