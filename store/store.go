// Package store is the only code that talks to PostgreSQL. It owns the
// connection pool, the schema migrations and the sqlc-generated queries, and
// hands the rest of the service domain values and domain errors, never driver
// types.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// Options configures the pool. DatabaseURL may carry any libpq or pgx
// parameter (sslmode=require and so on); the pool sizes here override
// pool_min_conns and pool_max_conns in it. Without a
// default_query_exec_mode in it, queries use no named prepared statements
// until the database is found to be reached directly (see execModes), so
// that the URL may lead through a transaction-mode pooler.
type Options struct {
	DatabaseURL string
	// DirectURL, when set, reaches the same database without a pooler in
	// between. Migrations use it: the session advisory lock that keeps two
	// instances from migrating at once cannot hold through a pooler that
	// hands each transaction to another server connection.
	DirectURL      string
	MinConns       int
	MaxConns       int
	ConnectTimeout time.Duration
	// TracerProvider, when set, traces every query as a child of the span
	// in its context.
	TracerProvider trace.TracerProvider
}

// Store wraps the pool. Its methods are safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	queries *db.Queries
	log     *slog.Logger
	// direct configures the connections for migrations; nil: the pool's.
	direct     *pgxpool.Config
	mismatches *poolerMismatches
	// exec chooses the exec mode of DATABASE_URL's connections; nil when
	// the URL names one.
	exec *execModes
	// reach is whether the database is taken to be down; db is the pool
	// behind it, which every query goes through.
	reach *reachability
	db    gatedPool

	// schemaVersion is the newest schema version seen applied, or 0; once it
	// reaches LatestSchemaVersion it is not checked again.
	schemaVersion atomic.Int64
	// queueCurrent is whether River's tables were last seen current.
	queueCurrent atomic.Bool
	// outbox inserts the background jobs of a change; nil until set.
	outbox Outbox
}

// Open creates the pool without waiting for the database: connections are
// made on demand and by the pool's background upkeep, so a database that is
// down at start-up delays readiness, not start-up.
func Open(opts Options, log *slog.Logger) (*Store, error) {
	mismatch := newPoolerMismatches(log)
	cfg, err := poolConfig(opts, "DATABASE_URL", opts.DatabaseURL, mismatch, log)
	if err != nil {
		return nil, err
	}
	s := &Store{log: log, mismatches: mismatch}
	if !setsExecMode(opts.DatabaseURL) {
		s.exec = newExecModes(log)
		cfg.BeforeConnect = s.exec.beforeConnect
		cfg.PrepareConn = s.exec.prepareConn
		mismatch.healed = s.exec.lost
	}
	if opts.DirectURL != "" {
		if s.direct, err = poolConfig(opts, "DATABASE_DIRECT_URL", opts.DirectURL, mismatch, log); err != nil {
			return nil, err
		}
		// Migrations hold one connection for the lock and use another.
		s.direct.MinConns, s.direct.MaxConns = 0, 2
	}
	if s.pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	s.reach = newReachability(log)
	s.db = gatedPool{pool: s.pool, r: s.reach}
	s.queries = db.New(s.db)
	return s, nil
}

// poolConfig parses one connection URL, named by setting in errors, and
// applies the options to it.
func poolConfig(opts Options, setting, connString string, mismatch *poolerMismatches, log *slog.Logger) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx echoes the URL, password included, in some parse errors.
		return nil, errors.New(setting + ": cannot be parsed as a PostgreSQL connection string")
	}
	cfg.MinConns = int32(opts.MinConns)
	cfg.MaxConns = int32(opts.MaxConns)
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > opts.ConnectTimeout {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	// Named prepared statements live in one server session, which a
	// transaction-mode pooler (PgBouncer, Neon's pooled URL) does not keep
	// from one transaction to the next. Cached descriptions with unnamed
	// statements still take one round trip per query and need no session.
	// What they cache is the parameter and result types: pgx drops a
	// description when its query fails, and migrations only add (a build
	// must run on the schema of the next), so a type never changes under a
	// query; after migrating, WaitReady resets the pool.
	if !setsExecMode(connString) {
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	cfg.ConnConfig.OnPgError = mismatch.onPgError
	// Notice the loss of the database within seconds rather than the default
	// minute, and replace connections before a proxy's idle timeout cuts them.
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.MaxConnLifetime = 30 * time.Minute
	cfg.MaxConnLifetimeJitter = time.Minute
	cfg.ConnConfig.DialFunc = breakingDialer(cfg.ConnConfig.DialFunc, log)
	if opts.TracerProvider != nil {
		cfg.ConnConfig.Tracer = queryTracer(opts.TracerProvider)
	}
	// PgBouncer passes application_name on; it refuses startup parameters it
	// does not know (see its ignore_startup_parameters).
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "hiremebahamas"
	}
	return cfg, nil
}

// setsExecMode reports whether a connection string, URL or keyword/value,
// chooses default_query_exec_mode itself.
func setsExecMode(connString string) bool {
	if u, err := url.Parse(connString); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has("default_query_exec_mode")
	}
	return execModeKeyword.MatchString(connString)
}

var execModeKeyword = regexp.MustCompile(`(^|\s)default_query_exec_mode\s*=`)

// Close waits for connections in use to be released, then closes them all.
func (s *Store) Close() { s.pool.Close() }

// PoolStats reports the pool's connection counts.
type PoolStats struct {
	Total, Acquired, Max int32
}

// Stats returns the pool's connection counts without touching the database.
func (s *Store) Stats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{Total: st.TotalConns(), Acquired: st.AcquiredConns(), Max: st.MaxConns()}
}

// Health is the outcome of a successful Check.
type Health struct {
	Latency       time.Duration
	SchemaVersion int64
}

// Check runs one query to prove the database answers and accepts writes, and
// confirms the schema version until it has once been seen current. It fails
// with domain.ErrUnavailable and a reason when the database is unreachable,
// read-only, behind this build's migrations, or reached through a pooler
// that the exec mode does not suit (DATABASE_POOLER_MISMATCH, for a minute
// after the last query it failed).
func (s *Store) Check(ctx context.Context) (Health, error) {
	start := time.Now()
	inRecovery, err := s.queries.InRecovery(ctx)
	latency := time.Since(start)
	if err != nil {
		return Health{}, interpretError(err)
	}
	if inRecovery {
		return Health{}, domain.Errorf(domain.ErrUnavailable, "DATABASE_READ_ONLY", "the database is a read-only standby")
	}
	// The check's own query may well get through; the requests that failed
	// say more.
	if s.mismatches.recent() {
		return Health{}, domain.Errorf(domain.ErrUnavailable, "DATABASE_POOLER_MISMATCH", poolerMismatchMessage)
	}
	if !s.SchemaCurrent() {
		if err := s.checkSchema(ctx); err != nil {
			return Health{}, err
		}
	}
	return Health{Latency: latency, SchemaVersion: s.schemaVersion.Load()}, nil
}

// SchemaCurrent reports whether the schema has been seen at the version this
// build expects.
func (s *Store) SchemaCurrent() bool {
	return s.schemaVersion.Load() >= LatestSchemaVersion() && s.queueCurrent.Load()
}

// EnsureSchema returns nil once the schema has been seen current, checking
// it now if it has not been yet: data requests are refused on an older
// schema, and the first ones after start-up need not wait for the
// background check.
func (s *Store) EnsureSchema(ctx context.Context) error {
	if s.SchemaCurrent() {
		return nil
	}
	return s.checkSchema(ctx)
}

// WaitReady pings the database with capped exponential backoff until it
// answers and its schema is current, or ctx ends. It logs the first failure
// and the recovery, not every attempt. If migrate is set, pending migrations
// are applied once the database answers.
func (s *Store) WaitReady(ctx context.Context, migrate bool) {
	const maxBackoff = 5 * time.Second
	backoff := 100 * time.Millisecond
	var lastReason string
	for {
		err := s.pool.Ping(ctx)
		if err == nil && migrate {
			if err = s.Migrate(ctx); err == nil {
				// No connection keeps a query description from before
				// the migration.
				s.pool.Reset()
			}
		}
		if err == nil {
			err = s.checkSchema(ctx)
		}
		if err == nil {
			if s.exec != nil {
				s.exec.choose(ctx, s.pool.Config().ConnConfig)
			}
			s.log.Info("database ready", "schema_version", s.schemaVersion.Load())
			return
		}
		if ctx.Err() != nil {
			return
		}
		reason := describe(err)
		if reason != lastReason {
			s.log.Warn("database not ready; retrying in the background", "reason", reason)
			lastReason = reason
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// describe renders err for logs without connection strings or passwords.
func describe(err error) string {
	var de *domain.Error
	if errors.As(interpretError(err), &de) {
		return de.Message
	}
	return err.Error()
}
