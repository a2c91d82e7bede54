package interceptor

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/tap"
)

// errRequestTooSlow ends a gRPC call whose request message did not arrive
// within READ_TIMEOUT.
var errRequestTooSlow = errors.New("the request message did not arrive in time")

type readTimerKey struct{}

// ReadTimeoutTap gives every network gRPC call timeout to deliver its
// request message. grpc-go reads a unary request before any interceptor runs
// and has no timeout of its own for it, so a client trickling a message a
// byte at a time would hold its stream forever. The context returned here is
// the one the stream reads under; requestArrivedUnary and
// requestArrivedStream stop the clock once the message is in.
func ReadTimeoutTap(timeout time.Duration) tap.ServerInHandle {
	return func(ctx context.Context, _ *tap.Info) (context.Context, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		timer := time.AfterFunc(timeout, func() { cancel(errRequestTooSlow) })
		return context.WithValue(ctx, readTimerKey{}, timer), nil
	}
}

// requestArrived stops the read clock of ctx, if it has one.
func requestArrived(ctx context.Context) {
	if t, ok := ctx.Value(readTimerKey{}).(*time.Timer); ok {
		t.Stop()
	}
}

func requestArrivedUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	requestArrived(ctx)
	return handler(ctx, req)
}

// requestArrivedStream stops the clock when the stream's first message is in.
func requestArrivedStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if _, ok := ss.Context().Value(readTimerKey{}).(*time.Timer); !ok {
		return handler(srv, ss)
	}
	return handler(srv, &firstMessageStream{ServerStream: ss})
}

type firstMessageStream struct {
	grpc.ServerStream
	arrived bool
}

func (s *firstMessageStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if !s.arrived {
		s.arrived = true
		requestArrived(s.Context())
	}
	return err
}
