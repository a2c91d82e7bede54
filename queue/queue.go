// Package queue runs the service's background work on River, in the same
// PostgreSQL: the store inserts jobs in the transactions of the changes that
// cause them (store.Outbox), and the workers here do them, at least once,
// retrying with backoff until River discards them with the error kept.
package queue

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
	"github.com/hiremebahamas/api/store"
)

// Options configure the queue.
type Options struct {
	// Pool is where River's tables are read and written.
	Pool *pgxpool.Pool
	// PollOnly polls for new jobs instead of listening for them, for a
	// pool behind a transaction pooler, where LISTEN does not work.
	PollOnly bool
	// Workers is how many jobs one process works at once; 0 inserts jobs
	// but works none (an API-only process).
	Workers int
	Store   *store.Store
	Mail    mail.Sender
	// LinkBase is the frontend's base URL, for links in mail.
	LinkBase string
	// JobTimeout bounds one attempt of a job; a job still running twice as
	// long after it began is taken to have lost its worker, and retried.
	JobTimeout time.Duration
	// Resets bound the password-reset links one account gets.
	Resets store.ResetLimits
	Log    *slog.Logger
	// Verifications bound the email-verification links one account gets.
	Verifications store.ResetLimits
	// APIBase is the API's public base URL, for links in mail that reach
	// the API itself: one-click unsubscribe.
	APIBase string
	// Links signs the unsubscribe links.
	Links *auth.LinkSigner
	// NoticeDelay is the period whose applications to an employer's jobs
	// share one notice, sent at its end.
	NoticeDelay time.Duration
}

// Queue is the River client and the workers of each task.
type Queue struct {
	client      *river.Client[pgx.Tx]
	working     bool
	metrics     *metrics
	noticeDelay time.Duration
}

// mailAttempts is how often a mail is tried before River discards it: with
// River's backoff (attempt⁴ seconds) that spans about a day of an SMTP
// server being down.
const mailAttempts = 12

// New builds the queue. It starts nothing: see Start.
func New(o Options) (*Queue, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &resetRequestWorker{o: o})
	river.AddWorker(workers, &passwordChangedWorker{o: o})
	river.AddWorker(workers, &purgeWorker{o: o})
	river.AddWorker(workers, &verificationWorker{o: o})
	river.AddWorker(workers, &newApplicationsWorker{o: o})
	river.AddWorker(workers, &applicationMovedWorker{o: o})
	river.AddWorker(workers, &sweepWorker{o: o})
	river.AddWorker(workers, &alertWorker{o: o})
	river.AddWorker(workers, &expirySweepWorker{o: o})
	river.AddWorker(workers, &expiringWorker{o: o})
	cfg := &river.Config{
		Logger:     o.Log.With("component", "queue"),
		Workers:    workers,
		PollOnly:   o.PollOnly,
		JobTimeout: cmp.Or(o.JobTimeout, time.Minute),
		// River's default is an hour; a mail should not wait that long for
		// a worker that was killed.
		RescueStuckJobsAfter: 2 * cmp.Or(o.JobTimeout, time.Minute),
		MaxAttempts:          mailAttempts,
		// River's leader enqueues these: once across every replica.
		PeriodicJobs: append([]*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return domain.PurgeSpentTokens{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return domain.SweepExpiringJobs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		}, alertPeriodicJobs()...),
	}
	if o.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}}
	}
	client, err := river.NewClient(riverpgxv5.New(o.Pool), cfg)
	if err != nil {
		return nil, err
	}
	q := &Queue{client: client, working: o.Workers > 0, noticeDelay: o.NoticeDelay}
	q.metrics = newMetrics(o.Pool)
	return q, nil
}

// InsertTx inserts jobs in tx: it is the store's Outbox.
func (q *Queue) InsertTx(ctx context.Context, tx pgx.Tx, jobs []domain.Task) error {
	params := make([]river.InsertManyParams, 0, len(jobs))
	for _, j := range jobs {
		// A task has the Kind River asks of job arguments, and marshals as
		// its own fields.
		params = append(params, river.InsertManyParams{Args: j, InsertOpts: insertOpts(j, q.noticeDelay)})
	}
	_, err := q.client.InsertManyTx(ctx, tx, params)
	return err
}

// insertOpts are a task's: a reset request for the same email within a
// minute is the same job, so that a flood of requests sends one mail; the
// applications to an employer's jobs within one period of noticeDelay share
// one notice, due at the period's end. A notice runs after its period, so an
// application made while it runs falls in a later period, and has a notice
// of its own, rather than joining one that has already read its list.
func insertOpts(t domain.Task, noticeDelay time.Duration) *river.InsertOpts {
	if _, ok := t.(domain.PasswordResetRequested); ok {
		return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Minute}}
	}
	if _, ok := t.(domain.ApplicationsReceived); ok {
		due := time.Now().Truncate(noticeDelay).Add(noticeDelay)
		return &river.InsertOpts{ScheduledAt: due, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: noticeDelay, ByState: pendingStates}}
	}
	return nil
}

// pendingStates are those of a notice not yet done (River requires the
// first four in ByState): one done early, as an operator may make it, does
// not swallow the applications after it.
var pendingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	rivertype.JobStateRetryable,
}

// Start begins working jobs, when the queue has workers, and the leader's
// periodic jobs; it returns once started.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	q.metrics.follow(q.client)
	return q.client.Start(ctx)
}

// Stop stops fetching jobs and waits for the running ones until ctx ends;
// then it cancels them, and River's rescue retries them later.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cancelCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return q.client.StopAndCancel(cancelCtx)
	}
	return err
}
