package service

import (
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// Lifecycle is the instance's serving state, shared by the REST health
// endpoints and the gRPC health protocol. None of it touches the database.
type Lifecycle struct {
	serving atomic.Bool
	grpc    *health.Server
	// streamsDone ends open streams (health Watch, reflection), so that
	// they cannot hold up a graceful stop.
	streamsDone chan struct{}
	stopOnce    sync.Once
}

// NewLifecycle returns the state of an instance that has not started.
func NewLifecycle() *Lifecycle {
	return &Lifecycle{grpc: health.NewServer(), streamsDone: make(chan struct{})}
}

// Track makes the gRPC health service answer for each service registered
// on srv, and for "", the whole process. All start NOT_SERVING.
func (l *Lifecycle) Track(srv *grpc.Server) {
	l.grpc.SetServingStatus("", grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	for name := range srv.GetServiceInfo() {
		l.grpc.SetServingStatus(name, grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	}
}

// Start reports every service SERVING.
func (l *Lifecycle) Start() {
	l.serving.Store(true)
	l.grpc.Resume()
}

// Drain reports NOT_SERVING everywhere, for good: load balancers stop sending
// new traffic while requests in flight finish.
func (l *Lifecycle) Drain() {
	l.serving.Store(false)
	l.grpc.Shutdown()
}

// EndStreams cancels every open stream.
func (l *Lifecycle) EndStreams() { l.stopOnce.Do(func() { close(l.streamsDone) }) }

// StreamsDone closes when open streams must end.
func (l *Lifecycle) StreamsDone() <-chan struct{} { return l.streamsDone }

// Health is the gRPC health service reporting this state.
func (l *Lifecycle) Health() grpc_health_v1.HealthServer { return l.grpc }
