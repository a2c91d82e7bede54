package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/queue"
	"github.com/hiremebahamas/api/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// failingAfter inserts the jobs, then fails, so that the transaction they
// were inserted in rolls back.
type failingAfter struct{ q *queue.Queue }

func (f failingAfter) InsertTx(ctx context.Context, tx pgx.Tx, jobs []domain.Task) error {
	if err := f.q.InsertTx(ctx, tx, jobs); err != nil {
		return err
	}
	return errors.New("the change failed after its jobs were inserted")
}

// A job exists if and only if the transaction of the change that causes it
// commits.
func TestJobsCommitWithTheirChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(store.Options{DatabaseURL: url, MaxConns: 4, ConnectTimeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pool, _, err := st.QueuePool(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.New(queue.Options{Pool: pool, PollOnly: true, Store: st, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	jobs := func() int {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	st.SetOutbox(failingAfter{q})
	if err := st.Enqueue(ctx, domain.PasswordChanged{UserID: "0b7a3c2e-1f4d-4a5b-8c6d-7e8f9a0b1c2d"}); err == nil {
		t.Fatal("the failed change reported success")
	}
	if n := jobs(); n != 0 {
		t.Fatalf("%d jobs after a change that rolled back; want 0", n)
	}
	st.SetOutbox(q)
	if err := st.Enqueue(ctx, domain.PasswordChanged{UserID: "0b7a3c2e-1f4d-4a5b-8c6d-7e8f9a0b1c2d"}); err != nil {
		t.Fatal(err)
	}
	if n := jobs(); n != 1 {
		t.Fatalf("%d jobs after a change that committed; want 1", n)
	}
}
