package server

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/server/interceptor"
	"github.com/hiremebahamas/api/server/listen"
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
		grpc.MaxHeaderListSize(listen.MaxHeaderListBytes),
		grpc.MaxConcurrentStreams(maxStreamsPerConn),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: cfg.GRPCIdleTimeout, Time: keepaliveTime, Timeout: keepaliveTimeout,
			// A client keeps its connections until told otherwise, so without
			// an age the replicas added by a scale-up would get none of it.
			MaxConnectionAge: cfg.GRPCMaxConnectionAge, MaxConnectionAgeGrace: cfg.GRPCMaxConnectionAgeGrace,
		}),
		grpc.ConnectionTimeout(cfg.ReadHeaderTimeout),
		grpc.InTapHandle(interceptor.ReadTimeoutTap(cfg.ReadTimeout)),
	}
}
