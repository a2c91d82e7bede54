package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func instantSearch(q string, islands ...hmbv1.Island) *hmbv1.SavedSearch {
	return &hmbv1.SavedSearch{
		Filter:    &hmbv1.JobSearchFilter{Q: q, Island: islands},
		Frequency: hmbv1.AlertFrequency_ALERT_FREQUENCY_INSTANT,
	}
}

func TestSavedSearchCRUD(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	seeker := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	other := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	c := hmbv1.NewSavedSearchServiceClient(s.Conn)
	ctx := servertest.WithToken(seeker.AccessToken)

	// gRPC create.
	first, err := c.CreateSavedSearch(ctx, &hmbv1.CreateSavedSearchRequest{SavedSearch: instantSearch("dive instructor", hmbv1.Island_ISLAND_EXUMA)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Id == "" || first.Description != `"dive instructor", Exuma` || first.Frequency != hmbv1.AlertFrequency_ALERT_FREQUENCY_INSTANT {
		t.Errorf("created %v", first)
	}
	// REST create, as the frontend does.
	var second map[string]any
	code, _ := s.Call(t, http.MethodPost, "/api/v1/users/me/saved-searches", seeker.AccessToken, map[string]any{
		"filter":    map[string]any{"category": []string{"JOB_CATEGORY_HOSPITALITY"}, "remote": false, "salary_min": 40000},
		"frequency": "ALERT_FREQUENCY_DAILY",
	}, &second)
	if code != http.StatusOK || second["description"] != "Hospitality, on site, paying 40000 or more" {
		t.Fatalf("POST saved-searches: %d %v", code, second)
	}
	secondID := second["id"].(string)

	// Listed newest first, a page at a time.
	page, err := c.ListSavedSearches(ctx, &hmbv1.ListSavedSearchesRequest{PageSize: 1})
	if err != nil || len(page.SavedSearches) != 1 || page.SavedSearches[0].Id != secondID || page.NextPageToken == "" {
		t.Fatalf("first page: %v %v", page, err)
	}
	var rest map[string]any
	if code, _ := s.Call(t, http.MethodGet, "/api/v1/users/me/saved-searches?page_size=1&page_token="+page.NextPageToken, seeker.AccessToken, nil, &rest); code != http.StatusOK {
		t.Fatalf("second page: %d %v", code, rest)
	}
	if list := rest["saved_searches"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != first.Id || rest["next_page_token"] != "" {
		t.Errorf("second page: %v", rest)
	}

	// Update over both transports.
	updated, err := c.UpdateSavedSearch(ctx, &hmbv1.UpdateSavedSearchRequest{
		SavedSearch: &hmbv1.SavedSearch{Id: first.Id, Frequency: hmbv1.AlertFrequency_ALERT_FREQUENCY_WEEKLY, Filter: &hmbv1.JobSearchFilter{Q: "ignored"}},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"frequency"}},
	})
	if err != nil || updated.Frequency != hmbv1.AlertFrequency_ALERT_FREQUENCY_WEEKLY || updated.Filter.Q != "dive instructor" {
		t.Errorf("UpdateSavedSearch: %v %v", updated, err)
	}
	var patched map[string]any
	code, _ = s.Call(t, http.MethodPatch, "/api/v1/users/me/saved-searches/"+secondID+"?update_mask=alerts_paused", seeker.AccessToken,
		map[string]any{"alerts_paused": true}, &patched)
	if code != http.StatusOK || patched["alerts_paused"] != true || patched["frequency"] != "ALERT_FREQUENCY_DAILY" {
		t.Errorf("PATCH: %d %v", code, patched)
	}

	// Another user's search is not found; employers have none.
	if _, err := c.GetSavedSearch(servertest.WithToken(other.AccessToken), &hmbv1.GetSavedSearchRequest{Id: first.Id}); status.Code(err) != codes.NotFound {
		t.Errorf("another user's search: %v", err)
	}
	if code, _ := s.Call(t, http.MethodDelete, "/api/v1/users/me/saved-searches/"+first.Id, other.AccessToken, nil, nil); code != http.StatusNotFound {
		t.Errorf("another user deleting: %d", code)
	}
	if _, err := c.ListSavedSearches(servertest.WithToken(employer.AccessToken), &hmbv1.ListSavedSearchesRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("an employer listing: %v", err)
	}
	if code, _ := s.Call(t, http.MethodGet, "/api/v1/users/me/saved-searches", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("signed out: %d", code)
	}

	// Delete over both.
	if _, err := c.DeleteSavedSearch(ctx, &hmbv1.DeleteSavedSearchRequest{Id: first.Id}); err != nil {
		t.Fatal(err)
	}
	if code, _ := s.Call(t, http.MethodDelete, "/api/v1/users/me/saved-searches/"+secondID, seeker.AccessToken, nil, nil); code != http.StatusOK {
		t.Errorf("DELETE: %d", code)
	}
	if _, err := c.GetSavedSearch(ctx, &hmbv1.GetSavedSearchRequest{Id: first.Id}); status.Code(err) != codes.NotFound || servertest.Reason(err) != "SAVED_SEARCH_NOT_FOUND" {
		t.Errorf("a deleted search: %v", err)
	}
}

func TestSavedSearchLimit(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	seeker := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	c := hmbv1.NewSavedSearchServiceClient(s.Conn)
	ctx := servertest.WithToken(seeker.AccessToken)
	for i := range domain.MaxSavedSearches {
		if _, err := c.CreateSavedSearch(ctx, &hmbv1.CreateSavedSearchRequest{SavedSearch: instantSearch(strings.Repeat("x", i+1))}); err != nil {
			t.Fatalf("search %d: %v", i+1, err)
		}
	}
	if _, err := c.CreateSavedSearch(ctx, &hmbv1.CreateSavedSearchRequest{SavedSearch: instantSearch("one more")}); status.Code(err) != codes.FailedPrecondition || servertest.Reason(err) != "SAVED_SEARCH_LIMIT" {
		t.Errorf("gRPC past the limit: %v", err)
	}
	var refused servertest.RestError
	code, _ := s.Call(t, http.MethodPost, "/api/v1/users/me/saved-searches", seeker.AccessToken,
		map[string]any{"filter": map[string]any{}, "frequency": "ALERT_FREQUENCY_DAILY"}, &refused)
	if code != http.StatusBadRequest || refused.Error.Reason != "SAVED_SEARCH_LIMIT" {
		t.Errorf("REST past the limit: %d %+v", code, refused.Error)
	}
	list, err := c.ListSavedSearches(ctx, &hmbv1.ListSavedSearchesRequest{PageSize: 100})
	if err != nil || len(list.SavedSearches) != domain.MaxSavedSearches {
		t.Errorf("%d searches kept (%v); want %d", len(list.GetSavedSearches()), err, domain.MaxSavedSearches)
	}
}

func TestSavedSearchBadInput(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	seeker := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	c := hmbv1.NewSavedSearchServiceClient(s.Conn)
	ctx := servertest.WithToken(seeker.AccessToken)
	kept, err := c.CreateSavedSearch(ctx, &hmbv1.CreateSavedSearchRequest{SavedSearch: instantSearch("chef")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"no frequency", map[string]any{"filter": map[string]any{"q": "chef"}}},
		{"no filter", map[string]any{"frequency": "ALERT_FREQUENCY_DAILY"}},
		{"unknown island", map[string]any{"filter": map[string]any{"island": []int{99}}, "frequency": "ALERT_FREQUENCY_DAILY"}},
		{"unspecified category", map[string]any{"filter": map[string]any{"category": []string{"JOB_CATEGORY_UNSPECIFIED"}}, "frequency": "ALERT_FREQUENCY_DAILY"}},
		{"negative salary", map[string]any{"filter": map[string]any{"salary_min": -1}, "frequency": "ALERT_FREQUENCY_DAILY"}},
		{"long query", map[string]any{"filter": map[string]any{"q": strings.Repeat("a", 257)}, "frequency": "ALERT_FREQUENCY_DAILY"}},
		{"unknown frequency", map[string]any{"filter": map[string]any{}, "frequency": 9}},
	} {
		var refused servertest.RestError
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/users/me/saved-searches", seeker.AccessToken, tc.body, &refused); code != http.StatusBadRequest || refused.Error.Message == "" {
			t.Errorf("REST %s: %d %+v", tc.name, code, refused.Error)
		}
	}
	for _, tc := range []struct {
		name string
		req  *hmbv1.CreateSavedSearchRequest
	}{
		{"no frequency", &hmbv1.CreateSavedSearchRequest{SavedSearch: &hmbv1.SavedSearch{Filter: &hmbv1.JobSearchFilter{}}}},
		{"no search", &hmbv1.CreateSavedSearchRequest{}},
		{"unknown employment type", &hmbv1.CreateSavedSearchRequest{SavedSearch: &hmbv1.SavedSearch{
			Filter: &hmbv1.JobSearchFilter{EmploymentType: []hmbv1.EmploymentType{42}}, Frequency: hmbv1.AlertFrequency_ALERT_FREQUENCY_DAILY}}},
	} {
		if _, err := c.CreateSavedSearch(ctx, tc.req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("gRPC %s: %v", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name  string
		paths []string
	}{
		{"no mask", nil},
		{"read-only field", []string{"description"}},
		{"unspecified frequency", []string{"frequency"}},
	} {
		_, err := c.UpdateSavedSearch(ctx, &hmbv1.UpdateSavedSearchRequest{
			SavedSearch: &hmbv1.SavedSearch{Id: kept.Id, Filter: &hmbv1.JobSearchFilter{}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: tc.paths},
		})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("update, %s: %v", tc.name, err)
		}
	}
	list, err := c.ListSavedSearches(ctx, &hmbv1.ListSavedSearchesRequest{})
	if err != nil || len(list.SavedSearches) != 1 || list.SavedSearches[0].Filter.Q != "chef" || list.SavedSearches[0].Frequency != hmbv1.AlertFrequency_ALERT_FREQUENCY_INSTANT {
		t.Errorf("refused requests changed the searches: %v %v", list, err)
	}
}

// sweep runs the alert sweep of a frequency now, as River's leader does on
// its schedule, and waits for it to finish.
func sweep(t *testing.T, url, frequency string) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Insert(ctx, domain.SweepJobAlerts{Frequency: frequency}, nil)
	if err != nil {
		t.Fatal(err)
	}
	servertest.Eventually(t, 30*time.Second, "the "+frequency+" sweep", func() bool {
		var state string
		err := pool.QueryRow(ctx, "SELECT state::text FROM river_job WHERE id = $1", res.Job.ID).Scan(&state)
		return err == nil && state == "completed"
	})
}

func TestJobAlerts(t *testing.T) {
	t.Parallel()
	s, mp, url := withMail(t)
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	instant := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	daily := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	searches := hmbv1.NewSavedSearchServiceClient(s.Conn)
	jobs := hmbv1.NewJobServiceClient(s.Conn)
	if _, err := searches.CreateSavedSearch(servertest.WithToken(instant.AccessToken), &hmbv1.CreateSavedSearchRequest{
		SavedSearch: instantSearch("dive", hmbv1.Island_ISLAND_EXUMA),
	}); err != nil {
		t.Fatal(err)
	}
	// The same search twice: one mail per job, not per search.
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/users/me/saved-searches", instant.AccessToken, map[string]any{
		"filter": map[string]any{"q": "instructor"}, "frequency": "ALERT_FREQUENCY_INSTANT",
	}, nil); code != http.StatusOK {
		t.Fatalf("REST create: %d", code)
	}
	if _, err := searches.CreateSavedSearch(servertest.WithToken(daily.AccessToken), &hmbv1.CreateSavedSearchRequest{
		SavedSearch: &hmbv1.SavedSearch{Filter: &hmbv1.JobSearchFilter{Q: "chef"}, Frequency: hmbv1.AlertFrequency_ALERT_FREQUENCY_DAILY},
	}); err != nil {
		t.Fatal(err)
	}
	post := func(title string, island hmbv1.Island) *hmbv1.Job {
		t.Helper()
		j, err := jobs.CreateJob(servertest.WithToken(employer.AccessToken), &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
			Title: title, Description: "A season in the islands.", Company: "Out Island Resorts", Location: "George Town",
			Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, Island: island,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	match := post("Dive Instructor", hmbv1.Island_ISLAND_EXUMA)
	elsewhere := post("Dive Shop Cashier", hmbv1.Island_ISLAND_ABACO)
	chef := post("Sous Chef", hmbv1.Island_ISLAND_EXUMA)

	sweep(t, url, domain.AlertInstant)
	m := waitForNotice(t, mp, instant.User.Email)
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, "/jobs/"+match.Id) || !strings.Contains(part, "Dive Instructor") {
			t.Errorf("the alert lacks the matching job:\n%s", part)
		}
		if strings.Contains(part, elsewhere.Id) || strings.Contains(part, chef.Id) {
			t.Errorf("the alert lists a job that does not match:\n%s", part)
		}
	}
	if !strings.Contains(m.Subject, "1 new job") {
		t.Errorf("subject %q", m.Subject)
	}

	// Swept again, nothing new: nothing sent. A new match is sent alone.
	sweep(t, url, domain.AlertInstant)
	next := post("Dive Instructor, Senior", hmbv1.Island_ISLAND_EXUMA)
	sweep(t, url, domain.AlertInstant)
	servertest.Eventually(t, 30*time.Second, "the second alert", func() bool { return len(withoutVerification(mailsTo(t, mp, instant.User.Email))) == 2 })
	for _, got := range withoutVerification(mailsTo(t, mp, instant.User.Email)) {
		if got.ID != m.ID && (!strings.Contains(got.Text, next.Id) || strings.Contains(got.Text, match.Id)) {
			t.Errorf("the second alert should list only the new job:\n%s", got.Text)
		}
	}
	if n := len(withoutVerification(mailsTo(t, mp, daily.User.Email))); n != 0 {
		t.Errorf("a daily search was mailed by the instant sweep: %d mails", n)
	}

	// The daily digest.
	sweep(t, url, domain.AlertDaily)
	d := waitForNotice(t, mp, daily.User.Email)
	if !strings.Contains(d.Text, "/jobs/"+chef.Id) || strings.Contains(d.Text, match.Id) {
		t.Errorf("the daily digest:\n%s", d.Text)
	}
	sweep(t, url, domain.AlertDaily)
	sweep(t, url, domain.AlertInstant)
	// Wait for whatever those sweeps queued before counting.
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	servertest.Eventually(t, 30*time.Second, "the alert jobs done", func() bool {
		var n int
		err := pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE kind = 'job_alert_due' AND state <> 'completed'").Scan(&n)
		return err == nil && n == 0
	})
	if a, b := len(withoutVerification(mailsTo(t, mp, instant.User.Email))), len(withoutVerification(mailsTo(t, mp, daily.User.Email))); a != 2 || b != 1 {
		t.Errorf("after sweeping again: %d and %d mails; want 2 and 1", a, b)
	}

	// Alerts carry the one-click unsubscribe; following it stops them.
	unsubscribe := d.Headers["List-Unsubscribe"]
	if len(unsubscribe) != 1 || !strings.Contains(unsubscribe[0], "/api/v1/unsubscribe?token=") {
		t.Fatalf("List-Unsubscribe %q", unsubscribe)
	}
	_, pathQuery, _ := strings.Cut(strings.Trim(unsubscribe[0], "<>"), "/api/v1/")
	if code, body := oneClick(t, s, "/api/v1/"+pathQuery, ""); code != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d %s", code, body)
	}
	post("Pastry Chef", hmbv1.Island_ISLAND_EXUMA)
	sweep(t, url, domain.AlertDaily)
	servertest.Eventually(t, 30*time.Second, "the alert jobs done", func() bool {
		var n int
		err := pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE kind IN ('job_alert_due', 'sweep_job_alerts') AND state <> 'completed'").Scan(&n)
		return err == nil && n == 0
	})
	if n := len(withoutVerification(mailsTo(t, mp, daily.User.Email))); n != 1 {
		t.Errorf("%d alerts after unsubscribing; want still 1", n)
	}
}
