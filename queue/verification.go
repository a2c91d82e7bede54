package queue

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
)

// verificationWorker mails a link that verifies an account's email, unless
// it is verified already. As with resets, the token is made here, on each
// attempt, and the store keeps its hash, one per job. The mail is
// essential to the account, so it has no unsubscribe link.
type verificationWorker struct {
	river.WorkerDefaults[domain.EmailVerificationRequested]
	o Options
}

func (w *verificationWorker) Work(ctx context.Context, job *river.Job[domain.EmailVerificationRequested]) error {
	token, hash, err := auth.NewRefreshToken()
	if err != nil {
		return err
	}
	u, ok, err := w.o.Store.IssueEmailVerification(ctx, job.Args.UserID, hash, job.ID, w.o.Verifications)
	if err != nil || !ok {
		return err
	}
	return w.o.Mail.Send(ctx, mail.Message{To: u.Email, Template: "verify_email", Data: map[string]string{
		"FirstName": u.FirstName,
		"VerifyURL": link(w.o.LinkBase, "/verify-email?token=", token),
		"ValidFor":  humanDuration(w.o.Verifications.ValidFor),
	}})
}
