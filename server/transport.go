package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/tap"

	"github.com/hiremebahamas/api/config"
)

// What one client may hold of the two servers, whoever it is: connections,
// streams on one connection, header bytes, and the time to send a request.
// Everything here is enforced before authentication.

// maxStreamsPerConn bounds the concurrent streams of one HTTP/2 connection,
// gRPC or REST; clients queue calls beyond it.
const maxStreamsPerConn = 100

// Keepalive pings find gRPC peers that vanished while calls were open.
const (
	keepaliveTime    = time.Minute
	keepaliveTimeout = 20 * time.Second
)

// grpcLimits are the options of the network gRPC server that bound what a
// client may hold.
func grpcLimits(cfg config.Config) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.GRPCMaxMsgBytes),
		grpc.MaxHeaderListSize(maxHeaderListBytes),
		grpc.MaxConcurrentStreams(maxStreamsPerConn),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: cfg.GRPCIdleTimeout, Time: keepaliveTime, Timeout: keepaliveTimeout,
			// A client keeps its connections until told otherwise, so without
			// an age the replicas added by a scale-up would get none of it.
			MaxConnectionAge: cfg.GRPCMaxConnectionAge, MaxConnectionAgeGrace: cfg.GRPCMaxConnectionAgeGrace,
		}),
		grpc.ConnectionTimeout(cfg.ReadHeaderTimeout),
		grpc.InTapHandle(requestReadTap(cfg.ReadTimeout)),
	}
}

// newHTTPServer serves REST with the same bounds: headers within
// ReadHeaderTimeout and MaxHeaderBytes, the whole request within
// ReadTimeout, and for cleartext HTTP/2 as many streams as gRPC allows.
func newHTTPServer(h http.Handler, cfg config.Config, log *slog.Logger) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		Protocols:         &protocols,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
		MaxHeaderBytes:    maxHeaderListBytes,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: maxStreamsPerConn,
			// A client may not send frames larger than this until told
			// otherwise; net/http would otherwise offer 1 MiB.
			MaxReadFrameSize: maxSniffFrameBytes,
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// limitConns bounds the open connections of a listener: at the bound it
// stops accepting, and the kernel's backlog holds newcomers until one
// closes. (x/net's netutil.LimitListener does the same, but its connections
// hide CloseWrite, which net/http needs to deliver a refusal of oversized
// headers before closing.)
func limitConns(l net.Listener, n int) net.Listener {
	return &connLimit{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type connLimit struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *connLimit) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when closed, once.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func (c *limitedConn) CloseWrite() error { return closeWrite(c.Conn) }

// errRequestTooSlow ends a gRPC call whose request message did not arrive
// within READ_TIMEOUT.
var errRequestTooSlow = errors.New("the request message did not arrive in time")

type readTimerKey struct{}

// requestReadTap gives every network gRPC call timeout to deliver its
// request message. grpc-go reads a unary request before any interceptor runs
// and has no timeout of its own for it, so a client trickling a message a
// byte at a time would hold its stream forever. The context returned here is
// the one the stream reads under; requestArrivedUnary and
// requestArrivedStream stop the clock once the message is in.
func requestReadTap(timeout time.Duration) tap.ServerInHandle {
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
