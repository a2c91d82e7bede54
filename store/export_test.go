package store

import (
	"context"
	"encoding/json"

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
