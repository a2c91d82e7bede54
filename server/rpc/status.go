// Package rpc is the vocabulary both sides of a call share, on gRPC terms
// only: how errors become statuses, what each method is, the request id,
// the caller and its address, and what a REST request carries across the
// in-process channel.
package rpc

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hiremebahamas/api/domain"
)

// ErrorDomain names this service in google.rpc.ErrorInfo.
const ErrorDomain = "hiremebahamas.com"

// kindCodes maps each domain error kind to its gRPC code.
var kindCodes = []struct {
	kind error
	code codes.Code
}{
	{domain.ErrInvalid, codes.InvalidArgument},
	{domain.ErrNotFound, codes.NotFound},
	{domain.ErrAlreadyExists, codes.AlreadyExists},
	{domain.ErrFailedPrecondition, codes.FailedPrecondition},
	{domain.ErrAborted, codes.Aborted},
	{domain.ErrUnauthenticated, codes.Unauthenticated},
	{domain.ErrPermissionDenied, codes.PermissionDenied},
	{domain.ErrResourceExhausted, codes.ResourceExhausted},
	{domain.ErrUnavailable, codes.Unavailable},
	{domain.ErrDeadlineExceeded, codes.DeadlineExceeded},
}

// ToStatus turns any error a handler returns into the status a client sees.
// Statuses pass through; domain errors keep their message and reason;
// anything else becomes a generic Internal, so SQL and driver text never
// leave the process. internal reports that last case, for logging.
func ToStatus(err error) (st *status.Status, internal bool) {
	if s, ok := status.FromError(err); ok {
		return s, false
	}
	var de *domain.Error
	if errors.As(err, &de) {
		for _, kc := range kindCodes {
			if de.Kind == kc.kind {
				st := WithReason(kc.code, de.Reason, de.Message)
				if de.RetryAfter > 0 {
					if withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(de.RetryAfter)}); err == nil {
						st = withRetry
					}
				}
				return st, false
			}
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return WithReason(codes.Canceled, "CANCELLED", "the request was cancelled"), false
	case errors.Is(err, context.DeadlineExceeded):
		return WithReason(codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "the request took too long"), false
	}
	return WithReason(codes.Internal, "INTERNAL", "internal error"), true
}

// WithReason builds a status carrying google.rpc.ErrorInfo.
func WithReason(code codes.Code, reason, message string) *status.Status {
	st := status.New(code, message)
	if reason == "" {
		reason = code.String()
	}
	if detailed, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain}); err == nil {
		return detailed
	}
	return st
}

// ReasonOf returns the ErrorInfo reason of st, or its upper-case code name.
func ReasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason != "" {
			return info.Reason
		}
	}
	return CodeReason(st.Code())
}

// CodeReason is the UPPER_SNAKE_CASE name of a code, as in google.rpc.Code.
func CodeReason(c codes.Code) string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return "UNKNOWN"
}

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

// Unauthenticated is the UNAUTHENTICATED status of a missing, bad or
// expired credential.
func Unauthenticated(reason, message string) error {
	return WithReason(codes.Unauthenticated, reason, message).Err()
}

// Clip bounds client-supplied text echoed in error messages.
func Clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
