// Package interceptor is the one chain of gRPC interceptors that every call
// runs through, from the network and from the REST gateway's in-process
// channel alike: its order is the list in Chain.
package interceptor

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"buf.build/go/protovalidate"
	grpcprotovalidate "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/rpc"
)

// Options are what the chain needs.
type Options struct {
	Log *slog.Logger
	// Methods is the table of every RPC: who may call it, its rate bucket,
	// whether it is a probe.
	Methods        rpc.Methods
	RequestTimeout time.Duration
	Schema         Schema
	Tokens         *auth.Tokens
	Accounts       rpc.Accounts
	Limits         *ratelimit.Limits
	// StreamsDone closes when open streams must end (at shutdown).
	StreamsDone <-chan struct{}
	// MetricsUnary and MetricsStream count and time calls; nil: not
	// measured.
	MetricsUnary  grpc.UnaryServerInterceptor
	MetricsStream grpc.StreamServerInterceptor
}

// Chain returns the unary and stream chains shared by native gRPC and the
// REST gateway, outermost first. Tracing comes before them all, as a stats
// handler (telemetry).
func Chain(o Options) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor, error) {
	validator, err := protovalidate.New()
	if err != nil {
		return nil, nil, err
	}
	onPanic := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		o.Log.LogAttrs(ctx, slog.LevelError, "panic", slog.String("request_id", rpc.RequestIDFrom(ctx)),
			slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		return rpc.WithReason(codes.Internal, "INTERNAL", "internal error").Err()
	})
	lim := limits{Limits: o.Limits, methods: o.Methods}
	unary := withoutNil(
		requestArrivedUnary, // the request is in: stop the clock of ReadTimeoutTap
		requestIDUnary,
		lim.clientUnary,
		logUnary(o.Log, o.Methods),
		o.MetricsUnary,
		deadlineUnary(o.RequestTimeout),
		recovery.UnaryServerInterceptor(onPanic),
		errorUnary(o.Log),
		wellFormedUnary, // before anything that may end a call: see RequestCodec
		lim.rateLimitUnary,
		authUnary(o.Tokens, o.Accounts, o.Methods),
		schemaUnary(o.Schema, o.Methods),
		grpcprotovalidate.UnaryServerInterceptor(validator),
	)
	stream := withoutNil(
		requestArrivedStream,
		requestIDStream,
		lim.clientStream,
		logStream(o.Log, o.Methods),
		o.MetricsStream,
		endableStream(o.StreamsDone),
		recovery.StreamServerInterceptor(onPanic),
		errorStream(o.Log),
		wellFormedStream,
		lim.rateLimitStream,
		authStream(o.Tokens, o.Accounts, o.Methods),
		schemaStream(o.Schema, o.Methods),
		grpcprotovalidate.StreamServerInterceptor(validator),
	)
	return unary, stream, nil
}

// withoutNil drops the interceptors that are switched off.
func withoutNil[T grpc.UnaryServerInterceptor | grpc.StreamServerInterceptor](chain ...T) []T {
	out := chain[:0]
	for _, f := range chain {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}

// ChainUnary runs interceptors in order around a handler, as
// grpc.ChainUnaryInterceptor does for the network server.
func ChainUnary(chain []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		next := handler
		for i := len(chain) - 1; i >= 0; i-- {
			interceptor, inner := chain[i], next
			next = func(ctx context.Context, req any) (any, error) { return interceptor(ctx, req, info, inner) }
		}
		return next(ctx, req)
	}
}

// contextStream replaces a stream's context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

// deadlineUnary bounds every call by the request timeout, keeping a shorter
// deadline the caller set.
func deadlineUnary(timeout time.Duration) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return handler(ctx, req)
	}
}

// endableStream gives each stream a context that ends with the server, so
// that long-lived streams that honour it, such as health Watch, close at
// shutdown instead of holding the graceful stop until its deadline. Handlers
// blocked reading from the client (reflection) are cut off at the deadline.
func endableStream(done <-chan struct{}) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, cancel := context.WithCancel(ss.Context())
		defer cancel()
		go func() {
			select {
			case <-done:
				cancel()
			case <-ctx.Done():
			}
		}()
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
}
