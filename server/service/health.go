package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/buildinfo"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// HealthServer implements hiremebahamas.v1.HealthService.
type HealthServer struct {
	hmbv1.UnimplementedHealthServiceServer
	life         *Lifecycle
	store        *store.Store
	checkTimeout time.Duration
	log          *slog.Logger
	dbCheck      sharedCheck
}

var _ hmbv1.HealthServiceServer = (*HealthServer)(nil)

// NewHealthServer returns the HealthService of an instance in life, whose
// database checks on st take at most checkTimeout.
func NewHealthServer(life *Lifecycle, st *store.Store, checkTimeout time.Duration, log *slog.Logger) *HealthServer {
	return &HealthServer{life: life, store: st, checkTimeout: checkTimeout, log: log}
}

func (h *HealthServer) CheckLiveness(context.Context, *hmbv1.CheckLivenessRequest) (*hmbv1.CheckLivenessResponse, error) {
	return &hmbv1.CheckLivenessResponse{Status: "alive"}, nil
}

func (h *HealthServer) CheckServing(context.Context, *hmbv1.CheckServingRequest) (*hmbv1.CheckServingResponse, error) {
	if !h.life.serving.Load() {
		return nil, rpc.WithReason(codes.Unavailable, "SHUTTING_DOWN", "this instance is shutting down").Err()
	}
	return &hmbv1.CheckServingResponse{Status: "healthy"}, nil
}

// CheckDatabase answers from the database check that is running or that
// ended less than dbCheckReuse ago, whoever asked for it: probes are never
// rate-limited, and they must not be a way to flood the database. The pool's
// figures are read anew for each answer.
func (h *HealthServer) CheckDatabase(ctx context.Context, _ *hmbv1.CheckDatabaseRequest) (*hmbv1.CheckDatabaseResponse, error) {
	res, err := h.dbCheck.do(ctx, h.checkDatabase)
	if err != nil {
		return nil, err
	}
	stats := h.store.Stats()
	return &hmbv1.CheckDatabaseResponse{
		Status:            "ready",
		LatencyMs:         float64(res.Latency.Microseconds()) / 1000,
		SchemaVersion:     res.SchemaVersion,
		PoolTotalConns:    stats.Total,
		PoolAcquiredConns: stats.Acquired,
		PoolMaxConns:      stats.Max,
		Build:             buildInfo,
	}, nil
}

// buildInfo is read once: it cannot change while the process runs.
var buildInfo = buildInfoProto(buildinfo.Read())

func buildInfoProto(b buildinfo.Info) *hmbv1.BuildInfo {
	p := &hmbv1.BuildInfo{Version: b.Version, Commit: b.CommitOrUnknown(), Dirty: b.Dirty, GoVersion: b.GoVersion}
	if !b.CommitTime.IsZero() {
		p.CommitTime = timestamppb.New(b.CommitTime)
	}
	if !b.BuildTime.IsZero() {
		p.BuildTime = timestamppb.New(b.BuildTime)
	}
	return p
}

// checkDatabase runs one check within the check timeout.
func (h *HealthServer) checkDatabase(ctx context.Context) (store.Health, error) {
	ctx, cancel := context.WithTimeout(ctx, h.checkTimeout)
	defer cancel()
	res, err := h.store.Check(ctx)
	if err != nil {
		return store.Health{}, h.notReady(err)
	}
	return res, nil
}

// dbCheckReuse is how long the outcome of a database check, success or
// failure, answers every caller: at most about one check a second reaches
// the database however many probes arrive, and an answer is never older
// than any probe's period. It is a constant rather than a share of
// DB_CHECK_TIMEOUT: how long a check may take says nothing about how long
// its answer stays true.
const dbCheckReuse = time.Second

// sharedCheck runs one check at a time for all its callers and keeps the
// outcome for dbCheckReuse. The zero value is ready to use.
type sharedCheck struct {
	flight singleflight.Group
	mu     sync.Mutex
	last   checkOutcome
}

type checkOutcome struct {
	health store.Health
	err    error
	at     time.Time // when the check ended; zero before the first
}

// do returns a fresh enough outcome, or joins or starts a check by run.
// The check runs detached from the caller that starts it, so that the
// callers who joined it are not let down when that one gives up; a caller
// whose context ends stops waiting.
func (c *sharedCheck) do(ctx context.Context, run func(context.Context) (store.Health, error)) (store.Health, error) {
	if last, ok := c.recent(); ok {
		return last.health, last.err
	}
	done := c.flight.DoChan("", func() (any, error) {
		// Another check may have ended between recent and here.
		if last, ok := c.recent(); ok {
			return last, nil
		}
		health, err := run(context.WithoutCancel(ctx))
		out := checkOutcome{health: health, err: err, at: time.Now()}
		c.mu.Lock()
		c.last = out
		c.mu.Unlock()
		return out, nil
	})
	select {
	case res := <-done:
		out := res.Val.(checkOutcome)
		return out.health, out.err
	case <-ctx.Done():
		return store.Health{}, ctx.Err()
	}
}

func (c *sharedCheck) recent() (checkOutcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, !c.last.at.IsZero() && time.Since(c.last.at) < dbCheckReuse
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
