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
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// Options configures the pool. DatabaseURL may carry any libpq or pgx
// parameter (sslmode=require, default_query_exec_mode=simple_protocol for
// PgBouncer in transaction mode, and so on); the pool sizes here override
// pool_min_conns and pool_max_conns in it.
type Options struct {
	DatabaseURL    string
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

	// schemaVersion is the newest schema version seen applied, or 0; once it
	// reaches LatestSchemaVersion it is not checked again.
	schemaVersion atomic.Int64
}

// Open creates the pool without waiting for the database: connections are
// made on demand and by the pool's background upkeep, so a database that is
// down at start-up delays readiness, not start-up.
func Open(opts Options, log *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(opts.DatabaseURL)
	if err != nil {
		// pgx echoes the URL, password included, in some parse errors.
		return nil, errors.New("DATABASE_URL: cannot be parsed as a PostgreSQL connection string")
	}
	cfg.MinConns = int32(opts.MinConns)
	cfg.MaxConns = int32(opts.MaxConns)
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > opts.ConnectTimeout {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
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
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "hiremebahamas"
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	return &Store{pool: pool, queries: db.New(pool), log: log}, nil
}

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
// read-only or behind this build's migrations.
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
	if !s.SchemaCurrent() {
		if err := s.checkSchema(ctx); err != nil {
			return Health{}, err
		}
	}
	return Health{Latency: latency, SchemaVersion: s.schemaVersion.Load()}, nil
}

// SchemaCurrent reports whether the schema has been seen at the version this
// build expects.
func (s *Store) SchemaCurrent() bool { return s.schemaVersion.Load() >= LatestSchemaVersion() }

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
			err = s.Migrate(ctx)
		}
		if err == nil {
			err = s.checkSchema(ctx)
		}
		if err == nil {
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
