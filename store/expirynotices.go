package store

import (
	"context"
	"time"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// maxExpiryNotices bounds the notices one sweep queues; the next sweep
// takes the rest.
const maxExpiryNotices = 1000

// QueueExpiryNotices records, and queues in the same transaction, a notice
// for each open job that expires within within and whose employer has not
// been told of that expiry, and returns how many.
func (s *Store) QueueExpiryNotices(ctx context.Context, within time.Duration) (int, error) {
	var n int
	err := s.inTxJobs(ctx, func(q *db.Queries) ([]domain.Task, error) {
		ids, err := q.ClaimExpiringJobs(ctx, db.ClaimExpiringJobsParams{Within: interval(within), MaxJobs: maxExpiryNotices})
		if err != nil {
			return nil, err
		}
		tasks := make([]domain.Task, 0, len(ids))
		for _, id := range ids {
			tasks = append(tasks, domain.JobExpiring{JobID: uuidString(id)})
		}
		n = len(tasks)
		return tasks, nil
	})
	return n, err
}
