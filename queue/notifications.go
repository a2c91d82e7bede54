package queue

import (
	"context"
	"errors"
	"strings"

	"github.com/riverqueue/river"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
)

// newApplicationsWorker tells an employer of the applications to their jobs
// that no notice has listed yet. The applications of one period of
// NoticeDelay share its job (see insertOpts), so a burst is one mail; it
// reads what to list from the database when it runs, not from its
// arguments, and so also lists any an earlier notice missed.
type newApplicationsWorker struct {
	river.WorkerDefaults[domain.ApplicationsReceived]
	o Options
}

func (w *newApplicationsWorker) Work(ctx context.Context, job *river.Job[domain.ApplicationsReceived]) error {
	employer := job.Args.EmployerID
	apps, err := w.o.Store.UnnotifiedApplications(ctx, employer)
	if err != nil || len(apps) == 0 {
		return err
	}
	ids := make([]string, 0, len(apps))
	var lines []string
	for _, a := range apps {
		ids = append(ids, a.ID)
		if a.Status != domain.AppWithdrawn {
			lines = append(lines, "• "+strings.TrimSpace(a.FirstName+" "+a.LastName)+" applied to "+a.JobTitle)
		}
	}
	if len(lines) > 0 {
		if err := w.send(ctx, employer, lines); err != nil {
			return err
		}
	}
	// A failure here sends the mail again on the retry: at least once.
	return w.o.Store.MarkNotified(ctx, ids)
}

// send mails the notice, unless the employer is gone or turned it off;
// applications not mailed then are not mailed later either.
func (w *newApplicationsWorker) send(ctx context.Context, employer string, lines []string) error {
	u, ok, err := recipient(ctx, w.o, employer, domain.MailNewApplications)
	if err != nil || !ok {
		return err
	}
	summary := plural(len(lines), "new application")
	return w.o.Mail.Send(ctx, mail.Message{To: u.Email, Template: "new_applications", Data: map[string]string{
		"FirstName":       u.FirstName,
		"Summary":         summary,
		"Applications":    strings.Join(lines, "\n"),
		"ApplicationsURL": link(w.o.LinkBase, "/employer/applications", ""),
	}, UnsubscribeURL: unsubscribeURL(w.o, u.ID, domain.MailNewApplications)})
}

// applicationMovedWorker tells an applicant that an employer moved their
// application.
type applicationMovedWorker struct {
	river.WorkerDefaults[domain.ApplicationMoved]
	o Options
}

// statusNews is what a notice says happened to an application moved to a
// status: "Your application for <title> …".
var statusNews = map[string]string{
	domain.AppReviewing: "is being reviewed",
	domain.AppInterview: "has moved on to an interview",
	domain.AppOffered:   "has led to an offer",
	domain.AppHired:     "was successful: you are hired",
	domain.AppRejected:  "was not successful this time",
}

func (w *applicationMovedWorker) Work(ctx context.Context, job *river.Job[domain.ApplicationMoved]) error {
	news, ok := statusNews[job.Args.Status]
	if !ok {
		return nil
	}
	a, err := w.o.Store.GetApplication(ctx, job.Args.ApplicationID)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil // the job was deleted, and its applications with it
		}
		return err
	}
	u, ok, err := recipient(ctx, w.o, a.ApplicantID, domain.MailApplicationUpdates)
	if err != nil || !ok {
		return err
	}
	return w.o.Mail.Send(ctx, mail.Message{To: u.Email, Template: "application_status", Data: map[string]string{
		"FirstName":       u.FirstName,
		"JobTitle":        a.JobTitle,
		"News":            news,
		"ApplicationsURL": link(w.o.LinkBase, "/applications", ""),
	}, UnsubscribeURL: unsubscribeURL(w.o, u.ID, domain.MailApplicationUpdates)})
}

// recipient returns the account to mail, and false when there is nobody to
// mail: the account is gone or deactivated, or turned the kind off. The
// preference is read now, at send time, so that turning a kind off stops
// the mail already queued.
func recipient(ctx context.Context, o Options, id string, kind domain.MailKind) (domain.User, bool, error) {
	u, ok, err := activeAccount(ctx, o, id)
	if err != nil || !ok {
		return domain.User{}, false, err
	}
	wants, err := o.Store.WantsMail(ctx, id, kind)
	return u, wants, err
}

// activeAccount returns the account id, and false when it is gone or
// deactivated: nobody to mail.
func activeAccount(ctx context.Context, o Options, id string) (domain.User, bool, error) {
	u, err := o.Store.GetUser(ctx, id)
	if errors.Is(err, domain.ErrNotFound) || err == nil && !u.Active {
		return domain.User{}, false, nil
	}
	if err != nil {
		return domain.User{}, false, err
	}
	return u, true, nil
}

// unsubscribeURL is the one-click link that turns kind off for the account:
// the API's own endpoint, which mail clients POST to (RFC 8058).
func unsubscribeURL(o Options, userID string, kind domain.MailKind) string {
	return link(o.APIBase, "/api/v1/unsubscribe?token=", o.Links.Sign(auth.PurposeUnsubscribe, userID, string(kind)))
}
