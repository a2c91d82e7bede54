package service_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/internal/mailtest"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// withMail starts the service with its mail going to a Mailpit of its own,
// and its metrics on an admin port.
func withMail(t *testing.T) (*servertest.Service, *mailtest.Mailpit, string) {
	t.Helper()
	return withMailConfig(t, func(*config.Config) {})
}

// withMailConfig is withMail with further settings.
func withMailConfig(t *testing.T, edit func(*config.Config)) (*servertest.Service, *mailtest.Mailpit, string) {
	t.Helper()
	mp := mailtest.Start(t)
	url := pgtest.NewDatabase(t)
	cfg := servertest.Config(url)
	cfg.SMTPURL, cfg.MailFrom, cfg.MetricsAddr, cfg.Workers = mp.SMTPURL(), config.DevMailFrom, "127.0.0.1:0", 2
	edit(&cfg)
	return servertest.Start(t, cfg), mp, url
}

// mailsTo returns the messages Mailpit holds for to.
func mailsTo(t *testing.T, mp *mailtest.Mailpit, to string) []mailtest.Received {
	t.Helper()
	var out []mailtest.Received
	for _, m := range mp.Messages(t) {
		for _, a := range m.To {
			if strings.EqualFold(a, to) {
				out = append(out, m)
			}
		}
	}
	return out
}

var verifyLink = regexp.MustCompile(`https?://[^\s"<>]+/verify-email\?token=([A-Za-z0-9_-]{43})`)

// waitForLink waits for a mail to to whose text has a link that link
// matches, and returns the mail and the link's token. Every account gets a
// verification mail at sign-up, so a test waiting for another mail names
// the link it wants.
func waitForLink(t *testing.T, mp *mailtest.Mailpit, to string, link *regexp.Regexp) (mailtest.Received, string) {
	t.Helper()
	var found mailtest.Received
	var token string
	servertest.Eventually(t, 60*time.Second, "a mail to "+to+" with a link like "+link.String(), func() bool {
		for _, m := range mailsTo(t, mp, to) {
			if sub := link.FindStringSubmatch(m.Text); sub != nil {
				found, token = m, sub[1]
				return true
			}
		}
		return false
	})
	return found, token
}

// withoutVerification leaves out the verification mails of a list.
func withoutVerification(list []mailtest.Received) []mailtest.Received {
	var out []mailtest.Received
	for _, m := range list {
		if !verifyLink.MatchString(m.Text) {
			out = append(out, m)
		}
	}
	return out
}
