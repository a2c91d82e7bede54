package interceptor

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/server/rpc"
)

// logCall writes the one log line of a gRPC request. A REST request's line
// is written by the HTTP side once its status is known; the call's part of
// it is handed over.
func logCall(ctx context.Context, log *slog.Logger, methods rpc.Methods, method string, start time.Time, err error) {
	st := status.Convert(err)
	level := slog.LevelInfo
	switch st.Code() {
	case codes.OK:
		if row, _ := methods.Lookup(method); row.Probe {
			level = slog.LevelDebug
		}
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	case codes.Unavailable, codes.DeadlineExceeded:
		level = slog.LevelWarn
	}
	outcome := &rpc.Outcome{Level: level, Method: method, Status: st}
	if rpc.FromGateway(ctx) {
		if call := rpc.OuterCall(ctx); call != nil {
			call.Outcome.Store(outcome)
			return
		}
	}
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("transport", "grpc"))
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		attrs = append(attrs, slog.String("peer", p.Addr.String()))
	}
	if c := rpc.ClientIP(ctx); c != "" {
		attrs = append(attrs, slog.String("client", c))
	}
	attrs = outcome.AppendAttrs(attrs)
	attrs = append(attrs,
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("request_id", rpc.RequestIDFrom(ctx)))
	log.LogAttrs(ctx, level, "request", attrs...)
}

func logUnary(log *slog.Logger, methods rpc.Methods) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logCall(ctx, log, methods, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log *slog.Logger, methods rpc.Methods) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logCall(ss.Context(), log, methods, info.FullMethod, start, err)
		return err
	}
}
