package queue

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
	"github.com/hiremebahamas/api/store"
)

// Instant alerts come from a sweep every alertSweepInterval rather than
// from a job queued with each publication: the sweep also catches jobs
// whose publish_time arrives later, and batches a burst of postings into
// one mail per search.
const alertSweepInterval = time.Minute

// alertJobsPerMail is how many jobs one alert lists; more wait for the next.
const alertJobsPerMail = 20

// sweeps are the periodic sweeps of saved searches: each looks back further
// than its interval, so that a late run misses nothing, and what was sent
// is never sent again.
var sweeps = []struct {
	frequency string
	schedule  river.PeriodicSchedule
	within    time.Duration
}{
	{domain.AlertInstant, river.PeriodicInterval(alertSweepInterval), 2 * 24 * time.Hour},
	{domain.AlertDaily, dailyAt{hour: 13}, 3 * 24 * time.Hour},
	{domain.AlertWeekly, weeklyAt{day: time.Monday, hour: 13}, 10 * 24 * time.Hour},
}

// dailyAt is every day at hour UTC (9 am in Nassau, most of the year): a
// fixed time of day, unlike an interval, is not pushed back by restarts.
type dailyAt struct{ hour int }

func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// weeklyAt is every week on day at hour UTC.
type weeklyAt struct {
	day  time.Weekday
	hour int
}

func (w weeklyAt) Next(t time.Time) time.Time {
	next := dailyAt{w.hour}.Next(t)
	for next.Weekday() != w.day {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

func alertPeriodicJobs() []*river.PeriodicJob {
	jobs := make([]*river.PeriodicJob, 0, len(sweeps))
	for _, s := range sweeps {
		jobs = append(jobs, river.NewPeriodicJob(s.schedule, func() (river.JobArgs, *river.InsertOpts) {
			return domain.SweepJobAlerts{Frequency: s.frequency}, nil
		}, nil))
	}
	return jobs
}

// sweepWorker queues the alert mails of one frequency's saved searches.
type sweepWorker struct {
	river.WorkerDefaults[domain.SweepJobAlerts]
	o Options
}

// Timeout allows a sweep of many searches more than a mail's minute.
func (w *sweepWorker) Timeout(*river.Job[domain.SweepJobAlerts]) time.Duration {
	return 10 * time.Minute
}

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[domain.SweepJobAlerts]) error {
	sw := store.AlertSweep{Frequency: job.Args.Frequency, MaxJobs: alertJobsPerMail}
	for _, s := range sweeps {
		if s.frequency == sw.Frequency {
			sw.Within = s.within
		}
	}
	if sw.Within == 0 {
		return river.JobCancel(errUnknownFrequency(sw.Frequency))
	}
	n, err := w.o.Store.SweepJobAlerts(ctx, sw)
	if n > 0 {
		w.o.Log.Info("job alerts queued", "frequency", sw.Frequency, "mails", n)
	}
	return err
}

type errUnknownFrequency string

func (e errUnknownFrequency) Error() string {
	return "no alert sweep of frequency " + strconv.Quote(string(e))
}

// alertWorker mails the owner of a saved search the jobs it newly matched.
type alertWorker struct {
	river.WorkerDefaults[domain.JobAlertDue]
	o Options
}

func (w *alertWorker) Work(ctx context.Context, job *river.Job[domain.JobAlertDue]) error {
	a, ok, err := w.o.Store.JobAlert(ctx, job.Args.SearchID, job.Args.JobIDs)
	if err != nil || !ok {
		return err
	}
	// The account may have turned job alerts off since the sweep.
	if _, wants, err := recipient(ctx, w.o, a.User.ID, domain.MailJobAlerts); err != nil || !wants {
		return err
	}
	var list strings.Builder
	for _, j := range a.Jobs {
		list.WriteString("- " + j.Title + " at " + j.Company)
		if j.Location != "" {
			list.WriteString(", " + j.Location)
		}
		list.WriteString("\n  " + link(w.o.LinkBase, "/jobs/", j.ID) + "\n")
	}
	return w.o.Mail.Send(ctx, mail.Message{To: a.User.Email, Template: "job_alert", Data: map[string]string{
		"FirstName": a.User.FirstName,
		"Search":    a.Search.Filter.Describe(),
		"Count":     plural(len(a.Jobs), "new job"),
		"Jobs":      strings.TrimSuffix(list.String(), "\n"),
	}, UnsubscribeURL: unsubscribeURL(w.o, a.User.ID, domain.MailJobAlerts)})
}
