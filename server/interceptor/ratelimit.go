package interceptor

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/rpc"
)

// limits applies the rate limits to network gRPC calls, by the bucket the
// methods table names; REST calls were limited before the gateway.
type limits struct {
	*ratelimit.Limits
	methods rpc.Methods
}

// withClient resolves the caller's address into ctx: for REST, as the HTTP
// side resolved it; for gRPC, from the peer and trusted proxies.
func (l limits) withClient(ctx context.Context) context.Context {
	var client string
	if rpc.FromGateway(ctx) {
		if call := rpc.OuterCall(ctx); call != nil {
			client = call.Client
		}
	} else {
		client = l.grpcClient(ctx)
	}
	return rpc.WithClient(ctx, client)
}

// grpcClient resolves a network gRPC caller's address, believing an
// x-forwarded-for sent by a trusted proxy.
func (l limits) grpcClient(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return l.Clients.Resolve(p.Addr.String(), md.Get("x-forwarded-for"))
}

func (l limits) clientUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(l.withClient(ctx), req)
}

func (l limits) clientStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &contextStream{ServerStream: ss, ctx: l.withClient(ss.Context())})
}

// rateLimitUnary limits gRPC clients on the network; REST calls were
// limited before the gateway, and probes never are.
func (l limits) rateLimitUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := l.limitCall(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// rateLimitStream limits the streams gRPC clients open as rateLimitUnary
// limits calls: each stream takes a token when it starts.
func (l limits) rateLimitStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := l.limitCall(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

// limitCall takes a token for a network gRPC call or stream of method.
func (l limits) limitCall(ctx context.Context, method string) error {
	row, _ := l.methods.Lookup(method)
	if rpc.FromGateway(ctx) || row.Probe {
		return nil
	}
	if ok, wait := l.For(row.Bucket).Allow(rpc.ClientIP(ctx)); !ok {
		return ratelimit.Refusal(wait)
	}
	return nil
}
