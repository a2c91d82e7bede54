package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
)

// Traces follow a request from REST through gRPC to PostgreSQL:
//
//   - otelhttp opens the REST server span, continuing a caller's traceparent;
//   - the gateway's in-process channel carries that span to the gRPC side in
//     the call's metadata, as a network client would;
//   - the same otelgrpc stats handler opens the RPC span on the network
//     server and on the in-process channel, before any interceptor runs, so
//     log lines can name the trace;
//   - otelpgx (in store/) opens a span for each query under the RPC span.
//
// With tracing off none of this is installed: no handler, wrapper or extra
// metadata stands in the request path.

// Tracing is an App's tracing set-up. A nil *Tracing means tracing is off,
// and every method then leaves things as they are.
type Tracing struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
	handler    stats.Handler
	// shutdown flushes and stops a provider the App made; nil otherwise.
	shutdown func(context.Context) error
	once     sync.Once
}

// serviceName names the service in traces unless OTEL_SERVICE_NAME does.
const serviceName = "hiremebahamas"

// TracingOptions say whether to trace and with what.
type TracingOptions struct {
	// Enabled traces with a provider made from the OTEL_* variables.
	Enabled bool
	// Provider, if set, traces whatever Enabled says. The caller keeps
	// ownership: Close does not shut it down.
	Provider trace.TracerProvider
}

// NewTracing returns the tracing set-up asked for by a provider or by the
// OTEL_* variables (opts.Enabled), or nil. A provider made here exports
// through the exporter the variables name (autoexport: OTLP over HTTP or
// gRPC, or the console), in batches, samples as OTEL_TRACES_SAMPLER says
// (parent-based always-on by default) and is also made the global provider.
func NewTracing(ctx context.Context, opts TracingOptions) (*Tracing, error) {
	t := &Tracing{
		provider:   opts.Provider,
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	if t.provider == nil {
		if !opts.Enabled {
			return nil, nil
		}
		exporter, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
		}
		res, err := resource.New(ctx,
			resource.WithAttributes(semconv.ServiceName(serviceName)),
			resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
			resource.WithTelemetrySDK(),
		)
		if err != nil {
			_ = exporter.Shutdown(ctx)
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
		t.provider, t.shutdown = tp, tp.Shutdown
		otel.SetTracerProvider(tp)
	}
	otel.SetTextMapPropagator(t.propagator)
	t.handler = otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(t.provider),
		otelgrpc.WithPropagators(t.propagator),
		// Prometheus measures RPCs; OpenTelemetry metrics would repeat it.
		otelgrpc.WithMeterProvider(noop.NewMeterProvider()),
	)
	return t, nil
}

// TracerProvider is the provider for the store's query spans, or nil.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// GRPCOptions traces the network gRPC server.
func (t *Tracing) GRPCOptions() []grpc.ServerOption {
	if t == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.StatsHandler(t.handler)}
}

// InstrumentChannel traces calls through the gateway's in-process channel
// as the network server's calls are traced.
func (t *Tracing) InstrumentChannel(ch *inprocgrpc.Channel) {
	if t != nil {
		ch.WithServerStatsHandler(t.handler)
	}
}

// GatewayConn carries the REST span to the gRPC side. The in-process channel
// hands the server none of the client context's values, only its metadata,
// so the span context travels as a traceparent entry there.
func (t *Tracing) GatewayConn(conn grpc.ClientConnInterface) grpc.ClientConnInterface {
	if t == nil {
		return conn
	}
	return propagatingConn{ClientConnInterface: conn, propagator: t.propagator}
}

type propagatingConn struct {
	grpc.ClientConnInterface
	propagator propagation.TextMapPropagator
}

func (c propagatingConn) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	// Set, not append: a traceparent a REST client slipped in as
	// Grpc-Metadata-Traceparent must not win over the REST span.
	c.propagator.Inject(ctx, metadataCarrier(md))
	return c.ClientConnInterface.Invoke(metadata.NewOutgoingContext(ctx, md), method, req, reply, opts...)
}

// metadataCarrier lets a propagator write gRPC metadata.
type metadataCarrier metadata.MD

func (m metadataCarrier) Get(key string) string {
	if v := metadata.MD(m).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (m metadataCarrier) Set(key, value string) { metadata.MD(m).Set(key, value) }

func (m metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// WrapHTTP opens the REST server span, continuing the caller's traceparent.
// nameSpan gives it its route once the gateway has matched one.
func (t *Tracing) WrapHTTP(h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(h, "rest",
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
	)
}

// nameSpan names the REST span after its route, as OpenTelemetry's HTTP
// conventions ask ("GET /api/v1/jobs/{id}"); it is called once the request
// is answered, when the route is known.
func (t *Tracing) nameSpan(ctx context.Context, method, route string) {
	if t == nil || route == "" {
		return
	}
	span := trace.SpanFromContext(ctx)
	span.SetName(method + " " + route)
	span.SetAttributes(semconv.HTTPRoute(route))
}

// Logger adds trace_id and span_id to every log record made with a context
// that carries a span.
func (t *Tracing) Logger(log *slog.Logger) *slog.Logger {
	if t == nil {
		return log
	}
	return slog.New(traceLogHandler{log.Handler()})
}

type traceLogHandler struct{ slog.Handler }

func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}

// Close flushes the spans still buffered and stops a provider the App made.
func (t *Tracing) Close(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	var err error
	t.once.Do(func() { err = t.shutdown(ctx) })
	return err
}
