package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hiremebahamas/api/domain"
)

// errorDomain names this service in google.rpc.ErrorInfo.
const errorDomain = "hiremebahamas.com"

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

// toStatus turns any error a handler returns into the status a client sees.
// Statuses pass through; domain errors keep their message and reason;
// anything else becomes a generic Internal, so SQL and driver text never
// leave the process. internal reports that last case, for logging.
func toStatus(err error) (st *status.Status, internal bool) {
	if s, ok := status.FromError(err); ok {
		return s, false
	}
	var de *domain.Error
	if errors.As(err, &de) {
		for _, kc := range kindCodes {
			if de.Kind == kc.kind {
				st := withReason(kc.code, de.Reason, de.Message)
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
		return withReason(codes.Canceled, "CANCELLED", "the request was cancelled"), false
	case errors.Is(err, context.DeadlineExceeded):
		return withReason(codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "the request took too long"), false
	}
	return withReason(codes.Internal, "INTERNAL", "internal error"), true
}

// withReason builds a status carrying google.rpc.ErrorInfo.
func withReason(code codes.Code, reason, message string) *status.Status {
	st := status.New(code, message)
	if reason == "" {
		reason = code.String()
	}
	if detailed, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}); err == nil {
		return detailed
	}
	return st
}

// reasonOf returns the ErrorInfo reason of st, or its upper-case code name.
func reasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason != "" {
			return info.Reason
		}
	}
	return codeReason(st.Code())
}

// codeReason is the UPPER_SNAKE_CASE name of a code, as in google.rpc.Code.
func codeReason(c codes.Code) string {
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

// errorUnary maps handler errors to statuses, logging internal ones in full.
func errorUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err == nil {
			return resp, nil
		}
		return nil, mapError(ctx, log, info.FullMethod, err)
	}
}

// errorStream is errorUnary for streaming RPCs.
func errorStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		err := handler(srv, ss)
		if err == nil {
			return nil
		}
		return mapError(ss.Context(), log, info.FullMethod, err)
	}
}

func mapError(ctx context.Context, log *slog.Logger, method string, err error) error {
	st, internal := toStatus(err)
	if internal {
		log.LogAttrs(ctx, slog.LevelError, "internal error",
			slog.String("rpc", method), slog.String("request_id", requestIDFrom(ctx)), slog.String("error", err.Error()))
	}
	return st.Err()
}
