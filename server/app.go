// Package server wires the gRPC services, the REST gateway and their shared
// interceptors onto listeners, and runs them until shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // clients may send and ask for gzip
	grpcproto "google.golang.org/grpc/encoding/proto"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/queue"
	"github.com/hiremebahamas/api/server/gateway"
	"github.com/hiremebahamas/api/server/interceptor"
	"github.com/hiremebahamas/api/server/listen"
	"github.com/hiremebahamas/api/server/service"
	"github.com/hiremebahamas/api/server/telemetry"
	"github.com/hiremebahamas/api/store"
)

// App is the whole service: create it with New, serve with Run, and release
// it with Close.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	store *store.Store
	life  *service.Lifecycle

	grpc    *grpc.Server
	http    *gateway.Server
	split   *listen.Splitter
	grpcLis net.Listener // optional gRPC-only listener

	metrics *telemetry.Metrics // nil unless METRICS_ADDR is set
	tracing *telemetry.Tracing // nil unless tracing is on

	jobs *service.JobServer
	// queue works background jobs; releaseQueue closes its own pool.
	queue        *queue.Queue
	releaseQueue func()
	// stopWatch ends the watch on other instances' writes to jobs, and
	// watchDone closes when it has ended.
	stopWatch context.CancelFunc
	watchDone chan struct{}
}

// New builds the service and opens its listeners, so that Addr is known
// before Run. It does not wait for the database.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (_ *App, err error) {
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if a.tracing, err = telemetry.NewTracing(ctx, telemetry.TracingOptions{Enabled: cfg.Tracing, Provider: o.tracerProvider}); err != nil {
		return nil, err
	}
	log = a.tracing.Logger(log)
	a.log = log
	a.store, err = store.Open(store.Options{
		DatabaseURL:    cfg.DatabaseURL,
		DirectURL:      cfg.DatabaseDirectURL,
		MinConns:       cfg.DBMinConns,
		MaxConns:       cfg.DBMaxConns,
		ConnectTimeout: cfg.DBConnectTimeout,
		TracerProvider: a.tracing.TracerProvider(),
	}, log)
	if err != nil {
		return nil, err
	}
	if a.metrics, err = telemetry.NewMetrics(telemetry.MetricsOptions{
		Addr: cfg.MetricsAddr, ReadHeaderTimeout: cfg.ReadHeaderTimeout, Pool: a.store.PoolCollector(), Traced: a.tracing != nil,
	}, log); err != nil {
		return nil, err
	}
	secret := signingSecret(cfg, log)
	links, err := newLinks(cfg, secret)
	if err != nil {
		return nil, err
	}
	if a.queue, a.releaseQueue, err = newQueue(ctx, cfg, a.store, a.metrics, links, log); err != nil {
		return nil, err
	}
	a.life = service.NewLifecycle()
	tokens, err := newTokens(cfg, secret)
	if err != nil {
		return nil, err
	}

	lim := newLimits(cfg, log, a.metrics)
	unary, stream, err := interceptor.Chain(interceptor.Options{
		Log: log, Methods: methods, RequestTimeout: cfg.RequestTimeout, Schema: a.store, Tokens: tokens,
		Accounts: a.store, Limits: lim, StreamsDone: a.life.StreamsDone(),
		MetricsUnary: a.metrics.Unary(), MetricsStream: a.metrics.Stream(),
	})
	if err != nil {
		return nil, err
	}
	a.grpc = grpc.NewServer(slices.Concat([]grpc.ServerOption{
		grpc.ForceServerCodecV2(interceptor.RequestCodec{CodecV2: encoding.GetCodecV2(grpcproto.Name)}),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, grpcLimits(cfg), a.tracing.GRPCOptions())...)
	// REST reaches the same service implementations through an in-process
	// channel that runs the same interceptor chain, without a second HTTP/2
	// hop and serialisation.
	inproc := (&inprocgrpc.Channel{}).WithServerUnaryInterceptor(interceptor.ChainUnary(unary))
	a.tracing.InstrumentChannel(inproc)
	a.jobs = service.NewJobServer(a.store, cfg.RequireVerifiedEmail)
	services := newServices(cfg, a.store, a.life, a.jobs, tokens, links, log)
	registerAll(a.grpc, services, a.life.Health())
	for _, svc := range services {
		inproc.RegisterService(svc.desc, svc.impl)
	}
	a.life.Track(a.grpc)

	a.http, err = gateway.New(ctx, gateway.Options{
		Conn: a.tracing.GatewayConn(inproc), Services: restServices(services), Methods: methods, Limits: lim,
		Origins:       gateway.AllowedOrigins(cfg.FrontendURL, cfg.AllowedOrigins, cfg.AllowedOriginPattern),
		OriginPattern: cfg.AllowedOriginPattern,
		Cookie: gateway.CookieOptions{SameSite: cfg.RefreshCookieSameSite, Domain: cfg.RefreshCookieDomain,
			Partitioned: cfg.RefreshCookiePartitioned, MaxAge: cfg.RefreshAbsoluteTTL},
		RequestTimeout: cfg.RequestTimeout, MaxBodyBytes: cfg.MaxBodyBytes,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout, IdleTimeout: cfg.IdleTimeout,
		MaxStreamsPerConn: maxStreamsPerConn,
		Observe:           telemetry.HTTPObserver(a.metrics, a.tracing),
		Wrap:              a.tracing.WrapHTTP,
	}, log)
	if err != nil {
		return nil, err
	}

	lis, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("listen on PORT: %w", err)
	}
	a.split = listen.NewSplitter(listen.LimitConns(lis, cfg.MaxConnections), cfg.ReadHeaderTimeout, a.http.MaxHeaderBytes(), log)
	if cfg.GRPCPort != 0 {
		if a.grpcLis, err = net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.GRPCPort))); err != nil {
			return nil, fmt.Errorf("listen on GRPC_PORT: %w", err)
		}
		a.grpcLis = listen.LimitConns(a.grpcLis, cfg.MaxConnections)
	}
	return a, nil
}

// Addr is the address serving REST and gRPC.
func (a *App) Addr() net.Addr { return a.split.Addr() }

// GRPCAddr is the gRPC-only address, or nil when GRPC_PORT is unset.
func (a *App) GRPCAddr() net.Addr {
	if a.grpcLis == nil {
		return nil
	}
	return a.grpcLis.Addr()
}

// Run serves until ctx ends, then shuts down gracefully: health turns
// NOT_SERVING, new traffic drains away for DrainDelay, requests in flight
// finish within ShutdownTimeout, and whatever remains is cut off.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, 5)
	serve := func(name string, f func() error) {
		go func() {
			if err := f(); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	a.life.Start()
	serve("grpc", func() error { return a.grpc.Serve(a.split.GRPC()) })
	if a.grpcLis != nil {
		serve("grpc-only listener", func() error { return a.grpc.Serve(a.grpcLis) })
	}
	serve("http", func() error { return a.http.Serve(a.split.HTTP()) })
	serve("listener", a.split.Serve)
	if a.metrics != nil {
		serve("metrics listener", a.metrics.Serve)
	}

	dbCtx, stopDB := context.WithCancel(context.Background())
	defer stopDB()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	a.stopWatch, a.watchDone = stopWatch, make(chan struct{})
	defer a.endWatch()
	go func() {
		defer close(a.watchDone)
		a.store.WaitReady(dbCtx, a.cfg.MigrateOnStart)
		if dbCtx.Err() == nil {
			// Not dbCtx: ending it would cancel the jobs running, which
			// shutdown lets finish instead.
			if err := a.queue.Start(context.WithoutCancel(dbCtx)); err != nil {
				a.log.Error("the job queue did not start", "error", err)
			}
			a.store.WatchJobs(watchCtx, a.watchOptions(), a.jobs.ChangedInDatabase)
		}
	}()

	attrs := []any{"rest", "http://" + a.Addr().String(), "grpc", a.Addr().String(), "env", a.cfg.Env}
	if a.grpcLis != nil {
		attrs = append(attrs, "grpc_only", a.GRPCAddr().String())
	}
	if a.metrics != nil {
		attrs = append(attrs, "metrics", "http://"+a.MetricsAddr().String()+"/metrics")
	}
	attrs = append(attrs, "tracing", a.tracing != nil)
	a.log.Info("HireMeBahamas API ready: serving gRPC and REST", attrs...)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		a.log.Error("server failed; shutting down", "error", runErr)
	}
	stopDB()
	a.shutdown()
	return runErr
}

func (a *App) shutdown() {
	start := time.Now()
	deadline, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()

	a.life.Drain()
	a.log.Info("shutting down: health is NOT_SERVING; draining", "drain_delay", a.cfg.DrainDelay, "grace", a.cfg.ShutdownTimeout)
	select {
	case <-time.After(a.cfg.DrainDelay):
	case <-deadline.Done():
	}

	a.life.EndStreams()
	_ = a.split.Close()
	if err := a.http.Shutdown(deadline); err != nil {
		a.log.Warn("REST requests still running at the deadline were cut off", "error", err)
		_ = a.http.Close()
	}
	// REST requests ride on the gRPC server, so it stops after them.
	stopped := make(chan struct{})
	go func() {
		a.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-deadline.Done():
		a.log.Warn("gRPC calls still running at the deadline were cut off")
		a.grpc.Stop()
		<-stopped
	}
	// Jobs running get what is left of the grace period; jobs the requests
	// above inserted are worked by whichever worker runs next.
	if err := a.queue.Stop(deadline); err != nil {
		a.log.Warn("jobs still running at the deadline were cancelled; they will be retried", "error", err)
	}
	// The cache follows other instances' writes while any request may read it.
	a.endWatch()
	// Metrics stay scrapable while traffic drains; buffered spans are sent
	// once the last request has ended.
	a.metrics.Shutdown(deadline)
	if err := a.tracing.Close(deadline); err != nil {
		a.log.Warn("could not send the last spans", "error", err)
	}
	a.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
}

// watchOptions say where to hear of other instances' writes to jobs: the
// direct URL when there is one, else DATABASE_URL, which may be direct too;
// WatchJobs finds out whether LISTEN works there.
func (a *App) watchOptions() store.WatchOptions {
	opts := store.WatchOptions{ConnectTimeout: a.cfg.DBConnectTimeout}
	switch {
	case a.cfg.CacheInvalidation == "poll":
	case a.cfg.DatabaseDirectURL != "":
		opts.ListenURL, opts.ListenVia = a.cfg.DatabaseDirectURL, "DATABASE_DIRECT_URL"
	default:
		opts.ListenURL, opts.ListenVia = a.cfg.DatabaseURL, "DATABASE_URL"
	}
	return opts
}

// endWatch stops the watch on writes to jobs and waits for it to end.
func (a *App) endWatch() {
	if a.stopWatch != nil {
		a.stopWatch()
		<-a.watchDone
	}
}

// Close releases the listeners and the database pool. Call it after Run
// returns.
func (a *App) Close() {
	if a.split != nil {
		_ = a.split.Close()
	}
	if a.grpcLis != nil {
		_ = a.grpcLis.Close()
	}
	a.metrics.Close()
	if a.releaseQueue != nil {
		a.releaseQueue()
	}
	if a.store != nil {
		a.store.Close()
	}
	// After a Run this finds nothing left to send.
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.tracing.Close(flush)
}

// MetricsAddr is the admin address serving /metrics and /debug/pprof, or nil
// when METRICS_ADDR is unset.
func (a *App) MetricsAddr() net.Addr {
	if a.metrics == nil {
		return nil
	}
	return a.metrics.Addr()
}
