package store

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
