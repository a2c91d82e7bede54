// Package server wires the gRPC services, the REST gateway and their shared
// interceptors onto listeners, and runs them until shutdown.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // clients may send and ask for gzip
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/config"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/store"
)

// gatewayNetwork is the peer network of calls from the REST gateway, which
// come through an in-process channel.
const gatewayNetwork = "inproc"

// App is the whole service: create it with New, serve with Run, and release
// it with Close.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	store *store.Store
	life  *lifecycle

	grpc    *grpc.Server
	http    *http.Server
	split   *splitter
	grpcLis net.Listener // optional gRPC-only listener

	metrics *metrics // nil unless METRICS_ADDR is set
	tracing *tracing // nil unless tracing is on

	jobs *JobServer
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
	if a.tracing, err = newTracing(ctx, cfg, opts); err != nil {
		return nil, err
	}
	log = a.tracing.logger(log)
	a.log = log
	a.store, err = store.Open(store.Options{
		DatabaseURL:    cfg.DatabaseURL,
		DirectURL:      cfg.DatabaseDirectURL,
		MinConns:       cfg.DBMinConns,
		MaxConns:       cfg.DBMaxConns,
		ConnectTimeout: cfg.DBConnectTimeout,
		TracerProvider: a.tracing.tracerProvider(),
	}, log)
	if err != nil {
		return nil, err
	}
	if a.metrics, err = newMetrics(cfg, a.store.PoolCollector(), a.tracing != nil, log); err != nil {
		return nil, err
	}
	a.life = newLifecycle()
	tokens, err := newTokens(cfg, log)
	if err != nil {
		return nil, err
	}

	lim := &limits{
		clients: clients{trusted: cfg.TrustedProxies, hops: cfg.TrustedProxyHops, ignored: newIgnoredForwards(cfg, log, a.metrics)},
		general: newLimiter(cfg.RateLimit, cfg.RateBurst),
		auth:    newLimiter(cfg.AuthRateLimit, cfg.AuthRateBurst),
	}
	unary, stream, err := interceptors(log, cfg.RequestTimeout, a.store, tokens, a.store, lim, a.life.streamsDone, a.metrics)
	if err != nil {
		return nil, err
	}
	a.grpc = grpc.NewServer(slices.Concat([]grpc.ServerOption{
		grpc.ForceServerCodecV2(requestCodec{encoding.GetCodecV2(grpcproto.Name)}),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, grpcLimits(cfg), a.tracing.grpcOptions())...)
	// REST reaches the same service implementations through an in-process
	// channel that runs the same interceptor chain, without a second HTTP/2
	// hop and serialisation.
	inproc := (&inprocgrpc.Channel{}).WithServerUnaryInterceptor(chainUnary(unary))
	a.tracing.instrumentChannel(inproc)
	a.jobs = newJobServer(a.store)
	services := []struct {
		desc *grpc.ServiceDesc
		impl any
	}{
		{&hmbv1.HealthService_ServiceDesc, &HealthServer{life: a.life, store: a.store, checkTimeout: cfg.DBCheckTimeout, log: log}},
		{&hmbv1.AuthService_ServiceDesc, &AuthServer{
			store: a.store, hasher: auth.NewHasher(auth.DefaultParams, 0), tokens: tokens, log: log,
			sessions: store.SessionLifetimes{Idle: cfg.RefreshIdleTTL, Absolute: cfg.RefreshAbsoluteTTL},
			limits: store.LoginLimits{Window: cfg.LoginWindow, MaxPerAccount: cfg.LoginMaxFailures,
				MaxPerAddress: cfg.LoginMaxPerAddress, AddressInterval: cfg.LoginAddressInterval},
		}},
		{&hmbv1.UserService_ServiceDesc, &UserServer{store: a.store}},
		{&hmbv1.JobService_ServiceDesc, a.jobs},
	}
	for _, svc := range services {
		a.grpc.RegisterService(svc.desc, svc.impl)
		inproc.RegisterService(svc.desc, svc.impl)
	}
	grpc_health_v1.RegisterHealthServer(a.grpc, a.life.grpc)
	reflection.Register(a.grpc)
	a.life.track(a.grpc)

	gateway, err := newGateway(ctx, a.tracing.gatewayConn(gatewayConn{inproc}), newRefreshCookie(cfg))
	if err != nil {
		return nil, err
	}
	// The API reference (/openapi.json, /docs) is answered before the gateway.
	rest, err := withDocs(withCaching(gateway))
	if err != nil {
		return nil, err
	}
	allowed := allowedOrigins(cfg)
	a.http = newHTTPServer(a.tracing.wrapHTTP(withMiddleware(newCORS(allowed).Handler(lim.withRateLimit(guardWrites(allowed, rest))), httpOptions{
		requestTimeout: cfg.RequestTimeout, maxBodyBytes: cfg.MaxBodyBytes, observe: httpObserver(a.metrics, a.tracing),
	}, log)), cfg, log)

	lis, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("listen on PORT: %w", err)
	}
	a.split = newSplitter(limitConns(lis, cfg.MaxConnections), cfg.ReadHeaderTimeout, a.http.MaxHeaderBytes, log)
	if cfg.GRPCPort != 0 {
		if a.grpcLis, err = net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.GRPCPort))); err != nil {
			return nil, fmt.Errorf("listen on GRPC_PORT: %w", err)
		}
		a.grpcLis = limitConns(a.grpcLis, cfg.MaxConnections)
	}
	return a, nil
}

// devOrigins are the local dev servers' origins (Next.js, Vite), allowed
// when no origin is configured, which only development permits.
var devOrigins = []string{"http://localhost:3000", "http://localhost:5173", "http://127.0.0.1:3000", "http://127.0.0.1:5173"}

// allowedOrigins are the origins browsers may call from.
func allowedOrigins(cfg config.Config) *origins {
	var exact []string
	if cfg.FrontendURL != "" {
		exact = append(exact, strings.TrimSuffix(cfg.FrontendURL, "/"))
	}
	exact = append(exact, cfg.AllowedOrigins...)
	if len(exact) == 0 && cfg.AllowedOriginPattern == "" {
		exact = devOrigins
	}
	return newOrigins(exact, cfg.AllowedOriginPattern)
}

// Access tokens name this service as issuer and audience.
const (
	tokenIssuer   = "hiremebahamas"
	tokenAudience = "hiremebahamas-api"
	tokenLeeway   = 30 * time.Second
)

// newTokens signs with JWT_SECRET_KEY and still accepts the previous keys.
// Without a key (development only; production refuses to start) a random
// one is used and sessions end with the process.
func newTokens(cfg config.Config, log *slog.Logger) (*auth.Tokens, error) {
	secret := cfg.JWTSecretKey
	if secret == "" {
		log.Warn("JWT_SECRET_KEY is unset: signing with a random key, so sessions end when the process stops")
		secret = rand.Text() + rand.Text()
	}
	previous := make([]auth.Key, 0, len(cfg.JWTPreviousKeys))
	for _, k := range cfg.JWTPreviousKeys {
		previous = append(previous, auth.KeyFromSecret(k))
	}
	return auth.NewTokens(auth.TokenConfig{
		Issuer: tokenIssuer, Audience: tokenAudience, TTL: cfg.AccessTokenTTL, Leeway: tokenLeeway,
		Current: auth.KeyFromSecret(secret), Previous: previous,
	})
}

// Addr is the address serving REST and gRPC.
func (a *App) Addr() net.Addr { return a.split.root.Addr() }

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
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	a.life.start()
	serve("grpc", func() error { return a.grpc.Serve(a.split.grpc) })
	if a.grpcLis != nil {
		serve("grpc-only listener", func() error { return a.grpc.Serve(a.grpcLis) })
	}
	serve("http", func() error { return a.http.Serve(a.split.http) })
	serve("listener", a.split.serve)
	if a.metrics != nil {
		serve("metrics listener", a.metrics.serve)
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
			a.store.WatchJobs(watchCtx, a.watchOptions(), a.jobs.changedInDatabase)
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

	a.life.drain()
	a.log.Info("shutting down: health is NOT_SERVING; draining", "drain_delay", a.cfg.DrainDelay, "grace", a.cfg.ShutdownTimeout)
	select {
	case <-time.After(a.cfg.DrainDelay):
	case <-deadline.Done():
	}

	a.life.endStreams()
	_ = a.split.close()
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
	// The cache follows other instances' writes while any request may read it.
	a.endWatch()
	// Metrics stay scrapable while traffic drains; buffered spans are sent
	// once the last request has ended.
	a.metrics.shutdown(deadline)
	if err := a.tracing.close(deadline); err != nil {
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
		_ = a.split.close()
	}
	if a.grpcLis != nil {
		_ = a.grpcLis.Close()
	}
	a.metrics.close()
	if a.store != nil {
		a.store.Close()
	}
	// After a Run this finds nothing left to send.
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.tracing.close(flush)
}
