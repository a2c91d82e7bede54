package store

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// execModes chooses how queries run when DATABASE_URL names no
// default_query_exec_mode. Named cached statements are parsed and planned
// once per connection, which makes a database round trip markedly cheaper,
// but a transaction-mode pooler loses them between transactions. So the
// pool starts with cached descriptions over unnamed statements, safe
// anywhere, and moves to named statements once a probe has shown that
// DATABASE_URL reaches PostgreSQL directly (or through a session-mode
// pooler, which keeps them too). Should a pooler get past the probe, the
// first statement it loses moves the pool back for good.
type execModes struct {
	log     *slog.Logger
	current atomic.Int32 // a pgx.QueryExecMode
	probed  atomic.Bool
	// backAt is when the pool last moved back to unnamed statements (unix
	// nanoseconds; 0: never): connections made before it may still fail.
	backAt atomic.Int64
}

func newExecModes(log *slog.Logger) *execModes {
	m := &execModes{log: log}
	m.current.Store(int32(pgx.QueryExecModeCacheDescribe))
	return m
}

// mode is the exec mode for a new connection.
func (m *execModes) mode() pgx.QueryExecMode { return pgx.QueryExecMode(m.current.Load()) }

// named reports whether connections use named prepared statements.
func (m *execModes) named() bool { return m.mode() == pgx.QueryExecModeCacheStatement }

// beforeConnect is the pool's BeforeConnect: every new connection takes the
// current mode.
func (m *execModes) beforeConnect(_ context.Context, cc *pgx.ConnConfig) error {
	cc.DefaultQueryExecMode = m.mode()
	return nil
}

// prepareConn is the pool's PrepareConn: a connection made in another mode
// is replaced as it is next taken from the pool, rather than all at once,
// so that a change of mode never leaves the pool empty.
func (m *execModes) prepareConn(_ context.Context, c *pgx.Conn) (bool, error) {
	return c.Config().DefaultQueryExecMode == m.mode(), nil
}

// choose probes DATABASE_URL once and moves to named statements if it is
// direct. A failed probe keeps the safe mode and is tried again on the next
// call.
func (m *execModes) choose(ctx context.Context, cc *pgx.ConnConfig) {
	if m.probed.Load() {
		return
	}
	pooled, err := probePooler(ctx, cc)
	if err != nil {
		m.log.Debug("could not tell whether DATABASE_URL leads through a pooler; keeping unnamed statements", "error", describe(err))
		return
	}
	m.probed.Store(true)
	if pooled {
		m.log.Info("DATABASE_URL leads through a transaction-mode pooler: queries use unnamed statements (cached descriptions)")
		return
	}
	if m.current.CompareAndSwap(int32(pgx.QueryExecModeCacheDescribe), int32(pgx.QueryExecModeCacheStatement)) {
		m.log.Info("DATABASE_URL reaches the database directly: queries use named cached statements")
	}
}

// replaceWithin is how long after moving back to unnamed statements a
// mismatch is put down to a connection made before the move.
const replaceWithin = 30 * time.Second

// lost is called when PostgreSQL refused a statement in a way only a
// transaction-mode pooler causes. It moves the pool back to unnamed
// statements and reports whether that puts the cause right: it does, unless
// the pool had moved back long enough ago that its connections have all
// been replaced.
func (m *execModes) lost() bool {
	if !m.current.CompareAndSwap(int32(pgx.QueryExecModeCacheStatement), int32(pgx.QueryExecModeCacheDescribe)) {
		back := m.backAt.Load()
		return back != 0 && time.Since(time.Unix(0, back)) < replaceWithin
	}
	m.backAt.Store(time.Now().UnixNano())
	m.log.Warn("DATABASE_URL leads through a transaction-mode pooler after all: queries now use unnamed statements (cached descriptions)",
		"reason", "DATABASE_POOLER_MISMATCH")
	return true
}

// poolerProbeTimeout bounds each of the probe's queries. A pooler with one server
// connection makes the first client wait for the second's transaction: a
// timeout is an answer too.
const poolerProbeTimeout = 3 * time.Second

// probePooler reports whether cc leads through a pooler that hands each
// transaction to whichever server connection is free. A direct connection
// keeps its server process for life: its backend pid never changes, and no
// other connection has it. So: the first client reads its pid; the second,
// inside a transaction, reads its own (a pooler gives it a free server
// connection, most likely the one the first just released); the first reads
// again while the second still holds its server. Any pid shared or changed
// means a pooler, and a direct connection can show neither; a pooler can
// escape notice only if it hands out server connections in an order that
// avoids both, three times over.
func probePooler(ctx context.Context, cc *pgx.ConnConfig) (bool, error) {
	cc = cc.Copy()
	cc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cc.OnPgError = nil
	first, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return false, err
	}
	defer first.Close(context.Background())
	second, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return false, err
	}
	defer second.Close(context.Background())

	pid := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) (int32, error) {
		ctx, cancel := context.WithTimeout(ctx, poolerProbeTimeout)
		defer cancel()
		var p int32
		err := q.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&p)
		return p, err
	}
	for range 3 {
		before, err := pid(first)
		if err != nil {
			return false, err
		}
		tx, err := second.Begin(ctx)
		if err != nil {
			return false, err
		}
		other, err := pid(tx)
		if err != nil {
			_ = tx.Rollback(context.Background())
			return false, err
		}
		after, err := pid(first)
		_ = tx.Rollback(context.Background())
		switch {
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			return true, nil // the first waited for the second's server
		case err != nil:
			return false, err
		case other == before || after != before:
			return true, nil
		}
	}
	return false, nil
}
