package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// Behind PgBouncer in transaction mode, as a hosted database's pooled URL
// puts it, the URL as the provider gives it works: the service migrates
// over the direct URL, becomes ready and answers reads, writes and
// transactions over both transports while requests run side by side.
func TestThroughTransactionPooler(t *testing.T) {
	t.Parallel()
	direct := pgtest.NewEmptyDatabase(t)
	cfg := servertest.Config(pgtest.StartPgBouncer(t, direct).URL)
	cfg.DatabaseDirectURL = direct
	cfg.MigrateOnStart = true
	s := servertest.Start(t, cfg)
	servertest.Eventually(t, 15*time.Second, "/ready/db turns 200", func() bool {
		code, _, _ := s.Do(t, http.MethodGet, "/ready/db", nil)
		return code == http.StatusOK
	})

	jobs := hmbv1.NewJobServiceClient(s.Conn)
	var wg sync.WaitGroup
	for i := range 8 {
		// Each worker signs in as its own employer: sign-ins of one
		// account at once count against its lockout.
		employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
		wg.Go(func() {
			for j := range 5 {
				title := fmt.Sprintf("Dive Instructor %d-%d", i, j)
				job, err := jobs.CreateJob(servertest.WithToken(employer.AccessToken), &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
					Title: title, Company: "Stuart Cove's", Description: "Reef and wreck dives.",
					Category:       hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY,
					EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, Island: hmbv1.Island_ISLAND_NEW_PROVIDENCE,
				}})
				if err != nil {
					t.Errorf("gRPC CreateJob: %v", err)
					return
				}
				if _, err := jobs.GetJob(context.Background(), &hmbv1.GetJobRequest{Id: job.Id}); err != nil {
					t.Errorf("gRPC GetJob: %v", err)
				}
				if _, err := jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{Q: fmt.Sprintf("dive %d %d", i, j)}); err != nil {
					t.Errorf("gRPC ListJobs: %v", err)
				}
				var got struct{ Title string }
				if code, _ := s.Call(t, http.MethodGet, "/api/v1/jobs/"+job.Id, "", nil, &got); code != http.StatusOK || got.Title != title {
					t.Errorf("REST GET job: %d %q", code, got.Title)
				}
				if code, _ := s.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/jobs?q=instructor+%d+%d", i, j), "", nil, nil); code != http.StatusOK {
					t.Errorf("REST search: %d", code)
				}
				// Sign-in takes transaction-scoped advisory locks.
				var refused servertest.RestError
				if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{
					"email": employer.User.Email, "password": servertest.Password}, &refused); code != http.StatusOK {
					t.Errorf("REST login: %d %+v", code, refused)
				}
			}
		})
	}
	wg.Wait()
}

// poolerFix is what the service logs when DATABASE_URL's exec mode does not
// suit its pooler.
const poolerFix = "remove default_query_exec_mode=cache_statement (or describe_exec) from DATABASE_URL"

// With cached statements forced in DATABASE_URL behind a transaction
// pooler, the failures are named for what they are over both transports and
// on /ready/db, and the log says once what to change.
func TestPoolerMismatch(t *testing.T) {
	t.Parallel()
	pooled := pgtest.StartPgBouncer(t, pgtest.NewDatabase(t)).URL
	s := servertest.Start(t, servertest.Config(pooled+"&default_query_exec_mode=cache_statement"))
	jobs := hmbv1.NewJobServiceClient(s.Conn)

	// Which requests meet another connection's statements depends on how
	// the pooler pairs connections, so run searches side by side, each new
	// to the board cache, until both transports have seen the mismatch.
	var seq atomic.Int64
	var restSeen, grpcSeen atomic.Bool
	servertest.Eventually(t, 20*time.Second, "a pooler mismatch over REST and over gRPC", func() bool {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, err := jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{Q: fmt.Sprintf("chef %d", seq.Add(1))})
				switch {
				case status.Code(err) == codes.Unavailable && servertest.Reason(err) == "DATABASE_POOLER_MISMATCH":
					grpcSeen.Store(true)
				case err != nil:
					t.Errorf("gRPC ListJobs: %v; want OK or UNAVAILABLE DATABASE_POOLER_MISMATCH", err)
				}
				code, _, body := s.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/jobs?q=cook+%d", seq.Add(1)), nil)
				switch {
				case code == http.StatusServiceUnavailable && servertest.DecodeError(t, body).Error.Reason == "DATABASE_POOLER_MISMATCH":
					restSeen.Store(true)
					if msg := servertest.DecodeError(t, body).Error.Message; strings.Contains(msg, "stmtcache") || strings.Contains(msg, "default_query_exec_mode") {
						t.Errorf("the client is told internals: %q", msg)
					}
				case code != http.StatusOK:
					t.Errorf("REST search: %d %s; want 200 or 503 DATABASE_POOLER_MISMATCH", code, body)
				}
			})
		}
		wg.Wait()
		return (restSeen.Load() && grpcSeen.Load()) || t.Failed()
	})
	if t.Failed() {
		return
	}

	code, _, body := s.Do(t, http.MethodGet, "/ready/db", nil)
	if got := servertest.DecodeError(t, body).Error.Reason; code != http.StatusServiceUnavailable || got != "DATABASE_POOLER_MISMATCH" {
		t.Errorf("/ready/db: %d %s; want 503 DATABASE_POOLER_MISMATCH", code, body)
	}
	_, err := hmbv1.NewHealthServiceClient(s.Conn).CheckDatabase(context.Background(), &hmbv1.CheckDatabaseRequest{})
	if status.Code(err) != codes.Unavailable || servertest.Reason(err) != "DATABASE_POOLER_MISMATCH" {
		t.Errorf("CheckDatabase: %v; want UNAVAILABLE DATABASE_POOLER_MISMATCH", err)
	}
	if n := strings.Count(s.Logs.String(), poolerFix); n != 1 {
		t.Errorf("the log says %d times how to fix DATABASE_URL; want once:\n%s", n, s.Logs.String())
	}
}
