package queue

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/mail"
)

// resetRequestWorker mails a password-reset link to the account with the
// requested email, if there is an active one. The token is made here, on
// each attempt, so that the only copy is the one in the mail; the store
// keeps its hash, one per job.
type resetRequestWorker struct {
	river.WorkerDefaults[domain.PasswordResetRequested]
	o Options
}

func (w *resetRequestWorker) Work(ctx context.Context, job *river.Job[domain.PasswordResetRequested]) error {
	token, hash, err := auth.NewRefreshToken()
	if err != nil {
		return err
	}
	u, ok, err := w.o.Store.IssuePasswordReset(ctx, job.Args.Email, hash, job.ID, w.o.Resets)
	if err != nil || !ok {
		return err
	}
	return w.o.Mail.Send(ctx, mail.Message{To: u.Email, Template: "password_reset", Data: map[string]string{
		"FirstName": u.FirstName,
		"ResetURL":  link(w.o.LinkBase, "/reset-password?token=", token),
		"ValidFor":  humanDuration(w.o.Resets.ValidFor),
	}})
}

// passwordChangedWorker tells an account's owner that its password changed.
type passwordChangedWorker struct {
	river.WorkerDefaults[domain.PasswordChanged]
	o Options
}

func (w *passwordChangedWorker) Work(ctx context.Context, job *river.Job[domain.PasswordChanged]) error {
	u, err := w.o.Store.GetUser(ctx, job.Args.UserID)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil // the account is gone: nobody to tell
		}
		return err
	}
	return w.o.Mail.Send(ctx, mail.Message{To: u.Email, Template: "password_changed", Data: map[string]string{
		"FirstName": u.FirstName,
	}})
}

// purgeWorker deletes reset and verification tokens a day past their
// expiry.
type purgeWorker struct {
	river.WorkerDefaults[domain.PurgeSpentTokens]
	o Options
}

func (w *purgeWorker) Work(ctx context.Context, _ *river.Job[domain.PurgeSpentTokens]) error {
	n, err := w.o.Store.PurgePasswordResets(ctx, 24*time.Hour)
	if err == nil && n > 0 {
		w.o.Log.Info("spent password-reset tokens purged", "count", n)
	}
	if err != nil {
		return err
	}
	n, err = w.o.Store.PurgeEmailVerifications(ctx, 24*time.Hour)
	if err == nil && n > 0 {
		w.o.Log.Info("spent email-verification tokens purged", "count", n)
	}
	return err
}

// link joins the frontend's base URL, a path and a token.
func link(base, path, token string) string {
	return strings.TrimSuffix(base, "/") + path + token
}

// humanDuration says how long a link works, as a mail says it.
func humanDuration(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
