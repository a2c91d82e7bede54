package interceptor

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/hiremebahamas/api/server/rpc"
)

// withRequestID takes the caller's request id from metadata or makes one,
// stores it in ctx and returns it in the response headers.
func withRequestID(ctx context.Context) context.Context {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(rpc.RequestIDKey); len(v) > 0 {
			id = rpc.SanitizeRequestID(v[0])
		}
	}
	if id == "" {
		id = rpc.NewRequestID()
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(rpc.RequestIDKey, id))
	return rpc.WithRequestID(ctx, id)
}

func requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(withRequestID(ctx), req)
}

func requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &contextStream{ServerStream: ss, ctx: withRequestID(ss.Context())})
}
