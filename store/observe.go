package store

import (
	"context"
	"strings"

	"github.com/IBM/pgxpoolprometheus"
	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// PoolCollector exports the pool's statistics (connections acquired, idle,
// total and maximum; acquires, waits on an empty pool, time spent waiting,
// cancelled acquires, connections opened and closed) to Prometheus. They are
// read from the pool when scraped, so they cost nothing between scrapes.
func (s *Store) PoolCollector() prometheus.Collector {
	return pgxpoolprometheus.NewCollector(s.pool, nil)
}

// queryTracer makes a span for each query, batch, COPY, connection and pool
// acquire whose context carries a recording span. Query parameters are left
// out: they hold emails, password hashes and tokens.
func queryTracer(tp trace.TracerProvider) pgx.QueryTracer {
	return otelpgx.NewTracer(
		otelpgx.WithTracerProvider(tp),
		// The pool collector already measures the database side in Prometheus.
		otelpgx.WithMeterProvider(noop.NewMeterProvider()),
		otelpgx.WithSpanNameCtxFunc(querySpanName),
	)
}

// querySpanName names a query's span after its sqlc name ("-- name: GetJob
// :one" gives GetJob), which says which query ran while keeping names few;
// other statements are named after their first word, such as SELECT.
func querySpanName(ctx context.Context, sql string) string {
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		if name, _, ok := strings.Cut(rest, " "); ok && name != "" {
			return name
		}
	}
	return otelpgx.SQLOperationName(ctx, sql)
}
