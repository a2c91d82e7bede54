package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// runTask inserts task as the periodic schedule would, and waits until it
// and the jobs it queued are done.
func runTask(t *testing.T, url string, task domain.Task) {
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
	if _, err := client.Insert(ctx, task, nil); err != nil {
		t.Fatal(err)
	}
	servertest.Eventually(t, 30*time.Second, task.Kind()+" and what it queued done", func() bool {
		var n int
		err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled') AND kind <> 'purge_spent_tokens'").Scan(&n)
		return err == nil && n == 0
	})
}

// An employer hears, once, that an open job expires within three days.
func TestExpiringJobNotice(t *testing.T) {
	t.Parallel()
	s, mp, url := withMail(t)
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	jobs := hmbv1.NewJobServiceClient(s.Conn)
	post := func(title string, expires time.Duration) *hmbv1.Job {
		t.Helper()
		j, err := jobs.CreateJob(servertest.WithToken(employer.AccessToken), &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
			Title: title, Description: "Seasonal work.", Company: "Out Island Resorts",
			Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
			Island: hmbv1.Island_ISLAND_EXUMA, ExpireTime: timestamppb.New(time.Now().Add(expires)),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	soon := post("Night Porter", 48*time.Hour)
	later := post("Day Porter", 10*24*time.Hour)

	runTask(t, url, domain.SweepExpiringJobs{})
	m := waitForNotice(t, mp, employer.User.Email)
	if !strings.Contains(m.Subject, "Night Porter") || !strings.Contains(m.Text, "/jobs/"+soon.Id) || strings.Contains(m.Text, later.Id) {
		t.Errorf("the notice: %q\n%s", m.Subject, m.Text)
	}
	// Swept again: the same expiry is not noticed twice.
	runTask(t, url, domain.SweepExpiringJobs{})
	if n := len(withoutVerification(mailsTo(t, mp, employer.User.Email))); n != 1 {
		t.Errorf("%d notices after a second sweep; want 1", n)
	}
}

// A job out of attempts ends discarded, with each attempt's error kept for
// the operator.
func TestFailedJobIsDiscardedWithItsError(t *testing.T) {
	t.Parallel()
	s, mp, url := withMail(t)
	u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	mp.Stop()
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
	res, err := client.Insert(ctx, domain.PasswordChanged{UserID: u.User.Id}, &river.InsertOpts{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	var state, lastError string
	servertest.Eventually(t, 30*time.Second, "the job discarded", func() bool {
		err := pool.QueryRow(ctx, "SELECT state::text, coalesce(errors[array_upper(errors, 1)]->>'error', '') FROM river_job WHERE id = $1", res.Job.ID).Scan(&state, &lastError)
		return err == nil && state == "discarded"
	})
	if !strings.Contains(lastError, "mail: password_changed") {
		t.Errorf("the discarded job kept %q; want the send's error", lastError)
	}
}
