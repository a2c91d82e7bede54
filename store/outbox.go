package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// Outbox inserts background jobs within one of the store's transactions:
// a job exists if and only if the change that causes it commits. The queue
// implements it (package queue).
type Outbox interface {
	InsertTx(ctx context.Context, tx pgx.Tx, jobs []domain.Task) error
}

// SetOutbox gives the store its queue. Set it before serving.
func (s *Store) SetOutbox(o Outbox) { s.outbox = o }

var errNoOutbox = errors.New("store: a background job was asked for, but no queue is set")

// inTxJobs runs fn in a transaction and inserts the jobs it returns in the
// same transaction.
func (s *Store) inTxJobs(ctx context.Context, fn func(q *db.Queries) ([]domain.Task, error)) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return interpretError(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	jobs, err := fn(s.queries.WithTx(tx))
	if err != nil {
		return interpretError(err)
	}
	if len(jobs) > 0 {
		if s.outbox == nil {
			return errNoOutbox
		}
		if err := s.outbox.InsertTx(ctx, tx, jobs); err != nil {
			return interpretError(err)
		}
	}
	return interpretError(tx.Commit(ctx))
}

// Enqueue inserts jobs that no other change goes with.
func (s *Store) Enqueue(ctx context.Context, jobs ...domain.Task) error {
	return s.inTxJobs(ctx, func(*db.Queries) ([]domain.Task, error) { return jobs, nil })
}

// QueuePool returns the pool the job queue works over, and whether it may
// LISTEN: a pool of its own over DATABASE_DIRECT_URL when there is one,
// sized for size workers, else the store's own pool, which may be behind a
// transaction pooler and so is polled. The caller closes a pool of its own
// (own is true).
func (s *Store) QueuePool(ctx context.Context, size int) (pool *pgxpool.Pool, own bool, err error) {
	if s.direct == nil {
		return s.pool, false, nil
	}
	cfg := s.direct.Copy()
	cfg.MinConns, cfg.MaxConns = 0, int32(max(4, size+2))
	pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, false, fmt.Errorf("the job queue's pool over DATABASE_DIRECT_URL: %w", err)
	}
	return pool, true, nil
}
