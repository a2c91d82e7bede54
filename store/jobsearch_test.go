package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/store"
)

// On a seeded board, every list and search query the service makes is
// served by an index, never by a sequential scan of jobs.
func TestJobQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := store.Open(store.Options{DatabaseURL: pgtest.NewDatabase(t), MaxConns: 2, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Seed(ctx, store.SeedOptions{Jobs: 30000, Users: 300, PasswordHash: "x", Seed: 1}, func(string) {}); err != nil {
		t.Fatal(err)
	}
	yes := true
	cursor := &domain.JobCursor{Time: time.Now().Add(-24 * time.Hour), Rank: 0.5, Salary: 40000, ID: "00000000-0000-4000-8000-000000000000"}
	for _, tc := range []struct {
		name  string
		f     domain.JobFilter
		order string
		after *domain.JobCursor
	}{
		{"newest", domain.JobFilter{}, domain.OrderNewest, nil},
		{"newest, next page", domain.JobFilter{}, domain.OrderNewest, cursor},
		{"island", domain.JobFilter{Islands: []string{"EXUMA"}}, domain.OrderNewest, nil},
		{"islands, next page", domain.JobFilter{Islands: []string{"EXUMA", "BIMINI"}}, domain.OrderNewest, cursor},
		{"salary order", domain.JobFilter{}, domain.OrderSalary, nil},
		{"salary order, next page", domain.JobFilter{}, domain.OrderSalary, cursor},
		{"search", domain.JobFilter{Query: "bartender"}, domain.OrderRelevance, nil},
		{"search, next page", domain.JobFilter{Query: "dive instructor"}, domain.OrderRelevance, cursor},
		{"search, newest", domain.JobFilter{Query: "software"}, domain.OrderNewest, nil},
		{"prefix search with filters", domain.JobFilter{Query: "nur", Islands: []string{"NEW_PROVIDENCE"}, Remote: &yes}, domain.OrderRelevance, nil},
		{"category and type", domain.JobFilter{Categories: []string{"MARITIME"}, EmploymentTypes: []string{"SEASONAL"}}, domain.OrderNewest, nil},
		{"salary floor", domain.JobFilter{SalaryMin: 60000}, domain.OrderSalary, nil},
	} {
		plan, err := s.SearchPlan(ctx, tc.f, tc.order, tc.after, 21)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if strings.Contains(plan, `"Node Type":"Seq Scan"`) {
			t.Errorf("%s: sequential scan:\n%s", tc.name, plan)
		}
		if !strings.Contains(plan, "jobs_open_") {
			t.Errorf("%s: no jobs index in the plan:\n%s", tc.name, plan)
		}
	}
}
