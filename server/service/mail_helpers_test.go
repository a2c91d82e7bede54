package service_test

import (
	"strings"
	"testing"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/internal/mailtest"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// withMail starts the service with its mail going to a Mailpit of its own,
// and its metrics on an admin port.
func withMail(t *testing.T) (*servertest.Service, *mailtest.Mailpit, string) {
	t.Helper()
	mp := mailtest.Start(t)
	url := pgtest.NewDatabase(t)
	cfg := servertest.Config(url)
	cfg.SMTPURL, cfg.MailFrom, cfg.MetricsAddr, cfg.Workers = mp.SMTPURL(), config.DevMailFrom, "127.0.0.1:0", 2
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
