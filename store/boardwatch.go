package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/hiremebahamas/api/gen/db"
)

// boardChannel is where the database announces writes to jobs (migration
// 00005): "<changes>:<ids>", changes being the count in board_changes after
// the write.
const boardChannel = "board_changes"

// Timings of WatchJobs.
const (
	// pollInterval is how often the count of changes is read where LISTEN
	// is not available: one primary-key read, a fraction of a millisecond.
	pollInterval = 250 * time.Millisecond
	// probeTimeout is how long a new listener waits to hear a notification
	// sent from another session before concluding that it never will.
	probeTimeout = 3 * time.Second
	// listenCheck is how long a listener waits in silence before reading
	// the count on its own connection: a connection that died unnoticed
	// fails that read, and a change it was not told of shows.
	listenCheck = 30 * time.Second
	// readTimeout bounds a read of the count, a primary-key read: one
	// that takes longer is a database, or a pooler in front of it, that
	// does not answer.
	readTimeout = 2 * time.Second
	// Reconnection backoff, doubling from the first to the last.
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 10 * time.Second
)

// WatchOptions say how WatchJobs learns of writes.
type WatchOptions struct {
	// ListenURL is a database URL to LISTEN on: a session of its own, which
	// a transaction-mode pooler does not give. Empty: poll only.
	ListenURL string
	// ListenVia names the setting ListenURL came from, for logs.
	ListenVia      string
	ConnectTimeout time.Duration
}

// errNotDelivered is a listener that did not hear a notification sent to
// it: LISTEN went through a pooler that does not keep the session.
var errNotDelivered = errors.New("a notification sent from another session did not arrive")

// WatchJobs calls changed after every write to jobs that commits, whoever
// made it, with the ids of the jobs written, or with nil when any job may
// have changed (a statement that wrote many, or writes that may have been
// missed). The first call, once it knows where the count stands, is nil. It
// returns when ctx ends; changed is never called after that.
//
// It listens on opts.ListenURL when a notification sent through the pool
// reaches the listener there, and otherwise reads the count of changes
// every pollInterval through the pool. A lost listener is replaced with
// backoff, the count polled meanwhile; writes it was not told of show as a
// jump in the count.
func (s *Store) WatchJobs(ctx context.Context, opts WatchOptions, changed func(ids []string)) {
	w := &boardWatch{store: s, opts: opts, changed: changed, log: s.log.With("component", "board-watch")}
	w.run(ctx)
}

type boardWatch struct {
	store   *Store
	opts    WatchOptions
	changed func(ids []string)
	log     *slog.Logger

	last  int64 // the count as last seen
	known bool  // whether last has been seen at all
	// verified is set once a listener on ListenURL heard the probe.
	verified bool
}

func (w *boardWatch) run(ctx context.Context) {
	if w.opts.ListenURL == "" {
		w.log.Info("board cache invalidation: polling", "interval", pollInterval, "reason", "CACHE_INVALIDATION=poll")
		w.poll(ctx)
		return
	}
	cfg, err := w.listenConfig()
	if err != nil {
		w.log.Warn("board cache invalidation: polling", "interval", pollInterval, "reason", err.Error())
		w.poll(ctx)
		return
	}
	backoff := listenBackoffMin
	var lastReason string
	for ctx.Err() == nil {
		err := w.listen(ctx, cfg, func() {
			backoff, lastReason = listenBackoffMin, ""
		})
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNotDelivered) {
			w.log.Warn("board cache invalidation: polling", "interval", pollInterval,
				"reason", "LISTEN on "+w.opts.ListenVia+" never delivers (a transaction-mode pooler?); set DATABASE_DIRECT_URL to the database's direct URL")
			w.poll(ctx)
			return
		}
		if reason := describe(err); reason != lastReason {
			w.log.Warn("board cache listener unavailable; polling until it is back", "via", w.opts.ListenVia, "reason", reason)
			lastReason = reason
		}
		waitCtx, cancel := context.WithTimeout(ctx, backoff)
		w.poll(waitCtx)
		cancel()
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listenConfig is the listener's connection: interrupted by deadlines
// rather than cancel requests, so that waiting for a notification can time
// out and the session go on.
func (w *boardWatch) listenConfig() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(w.opts.ListenURL)
	if err != nil {
		// pgx echoes the URL, password included, in some parse errors.
		return nil, fmt.Errorf("%s: cannot be parsed as a PostgreSQL connection string", w.opts.ListenVia)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > w.opts.ConnectTimeout {
		cfg.ConnectTimeout = w.opts.ConnectTimeout
	}
	name := cfg.RuntimeParams["application_name"]
	if name == "" {
		name = "hiremebahamas"
	}
	cfg.RuntimeParams["application_name"] = name + "-listener"
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	return cfg, nil
}

// listen opens a listener and handles its notifications until it fails or
// ctx ends; up is called once it hears everything.
func (w *boardWatch) listen(ctx context.Context, cfg *pgx.ConnConfig, up func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		// A session that ended says little (an administrator may have
		// ended it); one that cannot be opened again says the database is
		// out of reach.
		if unreachable(err) && ctx.Err() == nil {
			w.store.reach.lost(describe(err))
		}
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+boardChannel); err != nil {
		return err
	}
	if !w.verified {
		if err := w.probe(ctx, conn); err != nil {
			return err
		}
		w.verified = true
	}
	// Listening already, so nothing that commits from here on goes unheard;
	// what committed before shows in the count.
	if err := w.readCount(ctx, db.New(conn)); err != nil {
		return err
	}
	w.log.Info("board cache invalidation: listening", "via", w.opts.ListenVia)
	w.store.reach.found()
	up()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenCheck)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			w.heard(n.Payload)
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			if err := w.readCount(ctx, db.New(conn)); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// probe proves that conn hears what other sessions send: a notification
// sent through the pool must arrive within probeTimeout.
func (w *boardWatch) probe(ctx context.Context, conn *pgx.Conn) error {
	token := "probe:" + rand.Text()
	if err := w.store.queries.NotifyBoard(ctx, token); err != nil {
		return err
	}
	deadline, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	for {
		n, err := conn.WaitForNotification(deadline)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			return errNotDelivered
		case err != nil:
			return err
		case n.Payload == token:
			return nil
		}
	}
}

// heard acts on one notification. Others' probes are not changes.
func (w *boardWatch) heard(payload string) {
	count, ids, ok := strings.Cut(payload, ":")
	n, err := strconv.ParseInt(count, 10, 64)
	if !ok || err != nil {
		return
	}
	var written []string
	if ids != "" {
		written = strings.Split(ids, ",")
	}
	w.advance(n, written)
}

// poll reads the count every pollInterval until ctx ends. A read that
// cannot reach the database, or gets no answer in time, marks it down; one
// that is answered, up. Failures are otherwise retried quietly: the
// listener's loop, or the pool, reports the outage.
func (w *boardWatch) poll(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		switch err := w.readCount(ctx, w.store.queries); {
		case err == nil:
			w.store.reach.found()
		case unreachable(err) && ctx.Err() == nil:
			w.store.reach.lost(describe(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readCount reads the count through q and acts on what it says.
func (w *boardWatch) readCount(ctx context.Context, q *db.Queries) error {
	readCtx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	r, err := q.BoardChanges(readCtx)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var written []string
	if r.LastJob.Valid {
		written = []string{uuidString(r.LastJob)}
	}
	w.advance(r.Changes, written)
	return nil
}

// advance moves the count seen to n, written being what the n-th change
// wrote (nil: unknown), and reports what may have changed since the count
// was last seen: those jobs if n is the next change, anything otherwise.
func (w *boardWatch) advance(n int64, written []string) {
	switch {
	case w.known && n == w.last:
		return
	case w.known && n == w.last+1 && written != nil:
		w.changed(written)
	default:
		w.changed(nil)
	}
	w.last, w.known = n, true
}
