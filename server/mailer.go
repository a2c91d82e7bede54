package server

import (
	"context"
	"log/slog"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/mail"
)

// productName is the service's name in every mail.
const productName = "HireMeBahamas"

// newMailer delivers over SMTP_URL. Without it (development only:
// production requires it) mail is not sent, and the log says so, with no
// link or token in it.
func newMailer(cfg config.Config, log *slog.Logger) (mail.Sender, error) {
	if cfg.SMTPURL == "" {
		log.Warn("SMTP_URL is unset: mail is not sent (make run starts Mailpit and sets it)")
		return unsent{log}, nil
	}
	return mail.NewSMTP(mail.Options{URL: cfg.SMTPURL, From: cfg.MailFrom, ProductName: productName})
}

// unsent logs the mail it is given instead of sending it.
type unsent struct{ log *slog.Logger }

func (u unsent) Send(ctx context.Context, m mail.Message) error {
	u.log.InfoContext(ctx, "mail not sent: SMTP_URL is unset", "template", m.Template)
	return nil
}
