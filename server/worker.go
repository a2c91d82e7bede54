package server

import (
	"context"
	"log/slog"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/queue"
	"github.com/hiremebahamas/api/server/telemetry"
	"github.com/hiremebahamas/api/store"
)

// Worker is a process that works background jobs and serves nothing but
// its metrics: `hiremebahamas worker`, for operators who scale the work
// apart from the API.
type Worker struct {
	cfg     config.Config
	log     *slog.Logger
	store   *store.Store
	metrics *telemetry.Metrics
	queue   *queue.Queue
	release func()
}

// NewWorker builds a worker process. It does not wait for the database.
func NewWorker(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *Worker, err error) {
	w := &Worker{cfg: cfg, log: log, release: func() {}}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	if w.store, err = store.Open(store.Options{
		DatabaseURL: cfg.DatabaseURL, DirectURL: cfg.DatabaseDirectURL, MinConns: 0, MaxConns: max(4, cfg.Workers+2),
		ConnectTimeout: cfg.DBConnectTimeout,
	}, log); err != nil {
		return nil, err
	}
	if w.metrics, err = telemetry.NewMetrics(telemetry.MetricsOptions{
		Addr: cfg.MetricsAddr, ReadHeaderTimeout: cfg.ReadHeaderTimeout, Pool: w.store.PoolCollector(),
	}, log); err != nil {
		return nil, err
	}
	links, err := newLinks(cfg, signingSecret(cfg, log))
	if err != nil {
		return nil, err
	}
	if w.queue, w.release, err = newQueue(ctx, cfg, w.store, w.metrics, links, log); err != nil {
		return nil, err
	}
	return w, nil
}

// Run works jobs once the database is ready and its schema current, until
// ctx ends; then the jobs running get the shutdown grace period to finish.
func (w *Worker) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	if w.metrics != nil {
		go func() { errc <- w.metrics.Serve() }()
	}
	w.store.WaitReady(ctx, false)
	if ctx.Err() == nil {
		// Not ctx itself: its end would cancel the jobs running, which are
		// given the grace period below instead.
		if err := w.queue.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
		w.log.Info("HireMeBahamas worker ready: working background jobs", "workers", w.cfg.Workers)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	stop, cancel := context.WithTimeout(context.Background(), w.cfg.ShutdownTimeout)
	defer cancel()
	if err := w.queue.Stop(stop); err != nil {
		w.log.Warn("jobs still running at the deadline were cancelled; they will be retried", "error", err)
	}
	w.metrics.Shutdown(stop)
	return runErr
}

// Close releases the database pools.
func (w *Worker) Close() {
	w.release()
	w.metrics.Close()
	if w.store != nil {
		w.store.Close()
	}
}
