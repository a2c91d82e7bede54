package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/queue"
	"github.com/hiremebahamas/api/server/telemetry"
	"github.com/hiremebahamas/api/store"
)

// Password-reset links work once, for resetValidFor, and an account gets at
// most resetsPerHour of them an hour.
const (
	resetValidFor = 30 * time.Minute
	resetsPerHour = 3
)

// Email-verification links work once, for verifyValidFor, and an account
// gets at most verificationsPerHour of them an hour, the one mailed at
// registration included.
const (
	verifyValidFor       = 24 * time.Hour
	verificationsPerHour = 3
)

// noticeDelay is the period whose applications to an employer's jobs share
// one notice: long enough for a burst, short enough to be news.
const noticeDelay = 2 * time.Minute

// newQueue builds the background-job queue over st, working cfg.Workers
// jobs at once, and makes it the store's outbox. It listens for new jobs
// over DATABASE_DIRECT_URL when there is one, and polls otherwise: LISTEN
// does not pass a transaction pooler. release closes what it opened.
func newQueue(ctx context.Context, cfg config.Config, st *store.Store, m *telemetry.Metrics, links *auth.LinkSigner, log *slog.Logger) (q *queue.Queue, release func(), err error) {
	pool, own, err := st.QueuePool(ctx, cfg.Workers)
	if err != nil {
		return nil, nil, err
	}
	release = func() {}
	if own {
		release = pool.Close
	}
	mailer, err := newMailer(cfg, log)
	if err != nil {
		release()
		return nil, nil, err
	}
	q, err = queue.New(queue.Options{
		Pool: pool, PollOnly: !own, Workers: cfg.Workers, JobTimeout: cfg.JobTimeout, Store: st, Mail: mailer, LinkBase: frontendBase(cfg),
		Resets: store.ResetLimits{ValidFor: resetValidFor, Within: time.Hour, MaxLinks: resetsPerHour}, Log: log,
		Verifications: store.ResetLimits{ValidFor: verifyValidFor, Within: time.Hour, MaxLinks: verificationsPerHour},
		APIBase:       apiBase(cfg), Links: links, NoticeDelay: noticeDelay,
	})
	if err == nil {
		err = m.Register(q.Collectors()...)
	}
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("the job queue: %w", err)
	}
	st.SetOutbox(q)
	how := "listens for new jobs over DATABASE_DIRECT_URL"
	if !own {
		how = "polls for new jobs every second (no DATABASE_DIRECT_URL, and LISTEN does not pass a transaction pooler)"
	}
	log.Info("job queue: "+how, "workers", cfg.Workers)
	return q, release, nil
}

// frontendBase is where links in mail point: the frontend, or in
// development without one, the local dev server.
func frontendBase(cfg config.Config) string {
	if cfg.FrontendURL != "" {
		return cfg.FrontendURL
	}
	return "http://localhost:3000"
}

// apiBase is where links in mail that must reach the API point: API_URL,
// or in development without one, this machine's PORT.
func apiBase(cfg config.Config) string {
	if cfg.APIURL != "" {
		return cfg.APIURL
	}
	return "http://localhost:" + strconv.Itoa(cmp.Or(cfg.Port, config.DefaultPort))
}
