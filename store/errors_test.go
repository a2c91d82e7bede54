package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hiremebahamas/api/domain"
)

func TestInterpretError(t *testing.T) {
	plain := errors.New("something odd")
	for _, tc := range []struct {
		name       string
		err        error
		wantKind   error
		wantReason string
	}{
		{"no rows", pgx.ErrNoRows, domain.ErrNotFound, "NOT_FOUND"},
		{"wrapped no rows", fmt.Errorf("get user: %w", pgx.ErrNoRows), domain.ErrNotFound, "NOT_FOUND"},
		{"unique violation", &pgconn.PgError{Code: "23505"}, domain.ErrAlreadyExists, "ALREADY_EXISTS"},
		{"foreign key violation", &pgconn.PgError{Code: "23503"}, domain.ErrFailedPrecondition, "REFERENCE_MISSING"},
		{"check violation", &pgconn.PgError{Code: "23514"}, domain.ErrInvalid, "INVALID_VALUE"},
		{"character not in repertoire", &pgconn.PgError{Code: "22021"}, domain.ErrInvalid, "INVALID_VALUE"},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, domain.ErrAborted, "CONCURRENT_UPDATE"},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, domain.ErrDeadlineExceeded, "DATABASE_TIMEOUT"},
		{"read-only standby", &pgconn.PgError{Code: "25006"}, domain.ErrUnavailable, "DATABASE_READ_ONLY"},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, domain.ErrUnavailable, "DATABASE_UNAVAILABLE"},
		{"too many connections", &pgconn.PgError{Code: "53300"}, domain.ErrUnavailable, "DATABASE_UNAVAILABLE"},
		{"connection exception class", &pgconn.PgError{Code: "08006"}, domain.ErrUnavailable, "DATABASE_UNAVAILABLE"},
		{"connection dropped", io.ErrUnexpectedEOF, domain.ErrUnavailable, "DATABASE_UNAVAILABLE"},
		// What PostgreSQL answers cached statements behind a transaction
		// pooler, and describe_exec's statements.
		{"statement prepared twice", &pgconn.PgError{Code: "42P05", Message: `prepared statement "stmtcache_1f" already exists`},
			domain.ErrUnavailable, "DATABASE_POOLER_MISMATCH"},
		{"statement missing", &pgconn.PgError{Code: "26000", Message: `prepared statement "stmtcache_1f" does not exist`},
			domain.ErrUnavailable, "DATABASE_POOLER_MISMATCH"},
		{"unnamed statement replaced", &pgconn.PgError{Code: "08P01", Message: `bind message supplies 2 parameters, but prepared statement "" requires 0`},
			domain.ErrUnavailable, "DATABASE_POOLER_MISMATCH"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), domain.ErrDeadlineExceeded, "DATABASE_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := interpretError(tc.err)
			var de *domain.Error
			if !errors.As(got, &de) {
				t.Fatalf("interpretError(%v) = %v; want a *domain.Error", tc.err, got)
			}
			if !errors.Is(got, tc.wantKind) || de.Reason != tc.wantReason {
				t.Errorf("kind %v reason %s; want %v %s", de.Kind, de.Reason, tc.wantKind, tc.wantReason)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("the cause %v is lost", tc.err)
			}
		})
	}

	// Errors the store cannot name pass through unchanged and become Internal
	// upstream; so do cancellations, which are the caller's own doing.
	for _, err := range []error{plain, &pgconn.PgError{Code: "42601"}, context.Canceled} {
		if got := interpretError(err); got != err {
			t.Errorf("interpretError(%v) = %v; want it unchanged", err, got)
		}
	}
	if interpretError(nil) != nil {
		t.Error("interpretError(nil) is not nil")
	}
}
