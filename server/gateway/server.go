// Package gateway is the HTTP edge: everything that knows net/http and
// grpc-gateway. REST requests pass the middleware onion listed in New, then
// grpc-gateway's mux, which calls the services through a
// grpc.ClientConnInterface (the in-process channel), so that they run the
// same interceptors as gRPC calls.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/hiremebahamas/api/server/listen"
	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/rpc"
)

// Options are what the HTTP edge needs.
type Options struct {
	// Conn reaches the services.
	Conn grpc.ClientConnInterface
	// Services are those with REST bindings.
	Services []Service
	// Methods is the table of every RPC: public reads, rate buckets,
	// probes.
	Methods rpc.Methods
	Limits  *ratelimit.Limits
	// Origins browsers may call from, exactly, and an optional pattern
	// with one *.
	Origins       []string
	OriginPattern string
	Cookie        CookieOptions

	RequestTimeout    time.Duration
	MaxBodyBytes      int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// MaxStreamsPerConn bounds the concurrent streams of one cleartext
	// HTTP/2 connection.
	MaxStreamsPerConn uint32

	// Observe, when set, is told of every request once it is answered (see
	// httpOptions.observe).
	Observe func(ctx context.Context, method, route string, status int, elapsed time.Duration)
	// Wrap, when set, wraps the whole handler (tracing's server span).
	Wrap func(http.Handler) http.Handler
}

// Server serves REST.
type Server struct{ http *http.Server }

// New builds the HTTP edge. The onion, outermost first: Wrap, then
// withMiddleware (security headers, request id, log line, deadline, body
// limit, HEAD), CORS, the rate limit, the guard on cross-site writes, the
// API reference, caching and compression, and the gateway's mux.
func New(ctx context.Context, o Options, log *slog.Logger) (*Server, error) {
	routes, err := newRoutes(o.Services)
	if err != nil {
		return nil, err
	}
	mux, err := newMux(ctx, gatewayConn{o.Conn}, o.Services, routes, newRefreshCookie(o.Cookie))
	if err != nil {
		return nil, err
	}
	rest, err := withDocs(withCaching(mux, o.Methods))
	if err != nil {
		return nil, err
	}
	allowed := newOrigins(o.Origins, o.OriginPattern)
	var h http.Handler = withMiddleware(newCORS(allowed).Handler(withRateLimit(guardWrites(allowed, o.Methods, routes, rest), o.Limits, o.Methods, routes)), httpOptions{
		requestTimeout: o.RequestTimeout, maxBodyBytes: o.MaxBodyBytes, observe: o.Observe,
	}, log)
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	// REST has the bounds gRPC has: headers within ReadHeaderTimeout and
	// MaxHeaderBytes, the whole request within ReadTimeout, and for
	// cleartext HTTP/2 as many streams as gRPC allows.
	return &Server{http: &http.Server{
		Handler:           h,
		Protocols:         &protocols,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		IdleTimeout:       o.IdleTimeout,
		WriteTimeout:      o.RequestTimeout + 5*time.Second,
		MaxHeaderBytes:    listen.MaxHeaderListBytes,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: int(o.MaxStreamsPerConn),
			// A client may not send frames larger than this until told
			// otherwise; net/http would otherwise offer 1 MiB.
			MaxReadFrameSize: listen.MaxSniffFrameBytes,
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}, nil
}

// MaxHeaderBytes is the most header bytes a request may send.
func (s *Server) MaxHeaderBytes() int { return s.http.MaxHeaderBytes }

// Serve serves l until Shutdown or Close.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown lets requests in flight finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Close cuts off whatever is left.
func (s *Server) Close() error { return s.http.Close() }

// DevOrigins are the local dev servers' origins (Next.js, Vite), allowed
// when no origin is configured, which only development permits.
var DevOrigins = []string{"http://localhost:3000", "http://localhost:5173", "http://127.0.0.1:3000", "http://127.0.0.1:5173"}

// AllowedOrigins are the origins browsers may call from: the frontend's,
// those listed, or, when there are none and no pattern either, DevOrigins.
func AllowedOrigins(frontendURL string, listed []string, pattern string) []string {
	var exact []string
	if frontendURL != "" {
		exact = append(exact, strings.TrimSuffix(frontendURL, "/"))
	}
	exact = append(exact, listed...)
	if len(exact) == 0 && pattern == "" {
		exact = DevOrigins
	}
	return exact
}
