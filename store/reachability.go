package store

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hiremebahamas/api/domain"
)

// trialInterval is how often a query may try the database while it is
// taken to be down.
const trialInterval = time.Second

// reachability is whether the database is taken to be down. Directly, a
// lost database fails each query at once. Through a transaction-mode
// pooler it does not: the pooler keeps its clients' connections and makes
// each query wait in its queue for a server connection, for as long as the
// outage lasts (PgBouncer's query_wait_timeout, two minutes by default).
// So WatchJobs, whose own session notices the loss within moments, says
// when the database cannot be reached. The queries waiting then are cut
// off, and new ones fail at once, with DATABASE_UNAVAILABLE, but for one a
// second, which tries. The first query that is answered, or the watch
// reaching the database again, ends it.
type reachability struct {
	log       *slog.Logger
	down      atomic.Bool
	lastTrial atomic.Int64 // unix nanoseconds
	// reached ends when the database is found unreachable, cutting off the
	// queries bound to it; each outage starts a new one.
	reached atomic.Pointer[reachedCtx]
}

type reachedCtx struct {
	ctx context.Context
	end context.CancelFunc
}

func newReachability(log *slog.Logger) *reachability {
	r := &reachability{log: log}
	r.renew()
	return r
}

// renew starts a new reached context and returns the one it replaces.
func (r *reachability) renew() *reachedCtx {
	ctx, end := context.WithCancel(context.Background())
	return r.reached.Swap(&reachedCtx{ctx: ctx, end: end})
}

// lost marks the database down, for the reason given.
func (r *reachability) lost(reason string) {
	if !r.down.Swap(true) {
		r.lastTrial.Store(time.Now().UnixNano())
		r.renew().end()
		r.log.Warn("the database cannot be reached: data requests fail at once until it answers, trying once a second", "reason", reason)
	}
}

// found marks the database up again.
func (r *reachability) found() {
	if r.down.Swap(false) {
		r.log.Info("the database answers again")
	}
}

// admit lets a query go ahead, or fails it while the database is down and
// another query tried within trialInterval.
func (r *reachability) admit() error {
	if !r.down.Load() {
		return nil
	}
	last := r.lastTrial.Load()
	if time.Since(time.Unix(0, last)) < trialInterval || !r.lastTrial.CompareAndSwap(last, time.Now().UnixNano()) {
		return domain.Errorf(domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")
	}
	return nil
}

// binding ties one query's context to the database being reached.
type binding struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	stop   func() bool
	cut    atomic.Bool
}

// bind returns a context for one query that ends, besides with ctx, when
// the database is found unreachable. Call done when the query is over.
func (r *reachability) bind(ctx context.Context) *binding {
	b := &binding{parent: ctx}
	b.ctx, b.cancel = context.WithCancel(ctx)
	b.stop = context.AfterFunc(r.reached.Load().ctx, func() {
		b.cut.Store(true)
		b.cancel()
	})
	return b
}

// done releases the query's context; err is its outcome, which comes back
// as DATABASE_UNAVAILABLE if the query was cut off.
func (b *binding) done(err error) error {
	b.stop()
	b.cancel()
	return b.outcome(err)
}

// outcome is err, or DATABASE_UNAVAILABLE if the query was cut off.
func (b *binding) outcome(err error) error {
	if err != nil && b.cut.Load() && b.parent.Err() == nil {
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")
	}
	return err
}

// answered ends the outage if a query got an answer from the database.
func (r *reachability) answered(err error) {
	if r.down.Load() && (err == nil || !unavailable(err)) {
		r.found()
	}
}

// unavailable reports whether err says the database is unavailable or did
// not answer in time, rather than that it refused a query.
func unavailable(err error) bool {
	var de *domain.Error
	if !errors.As(interpretError(err), &de) {
		return false
	}
	return de.Reason == "DATABASE_UNAVAILABLE" || de.Reason == "DATABASE_TIMEOUT"
}

// unreachable reports whether err says the database could not be reached
// at all: no server answered, not even with an error (one that ends a
// session, as an administrator may, or says it is shutting down, says the
// server is there).
func unreachable(err error) bool {
	var pgErr *pgconn.PgError
	return err != nil && !errors.As(err, &pgErr) && unavailable(err)
}

// gatedPool is the pool as the queries see it: each goes through
// reachability.
type gatedPool struct {
	pool *pgxpool.Pool
	r    *reachability
}

func (g gatedPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := g.r.admit(); err != nil {
		return pgconn.CommandTag{}, err
	}
	b := g.r.bind(ctx)
	tag, err := g.pool.Exec(b.ctx, sql, args...)
	err = b.done(err)
	g.r.answered(err)
	return tag, err
}

func (g gatedPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := g.r.admit(); err != nil {
		return nil, err
	}
	b := g.r.bind(ctx)
	rows, err := g.pool.Query(b.ctx, sql, args...)
	if err != nil {
		err = b.done(err)
		g.r.answered(err)
		return nil, err
	}
	return &boundRows{Rows: rows, b: b, r: g.r}, nil
}

func (g gatedPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := g.r.admit(); err != nil {
		return errRow{err}
	}
	b := g.r.bind(ctx)
	return boundRow{g.pool.QueryRow(b.ctx, sql, args...), b, g.r}
}

// Begin binds only the BEGIN, which is where a pooler makes a transaction
// wait for a server connection; the statements after it have one.
func (g gatedPool) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := g.r.admit(); err != nil {
		return nil, err
	}
	b := g.r.bind(ctx)
	tx, err := g.pool.BeginTx(b.ctx, pgx.TxOptions{})
	err = b.done(err)
	g.r.answered(err)
	return tx, err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type boundRow struct {
	pgx.Row
	b *binding
	r *reachability
}

func (row boundRow) Scan(dest ...any) error {
	err := row.b.done(row.Row.Scan(dest...))
	row.r.answered(err)
	return err
}

// boundRows releases its binding when closed; its error says whether it was
// cut off.
type boundRows struct {
	pgx.Rows
	b      *binding
	r      *reachability
	closed bool
}

func (rows *boundRows) Close() {
	if !rows.closed {
		rows.closed = true
		rows.Rows.Close()
		rows.r.answered(rows.b.done(rows.Rows.Err()))
	}
}

func (rows *boundRows) Err() error { return rows.b.outcome(rows.Rows.Err()) }
