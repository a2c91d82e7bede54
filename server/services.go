package server

import (
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/config"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/gateway"
	"github.com/hiremebahamas/api/server/service"
	"github.com/hiremebahamas/api/store"
)

// registered is one service: its implementation, registered once on the
// network gRPC server and on the gateway's in-process channel, and its REST
// routes.
type registered struct {
	desc *grpc.ServiceDesc
	impl any
	rest gateway.Register
}

// newServices builds every service the App answers. A new RPC of one of
// them needs nothing here; a new service, one row.
func newServices(cfg config.Config, st *store.Store, life *service.Lifecycle, jobs *service.JobServer, tokens *auth.Tokens, links *auth.LinkSigner, log *slog.Logger) []registered {
	authServer := service.NewAuthServer(st, service.AuthOptions{
		Hasher: auth.NewHasher(auth.DefaultParams, 0), Tokens: tokens, Log: log,
		Sessions: store.SessionLifetimes{Idle: cfg.RefreshIdleTTL, Absolute: cfg.RefreshAbsoluteTTL},
		Limits: store.LoginLimits{Window: cfg.LoginWindow, MaxPerAccount: cfg.LoginMaxFailures,
			MaxPerAddress: cfg.LoginMaxPerAddress, AddressInterval: cfg.LoginAddressInterval},
	})
	return []registered{
		{&hmbv1.HealthService_ServiceDesc, service.NewHealthServer(life, st, cfg.DBCheckTimeout, log),
			gateway.Client(hmbv1.RegisterHealthServiceHandlerClient, hmbv1.NewHealthServiceClient)},
		{&hmbv1.AuthService_ServiceDesc, authServer,
			gateway.Client(hmbv1.RegisterAuthServiceHandlerClient, hmbv1.NewAuthServiceClient)},
		{&hmbv1.UserService_ServiceDesc, service.NewUserServer(st, links),
			gateway.Client(hmbv1.RegisterUserServiceHandlerClient, hmbv1.NewUserServiceClient)},
		{&hmbv1.JobService_ServiceDesc, jobs,
			gateway.Client(hmbv1.RegisterJobServiceHandlerClient, hmbv1.NewJobServiceClient)},
		{&hmbv1.SavedSearchService_ServiceDesc, service.NewSavedSearchServer(st),
			gateway.Client(hmbv1.RegisterSavedSearchServiceHandlerClient, hmbv1.NewSavedSearchServiceClient)},
	}
}

// restServices are the gateway's view of the services.
func restServices(list []registered) []gateway.Service {
	out := make([]gateway.Service, 0, len(list))
	for _, r := range list {
		out = append(out, gateway.Service{Name: r.desc.ServiceName, Register: r.rest})
	}
	return out
}

// registerAll puts the services on the network gRPC server, with the gRPC
// health protocol and reflection.
func registerAll(srv *grpc.Server, services []registered, health grpc_health_v1.HealthServer) {
	for _, svc := range services {
		srv.RegisterService(svc.desc, svc.impl)
	}
	grpc_health_v1.RegisterHealthServer(srv, health)
	reflection.Register(srv)
}
