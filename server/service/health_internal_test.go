package service

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/hiremebahamas/api/store"
)

// The caller that starts a shared database check may give up; the check
// goes on, and the callers after it get its outcome.
func TestSharedCheckOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	var c sharedCheck
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	// The first check waits until its caller has given up; a check whose
	// context ended fails, as a query would.
	run := func(ctx context.Context) (store.Health, error) {
		if runs.Add(1) == 1 {
			close(started)
			<-release
		}
		return store.Health{SchemaVersion: 7}, ctx.Err()
	}

	first, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, err := c.do(first, run)
		firstDone <- err
	}()
	<-started
	cancel()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up got %v; want context.Canceled", err)
	}
	close(release)
	if h, err := c.do(context.Background(), run); err != nil || h.SchemaVersion != 7 {
		t.Errorf("the next caller got %+v, %v; want the check's outcome, schema 7", h, err)
	}
}
