package server

import (
	"context"
	"crypto/rand"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	grpcprotovalidate "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/auth"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// requestIDKey is the metadata key of the request id; the gateway forwards
// X-Request-ID as it.
const requestIDKey = "x-request-id"

// interceptors returns the unary and stream chains shared by native gRPC and
// the REST gateway, outermost first. Tracing comes before them all, as a
// stats handler (tracing.go); metrics may be nil.
func interceptors(log *slog.Logger, requestTimeout time.Duration, schema schemaState, tokens *auth.Tokens, accts accounts, lim *limits, streamsDone <-chan struct{}, metrics *metrics) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor, error) {
	validator, err := protovalidate.New()
	if err != nil {
		return nil, nil, err
	}
	onPanic := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.LogAttrs(ctx, slog.LevelError, "panic", slog.String("request_id", requestIDFrom(ctx)),
			slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		return withReason(codes.Internal, "INTERNAL", "internal error").Err()
	})
	unary := withoutNil(
		requestArrivedUnary, // the request is in: stop the clock of requestReadTap
		requestIDUnary,
		lim.clientUnary,
		logUnary(log),
		metrics.unary(),
		deadlineUnary(requestTimeout),
		recovery.UnaryServerInterceptor(onPanic),
		errorUnary(log),
		wellFormedUnary, // before anything that may end a call: see requestCodec
		lim.rateLimitUnary,
		authUnary(tokens, accts),
		schemaUnary(schema),
		grpcprotovalidate.UnaryServerInterceptor(validator),
	)
	stream := withoutNil(
		requestArrivedStream,
		requestIDStream,
		lim.clientStream,
		logStream(log),
		metrics.stream(),
		endableStream(streamsDone),
		recovery.StreamServerInterceptor(onPanic),
		errorStream(log),
		wellFormedStream,
		lim.rateLimitStream,
		authStream(tokens, accts),
		schemaStream(schema),
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

// chainUnary runs interceptors in order around a handler, as
// grpc.ChainUnaryInterceptor does for the network server.
func chainUnary(chain []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		next := handler
		for i := len(chain) - 1; i >= 0; i-- {
			interceptor, inner := chain[i], next
			next = func(ctx context.Context, req any) (any, error) { return interceptor(ctx, req, info, inner) }
		}
		return next(ctx, req)
	}
}

type requestIDCtxKey struct{}

// requestIDFrom returns the request id the chain assigned, or "".
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDCtxKey{}).(string)
	return id
}

// sanitizeRequestID accepts a caller's id if it is short and plain, so it can
// go into logs and headers verbatim; otherwise it returns "".
func sanitizeRequestID(id string) string {
	if len(id) == 0 || len(id) > 128 {
		return ""
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return ""
		}
	}
	return id
}

// newRequestID returns a random id.
func newRequestID() string { return rand.Text() }

// withRequestID takes the caller's request id from metadata or makes one,
// stores it in ctx and returns it in the response headers.
func withRequestID(ctx context.Context) context.Context {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(requestIDKey); len(v) > 0 {
			id = sanitizeRequestID(v[0])
		}
	}
	if id == "" {
		id = newRequestID()
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(requestIDKey, id))
	return context.WithValue(ctx, requestIDCtxKey{}, id)
}

func requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(withRequestID(ctx), req)
}

func requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &contextStream{ServerStream: ss, ctx: withRequestID(ss.Context())})
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

// fromGateway reports whether the call came through the in-process REST
// gateway rather than from a gRPC client on the network.
func fromGateway(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	return ok && p.Addr != nil && p.Addr.Network() == gatewayNetwork
}

// probeServices are polled by load balancers every few seconds; their
// successful calls are logged at debug level to keep the logs readable.
var probeServices = map[string]bool{
	hmbv1.HealthService_ServiceDesc.ServiceName:   true,
	grpc_health_v1.Health_ServiceDesc.ServiceName: true,
}

// logCall writes the one log line of a gRPC request. A REST request's line
// is written by the HTTP side once its status is known (logRequest); the
// call's part of it is handed over.
func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	st := status.Convert(err)
	level := slog.LevelInfo
	switch st.Code() {
	case codes.OK:
		if isProbe(method) {
			level = slog.LevelDebug
		}
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	case codes.Unavailable, codes.DeadlineExceeded:
		level = slog.LevelWarn
	}
	outcome := &rpcOutcome{level: level, method: method, status: st}
	if fromGateway(ctx) {
		if call := outerCall(ctx); call != nil {
			call.outcome.Store(outcome)
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
	if c := clientIP(ctx); c != "" {
		attrs = append(attrs, slog.String("client", c))
	}
	attrs = outcome.appendAttrs(attrs)
	attrs = append(attrs,
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("request_id", requestIDFrom(ctx)))
	log.LogAttrs(ctx, level, "request", attrs...)
}

func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logCall(ss.Context(), log, info.FullMethod, start, err)
		return err
	}
}

// schemaState tells whether the database schema is the one this build needs.
type schemaState interface {
	EnsureSchema(ctx context.Context) error
}

// schemaExempt lists services that must answer whatever the schema: health
// probes and reflection.
func schemaExempt(method string) bool {
	service, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	return probeServices[service] || strings.HasPrefix(service, "grpc.reflection.")
}

// schemaUnary refuses data calls unless the schema is current, so an
// instance never runs queries against tables it does not know.
func schemaUnary(schema schemaState) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !schemaExempt(info.FullMethod) {
			if err := schema.EnsureSchema(ctx); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

func schemaStream(schema schemaState) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if !schemaExempt(info.FullMethod) {
			if err := schema.EnsureSchema(ss.Context()); err != nil {
				return err
			}
		}
		return handler(srv, ss)
	}
}
