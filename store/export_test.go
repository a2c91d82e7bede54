package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/domain"
)

// SearchPlan returns PostgreSQL's plan, as JSON, for the query SearchJobs
// would run.
func (s *Store) SearchPlan(ctx context.Context, f domain.JobFilter, order string, after *domain.JobCursor, limit int) (string, error) {
	sql, args, err := searchSQL(f, order, after, limit)
	if err != nil {
		return "", err
	}
	var plan []map[string]any
	if err := s.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		return "", err
	}
	b, err := json.Marshal(plan)
	return string(b), err
}

// NamedStatements reports whether DATABASE_URL's new connections use named
// cached statements.
func (s *Store) NamedStatements() bool { return s.exec != nil && s.exec.named() }

// UseNamedStatements moves the pool to named statements as if a probe had
// found the database direct.
func (s *Store) UseNamedStatements() {
	s.exec.probed.Store(true)
	s.exec.current.Store(int32(pgx.QueryExecModeCacheStatement))
}

// MarkUnreachable takes the database to be down, as the watch does when it
// cannot reach it.
func (s *Store) MarkUnreachable() { s.reach.lost("test") }

// Unreachable reports whether the database is taken to be down.
func (s *Store) Unreachable() bool { return s.reach.down.Load() }
