// Package domain holds the vocabulary shared by the store and the servers:
// the kinds of failure a request can meet, independent of SQL or gRPC.
package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kinds of failure. Compare with errors.Is; an *Error carries one of these
// plus a reason and a message for the client.
var (
	ErrInvalid            = errors.New("invalid argument")
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrAborted            = errors.New("aborted")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrPermissionDenied   = errors.New("permission denied")
	ErrResourceExhausted  = errors.New("resource exhausted")
	ErrUnavailable        = errors.New("unavailable")
	ErrDeadlineExceeded   = errors.New("deadline exceeded")
)

// Error is a failure a client may be told about. Kind says what class of
// failure it is, Reason is a stable UPPER_SNAKE_CASE code that clients can
// switch on, and Message is safe to show. Cause, if any, is for logs only.
type Error struct {
	Kind    error
	Reason  string
	Message string
	Cause   error
	// RetryAfter, when set, tells the client when trying again may succeed.
	RetryAfter time.Duration
}

// Errorf returns an *Error of the given kind and reason with a formatted
// client-safe message.
func Errorf(kind error, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error whose cause is err, kept for logs and errors.Is but
// never shown to clients.
func Wrap(err, kind error, reason, message string) *Error {
	return &Error{Kind: kind, Reason: reason, Message: message, Cause: err}
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Is reports whether target is this error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap exposes the cause, so that errors.Is(err, context.DeadlineExceeded)
// and the like still work through an *Error.
func (e *Error) Unwrap() error { return e.Cause }
