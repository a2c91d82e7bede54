package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/internal/pgtest"
)

// Page tokens are not signed, so a cursor's id is whatever a client put
// there: every keyset list refuses one that is not a UUID as a bad page
// token, and takes one that is.
func TestListsRefuseCursorsWithoutUUID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.NewDatabase(t))
	const someone = "00000000-0000-4000-8000-000000000000"
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	lists := []struct {
		name string
		list func(id string) error
	}{
		{"users", func(id string) error {
			_, err := s.ListUsers(ctx, domain.UserFilter{}, &domain.PageCursor{Time: at, ID: id}, 10)
			return err
		}},
		{"a job's applications", func(id string) error {
			_, err := s.ListJobApplications(ctx, someone, &domain.PageCursor{Time: at, ID: id}, 10)
			return err
		}},
		{"my applications", func(id string) error {
			_, err := s.ListMyApplications(ctx, someone, &domain.PageCursor{Time: at, ID: id}, 10)
			return err
		}},
		{"saved jobs", func(id string) error {
			_, _, err := s.ListSavedJobs(ctx, someone, &domain.PageCursor{Time: at, ID: id}, 10)
			return err
		}},
		{"jobs by time", func(id string) error {
			_, err := s.SearchJobs(ctx, domain.JobFilter{}, domain.OrderNewest, &domain.JobCursor{Time: at, ID: id}, 10)
			return err
		}},
		{"jobs by salary", func(id string) error {
			_, err := s.SearchJobs(ctx, domain.JobFilter{}, domain.OrderSalary, &domain.JobCursor{Salary: 40000, ID: id}, 10)
			return err
		}},
		{"jobs by relevance", func(id string) error {
			_, err := s.SearchJobs(ctx, domain.JobFilter{Query: "chef"}, domain.OrderRelevance, &domain.JobCursor{Rank: 0.5, ID: id}, 10)
			return err
		}},
	}
	for _, l := range lists {
		for _, id := range []string{"' OR 1=1 --", "1", "00000000000040008000000000000000"} {
			if err := l.list(id); !errors.Is(err, domain.ErrInvalid) || reasonOf(err) != "INVALID_PAGE_TOKEN" {
				t.Errorf("%s after cursor id %q: %v; want INVALID_PAGE_TOKEN", l.name, id, err)
			}
		}
		if err := l.list(someone); err != nil {
			t.Errorf("%s after a UUID cursor: %v", l.name, err)
		}
	}
}
