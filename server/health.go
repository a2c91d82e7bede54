package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/store"
)

// lifecycle is the instance's serving state, shared by the REST health
// endpoints and the gRPC health protocol. None of it touches the database.
type lifecycle struct {
	serving atomic.Bool
	grpc    *health.Server
	// streamsDone ends open streams (health Watch, reflection), so that
	// they cannot hold up a graceful stop.
	streamsDone chan struct{}
	stopOnce    sync.Once
}

func newLifecycle() *lifecycle {
	return &lifecycle{grpc: health.NewServer(), streamsDone: make(chan struct{})}
}

// track makes the gRPC health service answer for each service registered
// on srv, and for "", the whole process. All start NOT_SERVING.
func (l *lifecycle) track(srv *grpc.Server) {
	l.grpc.SetServingStatus("", grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	for name := range srv.GetServiceInfo() {
		l.grpc.SetServingStatus(name, grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	}
}

// start reports every service SERVING.
func (l *lifecycle) start() {
	l.serving.Store(true)
	l.grpc.Resume()
}

// drain reports NOT_SERVING everywhere, for good: load balancers stop sending
// new traffic while requests in flight finish.
func (l *lifecycle) drain() {
	l.serving.Store(false)
	l.grpc.Shutdown()
}

// endStreams cancels every open stream.
func (l *lifecycle) endStreams() { l.stopOnce.Do(func() { close(l.streamsDone) }) }

// endableStream gives each stream a context that ends with the server, so
// that long-lived streams that honour it, such as health Watch, close at
// shutdown instead of holding the graceful stop until its deadline. Handlers
// blocked reading from the client (reflection) are cut off at the deadline.
func endableStream(done <-chan struct{}) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, cancel := context.WithCancel(ss.Context())
		defer cancel()
		go func() {
			select {
			case <-done:
				cancel()
			case <-ctx.Done():
			}
		}()
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
}

// HealthServer implements hiremebahamas.v1.HealthService.
type HealthServer struct {
	hmbv1.UnimplementedHealthServiceServer
	life         *lifecycle
	store        *store.Store
	checkTimeout time.Duration
	log          *slog.Logger
}

var _ hmbv1.HealthServiceServer = (*HealthServer)(nil)

func (h *HealthServer) CheckLiveness(context.Context, *hmbv1.CheckLivenessRequest) (*hmbv1.CheckLivenessResponse, error) {
	return &hmbv1.CheckLivenessResponse{Status: "alive"}, nil
}

func (h *HealthServer) CheckServing(context.Context, *hmbv1.CheckServingRequest) (*hmbv1.CheckServingResponse, error) {
	if !h.life.serving.Load() {
		return nil, withReason(codes.Unavailable, "SHUTTING_DOWN", "this instance is shutting down").Err()
	}
	return &hmbv1.CheckServingResponse{Status: "healthy"}, nil
}

func (h *HealthServer) CheckDatabase(ctx context.Context, _ *hmbv1.CheckDatabaseRequest) (*hmbv1.CheckDatabaseResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, h.checkTimeout)
	defer cancel()
	res, err := h.store.Check(ctx)
	if err != nil {
		return nil, h.notReady(err)
	}
	stats := h.store.Stats()
	return &hmbv1.CheckDatabaseResponse{
		Status:            "ready",
		LatencyMs:         float64(res.Latency.Microseconds()) / 1000,
		SchemaVersion:     res.SchemaVersion,
		PoolTotalConns:    stats.Total,
		PoolAcquiredConns: stats.Acquired,
		PoolMaxConns:      stats.Max,
	}, nil
}

// notReady turns any failed check into UNAVAILABLE: to a readiness probe a
// slow or broken database means the same as an absent one.
func (h *HealthServer) notReady(err error) error {
	var de *domain.Error
	switch {
	case errors.Is(err, domain.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_TIMEOUT",
			"the database did not answer within "+h.checkTimeout.String())
	case errors.Is(err, domain.ErrUnavailable):
		return err
	case errors.As(err, &de):
		return domain.Wrap(err, domain.ErrUnavailable, de.Reason, de.Message)
	case errors.Is(err, context.Canceled):
		return err
	}
	h.log.Warn("database check failed", "error", err)
	return domain.Wrap(err, domain.ErrUnavailable, "DATABASE_ERROR", "the database check failed")
}
