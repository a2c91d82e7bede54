package server_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// alertSeed is 10,000 job seekers with a saved instant search each, of a
// few words, islands and categories, and 1,000 jobs opened since.
const alertSeed = `
WITH seekers AS (
    INSERT INTO users (email, password_hash, role, first_name, last_name)
    SELECT 'seeker' || i || '@example.com', 'x', 'JOB_SEEKER', 'Seeker', 'Number ' || i FROM generate_series(1, 10000) AS i
    RETURNING id
)
INSERT INTO saved_searches (user_id, query, islands, categories, frequency, create_time)
SELECT id,
       (ARRAY['', 'chef', 'driver', 'nurse', 'teller', 'dive instructor'])[1 + floor(random() * 6)::int],
       CASE WHEN random() < 0.5 THEN '{}' ELSE ARRAY[(ARRAY['NEW_PROVIDENCE', 'GRAND_BAHAMA', 'EXUMA', 'ABACO'])[1 + floor(random() * 4)::int]] END,
       CASE WHEN random() < 0.7 THEN '{}' ELSE ARRAY[(ARRAY['HOSPITALITY', 'HEALTHCARE', 'FINANCE'])[1 + floor(random() * 3)::int]] END,
       'INSTANT', now() - interval '1 hour'
FROM seekers;
WITH employer AS (
    INSERT INTO users (email, password_hash, role, first_name, last_name)
    VALUES ('employer@example.com', 'x', 'EMPLOYER', 'An', 'Employer') RETURNING id
)
INSERT INTO jobs (employer_id, company, title, description, category, employment_type, island, status, publish_time, expire_time)
SELECT employer.id, 'Company ' || i,
       (ARRAY['Head Chef', 'Delivery Driver', 'Staff Nurse', 'Bank Teller', 'Dive Instructor', 'Accountant'])[1 + floor(random() * 6)::int],
       'A job in the islands.',
       (ARRAY['HOSPITALITY', 'HEALTHCARE', 'FINANCE'])[1 + floor(random() * 3)::int], 'FULL_TIME',
       (ARRAY['NEW_PROVIDENCE', 'GRAND_BAHAMA', 'EXUMA', 'ABACO'])[1 + floor(random() * 4)::int],
       'OPEN', now() - interval '1 minute', now() + interval '30 days'
FROM employer, generate_series(1, 1000) AS i;
`

// BenchmarkAlertDigest sweeps 10,000 instant saved searches after 1,000
// jobs opened, with 10 workers (the default) and mail logged rather than sent: how long
// the sweep takes to queue every alert, and how fast the queue then works
// the alert jobs.
func BenchmarkAlertDigest(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		url := pgtest.NewDatabase(b)
		cfg := servertest.Config(url)
		cfg.LogLevel, cfg.Workers = slog.LevelWarn, 10
		servertest.Start(b, cfg)
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, alertSeed); err != nil {
			b.Fatal(err)
		}
		client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := client.Insert(ctx, domain.SweepJobAlerts{Frequency: domain.AlertInstant}, nil)
		if err != nil {
			b.Fatal(err)
		}
		var swept float64
		for swept == 0 {
			time.Sleep(20 * time.Millisecond)
			// River's own times of the attempt: the sweep as it ran.
			err := pool.QueryRow(ctx, `SELECT extract(epoch FROM finalized_at - attempted_at)::float8
				FROM river_job WHERE id = $1 AND state = 'completed'`, res.Job.ID).Scan(&swept)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				b.Fatal(err)
			}
		}
		// Then the mails it queued, for at most half a minute.
		var mails, worked int
		start := time.Now()
		for time.Since(start) < 30*time.Second && (mails == 0 || worked < mails) {
			time.Sleep(50 * time.Millisecond)
			if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'completed')
				FROM river_job WHERE kind = 'job_alert_due'`).Scan(&mails, &worked); err != nil {
				b.Fatal(err)
			}
		}
		working := time.Since(start)
		b.StopTimer()
		var sent int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM job_alerts_sent").Scan(&sent); err != nil {
			b.Fatal(err)
		}
		pool.Close()
		b.ReportMetric(swept, "sweep-s")
		b.ReportMetric(float64(mails), "mails")
		b.ReportMetric(float64(sent), "jobs-alerted")
		b.ReportMetric(float64(worked)/working.Seconds(), "mail-jobs/s")
		b.ReportMetric(0, "ns/op")
		b.StartTimer()
	}
}
