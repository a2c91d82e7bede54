package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/store"
)

// hammer runs the readiness query from several goroutines at once, as
// requests do, and returns the errors.
func hammer(s *store.Store, calls int) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range calls / 8 {
				if _, err := s.Check(context.Background()); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

func ready(t *testing.T, s *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.WaitReady(ctx, false)
	if ctx.Err() != nil {
		t.Fatal("the database did not become ready")
	}
}

// Without an exec mode in DATABASE_URL, named statements are used where the
// database is reached directly and unnamed ones behind a transaction-mode
// pooler; an exec mode in the URL is left alone.
func TestExecModeFollowsTheConnection(t *testing.T) {
	t.Parallel()
	direct := pgtest.NewDatabase(t)
	pooled := pgtest.StartPgBouncer(t, direct).URL
	for _, tc := range []struct {
		name  string
		url   string
		named bool
	}{
		{"direct", direct, true},
		{"through PgBouncer in transaction mode", pooled, false},
		{"exec mode in the URL", direct + "&default_query_exec_mode=exec", false},
		{"exec mode in the URL, through PgBouncer", pooled + "&default_query_exec_mode=simple_protocol", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(tc.url, "?") {
				t.Fatalf("test URL %q has no query", tc.url)
			}
			s := open(t, tc.url)
			ready(t, s)
			if got := s.NamedStatements(); got != tc.named {
				t.Errorf("named statements: %v; want %v", got, tc.named)
			}
			if errs := hammer(s, 400); len(errs) > 0 {
				t.Errorf("%d of 400 queries failed, the first: %v", len(errs), errs[0])
			}
		})
	}
}

// Should a pooler get past the probe, the statements it loses move the pool
// to unnamed ones: a few queries fail, and then none, and the readiness
// check does not go on reporting a mismatch that has been put right.
func TestExecModeFallsBackBehindAPooler(t *testing.T) {
	t.Parallel()
	s := open(t, pgtest.StartPgBouncer(t, pgtest.NewDatabase(t)).URL)
	ready(t, s)
	s.UseNamedStatements()
	for i := 0; s.NamedStatements(); i++ {
		if i == 50 {
			t.Fatal("still on named statements after 50 rounds of queries through the pooler")
		}
		for _, err := range hammer(s, 80) {
			if r := reasonOf(err); r != "DATABASE_POOLER_MISMATCH" {
				t.Fatalf("a query failed with %v (reason %q); want DATABASE_POOLER_MISMATCH", err, r)
			}
		}
	}
	// Connections made before the move are replaced as they come back.
	eventually(t, func() bool { return len(hammer(s, 80)) == 0 })
	if errs := hammer(s, 400); len(errs) > 0 {
		t.Errorf("%d of 400 queries failed after the move, the first: %v", len(errs), errs[0])
	}
}

// eventually waits up to ten seconds for cond.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("not within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
