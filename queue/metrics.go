package queue

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
)

// metrics are the queue's Prometheus series: jobs by state, read from
// River's table at scrape time, and each job worked, with its wait and run
// times, counted from River's events.
type metrics struct {
	pool     *pgxpool.Pool
	depth    *prometheus.Desc
	worked   *prometheus.CounterVec
	wait     *prometheus.HistogramVec
	run      *prometheus.HistogramVec
	stopFeed func()
}

var jobBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func newMetrics(pool *pgxpool.Pool) *metrics {
	return &metrics{
		pool: pool,
		depth: prometheus.NewDesc("queue_jobs", "Jobs in the queue, by kind and River state (available, scheduled, retryable, running, discarded, …).",
			[]string{"kind", "state"}, nil),
		worked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "queue_jobs_worked_total", Help: "Job attempts that ended, by kind and outcome (completed, failed, cancelled, snoozed).",
		}, []string{"kind", "outcome"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "queue_job_wait_seconds", Help: "Time jobs waited, available, before a worker took them, by kind.", Buckets: jobBuckets,
		}, []string{"kind"}),
		run: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "queue_job_run_seconds", Help: "Time a job attempt ran, by kind.", Buckets: jobBuckets,
		}, []string{"kind"}),
	}
}

// Collectors are the queue's series, for the metrics registry.
func (q *Queue) Collectors() []prometheus.Collector {
	return []prometheus.Collector{q.metrics, q.metrics.worked, q.metrics.wait, q.metrics.run}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.depth }

// Collect counts the jobs by kind and state; a scrape that cannot read the
// table reports none rather than fail.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := m.pool.Query(ctx, "SELECT kind, state::text, count(*) FROM river_job GROUP BY kind, state")
	if err != nil {
		return
	}
	type depth struct {
		kind, state string
		n           int64
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (depth, error) {
		var d depth
		err := r.Scan(&d.kind, &d.state, &d.n)
		return d, err
	})
	if err != nil {
		return
	}
	for _, d := range counts {
		ch <- prometheus.MustNewConstMetric(m.depth, prometheus.GaugeValue, float64(d.n), d.kind, d.state)
	}
}

// follow counts the attempts the client's workers end.
func (m *metrics) follow(c *river.Client[pgx.Tx]) {
	events, stop := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	m.stopFeed = stop
	go func() {
		for e := range events {
			outcome := map[river.EventKind]string{river.EventKindJobCompleted: "completed", river.EventKindJobFailed: "failed",
				river.EventKindJobCancelled: "cancelled", river.EventKindJobSnoozed: "snoozed"}[e.Kind]
			m.worked.WithLabelValues(e.Job.Kind, outcome).Inc()
			if e.JobStats != nil {
				m.wait.WithLabelValues(e.Job.Kind).Observe(e.JobStats.QueueWaitDuration.Seconds())
				m.run.WithLabelValues(e.Job.Kind).Observe(e.JobStats.RunDuration.Seconds())
			}
		}
	}()
}
