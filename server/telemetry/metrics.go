// Package telemetry is what operators see of the service: Prometheus metrics
// on an admin listener, OpenTelemetry traces, and the logger. Each part takes
// its own options, never the whole configuration.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/hiremebahamas/api/internal/buildinfo"
	"github.com/hiremebahamas/api/server/rpc"
)

// Metrics is an App's Prometheus instruments and the admin listener that
// serves them, apart from the public port so that they are never public by
// accident. A nil *Metrics means METRICS_ADDR is empty: then nothing is
// measured and no listener is opened.
//
// Every RPC is counted by the gRPC interceptor, labelled with its transport
// ("grpc" or "rest"), and every REST request again by the HTTP middleware,
// which also sees the requests that never reach gRPC (unknown routes, 405,
// 413).
type Metrics struct {
	registry     *prometheus.Registry
	grpc         *grpcprom.ServerMetrics
	grpcOpts     []grpcprom.Option
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	// forwardedIgnored counts requests whose X-Forwarded-For was ignored
	// because their peer is not a trusted proxy.
	forwardedIgnored prometheus.Counter
	exemplars        bool // attach trace ids to observations

	lis    net.Listener
	server *http.Server
}

// latencyBuckets span a cached read (1 ms) to the request timeout (120 s).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120}

// unrouted is the route label of REST requests that matched no route, or
// were refused before routing (413, an unreadable body).
const unrouted = "unrouted"

// MetricsOptions say where the admin listener listens and what it reports.
type MetricsOptions struct {
	Addr              string // METRICS_ADDR; empty: no metrics
	ReadHeaderTimeout time.Duration
	// Pool reports the database pool's statistics at scrape time.
	Pool prometheus.Collector
	// Traced attaches trace ids to observations as exemplars.
	Traced bool
}

// NewMetrics registers the instruments and opens the admin listener, or
// returns nil when opts.Addr is empty.
func NewMetrics(opts MetricsOptions, log *slog.Logger) (*Metrics, error) {
	if opts.Addr == "" {
		return nil, nil
	}
	traced, pool := opts.Traced, opts.Pool
	m := &Metrics{registry: prometheus.NewRegistry(), exemplars: traced}
	m.grpc = grpcprom.NewServerMetrics(
		grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(latencyBuckets)),
		grpcprom.WithContextLabels("transport"),
	)
	m.grpcOpts = []grpcprom.Option{grpcprom.WithLabelsFromContext(transportLabels)}
	if traced {
		m.grpcOpts = append(m.grpcOpts, grpcprom.WithExemplarFromContext(traceExemplar))
	}
	httpLabels := []string{"method", "route", "code"}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_server_requests_total",
		Help: `REST requests answered, by method, route template ("unrouted" when none matched) and status code.`,
	}, httpLabels)
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_server_request_duration_seconds",
		Help:    `Time to answer REST requests, by method, route template ("unrouted" when none matched) and status code.`,
		Buckets: latencyBuckets,
	}, httpLabels)
	m.forwardedIgnored = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "forwarded_for_ignored_total",
		Help: "Requests, REST or gRPC, whose X-Forwarded-For was ignored because their peer is not a trusted proxy (TRUSTED_PROXIES, TRUSTED_PROXY_HOPS).",
	})
	// A registry of the App's own, not the global one: nothing registers
	// here by side effect, and several Apps can run in one process.
	if err := errors.Join(
		m.registry.Register(collectors.NewGoCollector()),
		m.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
		m.registry.Register(m.grpc),
		m.registry.Register(m.httpRequests),
		m.registry.Register(m.httpDuration),
		m.registry.Register(m.forwardedIgnored),
		m.registry.Register(pool),
		m.registry.Register(buildInfoGauge(buildinfo.Read())),
	); err != nil {
		return nil, err
	}

	lis, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on METRICS_ADDR: %w", err)
	}
	m.lis = lis
	m.server = &http.Server{
		Handler:           m.adminHandler(log),
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       time.Minute, // scrapes come every few seconds
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return m, nil
}

// buildInfoGauge is the constant 1 labelled with the running build, so that
// dashboards can tell versions apart during a rollout and join them to other
// series.
func buildInfoGauge(b buildinfo.Info) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "hiremebahamas_build_info",
		Help:        "The running build: always 1, labelled with its version, commit and Go version.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.CommitOrUnknown(), "go_version": b.GoVersion},
	}, func() float64 { return 1 })
}

// adminHandler serves /metrics and the runtime profiles. The profile
// handlers are mounted here only: importing net/http/pprof also puts them on
// http.DefaultServeMux, which nothing serves. /debug/pprof/cmdline is left
// out because the command line can hold secrets passed as flags.
func (m *Metrics) adminHandler(log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		EnableOpenMetrics: true, // exemplars need the OpenMetrics format
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, goroutine, allocs, block, mutex, threadcreate
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	return mux
}

// Addr is the admin address serving /metrics and /debug/pprof.
func (m *Metrics) Addr() net.Addr { return m.lis.Addr() }

// Serve serves the admin listener until Shutdown.
func (m *Metrics) Serve() error {
	if err := m.server.Serve(m.lis); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Register adds collectors to the registry /metrics serves; it does nothing
// when there are no metrics.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	if m == nil {
		return nil
	}
	for _, c := range cs {
		if err := m.registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// CountIgnoredForward is the counter of requests whose X-Forwarded-For was
// ignored, or nil when there are no metrics.
func (m *Metrics) CountIgnoredForward() func() {
	if m == nil {
		return nil
	}
	return m.forwardedIgnored.Inc
}

// Shutdown stops the admin listener, letting a scrape in progress finish.
func (m *Metrics) Shutdown(ctx context.Context) {
	if m == nil {
		return
	}
	if err := m.server.Shutdown(ctx); err != nil {
		_ = m.server.Close()
	}
}

// Close releases the admin listener if Run never served it.
func (m *Metrics) Close() {
	if m != nil {
		_ = m.lis.Close()
	}
}

// Unary and Stream count and time RPCs, between logging and recovery in the
// chain so that panics are counted as the Internal errors clients see.
func (m *Metrics) Unary() grpc.UnaryServerInterceptor {
	if m == nil {
		return nil
	}
	return m.grpc.UnaryServerInterceptor(m.grpcOpts...)
}

func (m *Metrics) Stream() grpc.StreamServerInterceptor {
	if m == nil {
		return nil
	}
	return m.grpc.StreamServerInterceptor(m.grpcOpts...)
}

// Shared, read-only label sets: one lookup per call, no allocation.
var (
	restTransport = prometheus.Labels{"transport": "rest"}
	grpcTransport = prometheus.Labels{"transport": "grpc"}
)

func transportLabels(ctx context.Context) prometheus.Labels {
	if rpc.FromGateway(ctx) {
		return restTransport
	}
	return grpcTransport
}

// traceExemplar links an observation to the sampled trace it belongs to.
func traceExemplar(ctx context.Context) prometheus.Labels {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return nil
	}
	return prometheus.Labels{"trace_id": sc.TraceID().String()}
}

// observeHTTP counts and times one answered REST request. Labels stay
// bounded whatever clients send: the route is a template or "unrouted", and
// methods outside the standard set are "OTHER".
func (m *Metrics) observeHTTP(ctx context.Context, method, route string, status int, elapsed time.Duration) {
	if route == "" {
		route = unrouted
	}
	labels := [...]string{methodLabel(method), route, strconv.Itoa(status)}
	m.httpRequests.WithLabelValues(labels[:]...).Inc()
	duration := m.httpDuration.WithLabelValues(labels[:]...)
	if m.exemplars {
		if ex := traceExemplar(ctx); ex != nil {
			duration.(prometheus.ExemplarObserver).ObserveWithExemplar(elapsed.Seconds(), ex)
			return
		}
	}
	duration.Observe(elapsed.Seconds())
}

func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}

// HTTPObserver is the REST middleware's observe hook for whatever of metrics
// and tracing is on, or nil when neither is.
func HTTPObserver(m *Metrics, t *Tracing) func(ctx context.Context, method, route string, status int, elapsed time.Duration) {
	if m == nil && t == nil {
		return nil
	}
	return func(ctx context.Context, method, route string, status int, elapsed time.Duration) {
		if m != nil {
			m.observeHTTP(ctx, method, route, status, elapsed)
		}
		t.nameSpan(ctx, methodLabel(method), route)
	}
}
