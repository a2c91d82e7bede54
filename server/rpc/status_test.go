package rpc

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/domain"
)

func TestToStatus(t *testing.T) {
	for _, tc := range []struct {
		name         string
		err          error
		wantCode     codes.Code
		wantReason   string
		wantMessage  string
		wantInternal bool
	}{
		{"invalid", domain.Errorf(domain.ErrInvalid, "EMAIL_INVALID", "email is not an address"), codes.InvalidArgument, "EMAIL_INVALID", "email is not an address", false},
		{"not found", domain.Errorf(domain.ErrNotFound, "JOB_NOT_FOUND", "no such job"), codes.NotFound, "JOB_NOT_FOUND", "no such job", false},
		{"already exists", domain.Errorf(domain.ErrAlreadyExists, "EMAIL_TAKEN", "taken"), codes.AlreadyExists, "EMAIL_TAKEN", "taken", false},
		{"failed precondition", domain.Errorf(domain.ErrFailedPrecondition, "JOB_CLOSED", "closed"), codes.FailedPrecondition, "JOB_CLOSED", "closed", false},
		{"aborted", domain.Errorf(domain.ErrAborted, "ETAG_MISMATCH", "changed"), codes.Aborted, "ETAG_MISMATCH", "changed", false},
		{"unauthenticated", domain.Errorf(domain.ErrUnauthenticated, "TOKEN_EXPIRED", "expired"), codes.Unauthenticated, "TOKEN_EXPIRED", "expired", false},
		{"permission denied", domain.Errorf(domain.ErrPermissionDenied, "NOT_OWNER", "not yours"), codes.PermissionDenied, "NOT_OWNER", "not yours", false},
		{"resource exhausted", domain.Errorf(domain.ErrResourceExhausted, "TOO_MANY_ATTEMPTS", "wait"), codes.ResourceExhausted, "TOO_MANY_ATTEMPTS", "wait", false},
		{"unavailable, wrapped", fmt.Errorf("ctx: %w", domain.Wrap(errors.New("dial tcp: refused"), domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")),
			codes.Unavailable, "DATABASE_UNAVAILABLE", "the database is unavailable", false},
		{"deadline", domain.Errorf(domain.ErrDeadlineExceeded, "DATABASE_TIMEOUT", "slow"), codes.DeadlineExceeded, "DATABASE_TIMEOUT", "slow", false},
		{"status passes through", status.Error(codes.OutOfRange, "past the end"), codes.OutOfRange, "OUT_OF_RANGE", "past the end", false},
		{"context cancelled", context.Canceled, codes.Canceled, "CANCELLED", "the request was cancelled", false},
		{"context deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "the request took too long", false},
		{"unknown error hides its text", errors.New(`ERROR: relation "users" does not exist (SQLSTATE 42P01)`), codes.Internal, "INTERNAL", "internal error", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, internal := ToStatus(tc.err)
			if st.Code() != tc.wantCode || ReasonOf(st) != tc.wantReason || st.Message() != tc.wantMessage || internal != tc.wantInternal {
				t.Errorf("toStatus = %v %s %q internal=%v; want %v %s %q internal=%v",
					st.Code(), ReasonOf(st), st.Message(), internal, tc.wantCode, tc.wantReason, tc.wantMessage, tc.wantInternal)
			}
		})
	}
}

func TestSanitizeRequestID(t *testing.T) {
	for in, want := range map[string]string{
		"abc-123":                       "abc-123",
		"a.b_c:d":                       "a.b_c:d",
		"":                              "",
		"with space":                    "",
		"quote\"":                       "",
		"ünicode":                       "",
		string(make([]byte, 129)):       "",
		"0123456789abcdef0123456789abc": "0123456789abcdef0123456789abc",
	} {
		if got := SanitizeRequestID(in); got != want {
			t.Errorf("SanitizeRequestID(%q) = %q; want %q", in, got, want)
		}
	}
}
