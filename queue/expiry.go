package queue

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
)

// expiryNoticeAhead is how long before a job expires its employer is told.
const expiryNoticeAhead = 72 * time.Hour

// expirySweepWorker queues the notices of jobs about to expire.
type expirySweepWorker struct {
	river.WorkerDefaults[domain.SweepExpiringJobs]
	o Options
}

func (w *expirySweepWorker) Work(ctx context.Context, _ *river.Job[domain.SweepExpiringJobs]) error {
	n, err := w.o.Store.QueueExpiryNotices(ctx, expiryNoticeAhead)
	if err == nil && n > 0 {
		w.o.Log.Info("expiry notices queued", "count", n)
	}
	return err
}

// expiringWorker tells an employer that their job expires soon. It is mail
// about the employer's own posting, not a kind to opt out of.
type expiringWorker struct {
	river.WorkerDefaults[domain.JobExpiring]
	o Options
}

func (w *expiringWorker) Work(ctx context.Context, job *river.Job[domain.JobExpiring]) error {
	j, err := w.o.Store.GetJob(ctx, job.Args.JobID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Renewed, closed or filled since the sweep: nothing to say.
	if j.Status != domain.JobOpen || j.ExpireTime.After(time.Now().Add(expiryNoticeAhead)) || !j.ExpireTime.After(time.Now()) {
		return nil
	}
	u, ok, err := activeAccount(ctx, w.o, j.EmployerID)
	if err != nil || !ok {
		return err
	}
	return w.o.Mail.Send(ctx, mail.Message{To: u.Email, Template: "job_expiring", Data: map[string]string{
		"FirstName": u.FirstName,
		"JobTitle":  j.Title,
		"ExpiresOn": j.ExpireTime.UTC().Format("Monday 2 January 2006, 15:04 UTC"),
		"JobURL":    link(w.o.LinkBase, "/jobs/", j.ID),
	}})
}
