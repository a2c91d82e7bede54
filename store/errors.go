package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/time/rate"

	"github.com/hiremebahamas/api/domain"
)

// interpretError turns driver errors into domain errors, so that no caller
// outside this package needs to know about pgx or SQLSTATE codes. Errors it
// does not recognise are returned unchanged and end up as Internal.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Wrap(err, domain.ErrNotFound, "NOT_FOUND", "not found")
	}
	// The caller's own deadline or cancellation wins over whatever the driver
	// made of it.
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return domain.Wrap(err, domain.ErrDeadlineExceeded, "DATABASE_TIMEOUT", "the database did not answer in time")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return interpretPgError(err, pgErr)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")
	}
	return err
}

// interpretPgError maps a server-reported error by its SQLSTATE.
func interpretPgError(err error, pgErr *pgconn.PgError) error {
	if poolerMismatch(pgErr) {
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_POOLER_MISMATCH", poolerMismatchMessage)
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return domain.Wrap(err, domain.ErrAlreadyExists, "ALREADY_EXISTS", "already exists")
	case "23503": // foreign_key_violation
		return domain.Wrap(err, domain.ErrFailedPrecondition, "REFERENCE_MISSING", "a referenced record does not exist")
	case "23514", "23502", "22001", "22P02", "22021": // check, not null, too long, bad text representation, bad character (NUL)
		return domain.Wrap(err, domain.ErrInvalid, "INVALID_VALUE", "a value is not acceptable")
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return domain.Wrap(err, domain.ErrAborted, "CONCURRENT_UPDATE", "a concurrent update interfered; retry")
	case "57014": // query_canceled, by statement_timeout
		return domain.Wrap(err, domain.ErrDeadlineExceeded, "DATABASE_TIMEOUT", "the database did not answer in time")
	case "25006": // read_only_sql_transaction
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_READ_ONLY", "the database is a read-only standby")
	case "53300", "57P01", "57P02", "57P03": // too many connections, shutting down, cannot connect now
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")
	}
	if len(pgErr.Code) == 5 && pgErr.Code[:2] == "08" { // connection exceptions
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")
	}
	return err
}

// poolerMismatchMessage tells clients what failed, without the settings.
const poolerMismatchMessage = "the database connection pooler does not suit the service's database settings"

// poolerMismatch reports whether PostgreSQL refused a statement because the
// connection reuses prepared statements that a transaction-mode pooler
// (PgBouncer and the like) lost or mixed up between server connections: a
// named statement prepared twice or missing (default_query_exec_mode
// cache_statement), or an unnamed one that another client replaced between
// describing and running it (describe_exec). The service runs no PREPARE of
// its own, so these codes mean nothing else here. PgBouncer 1.18 passes the
// statements through and adds no error of its own.
func poolerMismatch(pgErr *pgconn.PgError) bool {
	switch pgErr.Code {
	case "42P05", "26000": // duplicate_prepared_statement, invalid_sql_statement_name
		return true
	case "08P01": // protocol_violation, which PgBouncer also uses for its own errors
		return strings.HasPrefix(pgErr.Message, "bind message supplies")
	}
	return false
}

// poolerMismatchInterval is how often a pooler mismatch is logged, and how
// long after the last one the database check still reports it: each request
// it fails is logged anyway, and one line says what to change.
const poolerMismatchInterval = time.Minute

// poolerMismatches notices pooler mismatches on every connection, says at
// most once per poolerMismatchInterval how to fix DATABASE_URL, and keeps
// when the last one happened.
type poolerMismatches struct {
	log   *slog.Logger
	every rate.Sometimes
	last  atomic.Int64 // unix nanoseconds; 0: never
	// healed, when set, is told of each mismatch and reports whether it
	// has put the cause right, so that there is nothing to fix.
	healed func() bool
}

func newPoolerMismatches(log *slog.Logger) *poolerMismatches {
	return &poolerMismatches{log: log, every: rate.Sometimes{Interval: poolerMismatchInterval}}
}

// onPgError is the connections' pgconn.Config.OnPgError. Besides noticing
// mismatches it does what pgx does by default: close the connection after a
// FATAL error.
func (m *poolerMismatches) onPgError(_ *pgconn.PgConn, pgErr *pgconn.PgError) bool {
	if poolerMismatch(pgErr) && (m.healed == nil || !m.healed()) {
		m.last.Store(time.Now().UnixNano())
		m.every.Do(func() {
			m.log.Error("the database connection goes through a transaction-mode pooler that cannot keep prepared statements: "+
				"remove default_query_exec_mode=cache_statement (or describe_exec) from DATABASE_URL, "+
				"or point DATABASE_URL at a session-mode pooler or straight at the database",
				"reason", "DATABASE_POOLER_MISMATCH", "sqlstate", pgErr.Code, "error", pgErr.Message)
		})
	}
	return !strings.EqualFold(pgErr.Severity, "FATAL")
}

// recent reports whether a mismatch happened within poolerMismatchInterval.
func (m *poolerMismatches) recent() bool {
	last := m.last.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < poolerMismatchInterval
}
