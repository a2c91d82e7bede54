package interceptor

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/hiremebahamas/api/server/rpc"
)

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
	st, internal := rpc.ToStatus(err)
	if internal {
		log.LogAttrs(ctx, slog.LevelError, "internal error",
			slog.String("rpc", method), slog.String("request_id", rpc.RequestIDFrom(ctx)), slog.String("error", err.Error()))
	}
	return st.Err()
}
