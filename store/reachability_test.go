package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// While the database is taken to be down, queries fail at once with
// DATABASE_UNAVAILABLE, but for one a second, which tries; the first that
// is answered ends it.
func TestQueriesFailAtOnceWhileUnreachable(t *testing.T) {
	t.Parallel()
	s := open(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	if _, err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	s.MarkUnreachable()
	// The mark's own moment counts as a try: the next second's queries are
	// refused without reaching the database.
	for range 20 {
		if _, err := s.Check(ctx); reasonOf(err) != "DATABASE_UNAVAILABLE" {
			t.Fatalf("a query while unreachable: %v; want DATABASE_UNAVAILABLE", err)
		}
		if _, err := s.JobStats(ctx); reasonOf(err) != "DATABASE_UNAVAILABLE" {
			t.Fatalf("a query while unreachable: %v; want DATABASE_UNAVAILABLE", err)
		}
	}
	if !s.Unreachable() {
		t.Fatal("refused queries ended the outage")
	}
	// A try a second later reaches the database, which answers.
	deadline := time.Now().Add(5 * time.Second)
	for s.Unreachable() {
		if time.Now().After(deadline) {
			t.Fatal("still unreachable 5s later, with the database up")
		}
		_, _ = s.Check(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := s.Check(ctx); err != nil {
		t.Errorf("a query after the database answered again: %v", err)
	}
}

// Behind a transaction-mode pooler a query sent once the database has gone
// waits in the pooler's queue; when the database is found unreachable it is
// cut off with DATABASE_UNAVAILABLE.
func TestWaitingQueriesCutOffWhenUnreachable(t *testing.T) {
	t.Parallel()
	c := pgtest.StartCluster(t)
	s := open(t, pgtest.StartPgBouncer(t, c.URL()).URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.WaitReady(ctx, true)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	answer := make(chan error, 1)
	go func() {
		_, err := s.JobStats(ctx)
		answer <- err
	}()
	select {
	case err := <-answer:
		t.Fatalf("the pooler answered at once (%v); this test needs it to queue the query", err)
	case <-time.After(500 * time.Millisecond):
	}
	s.MarkUnreachable()
	select {
	case err := <-answer:
		if reasonOf(err) != "DATABASE_UNAVAILABLE" {
			t.Errorf("a query cut off: %v; want DATABASE_UNAVAILABLE", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting query went on waiting after the database was found unreachable")
	}
}
