package boardcache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

func TestBoardCacheLoadsOncePerGeneration(t *testing.T) {
	var gen atomic.Uint64
	c := New[*hmbv1.Job](16, 1<<20, &gen)
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) (*hmbv1.Job, error) {
		loads.Add(1)
		<-release
		return &hmbv1.Job{Title: "Pool Attendant"}, nil
	}

	// Concurrent callers share one load and one answer.
	const callers = 8
	got := make([]*hmbv1.Job, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			j, err := c.Shared(context.Background(), "k", load)
			if err != nil {
				t.Error(err)
			}
			got[i] = j
		})
	}
	for loads.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others join the flight
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads for %d concurrent callers; want 1", n, callers)
	}
	for _, j := range got {
		if j != got[0] {
			t.Fatal("callers got different answers")
		}
	}
	// Asked for again, it is kept; then there is no load.
	for range 3 {
		if _, err := c.Shared(context.Background(), "k", load); err != nil || loads.Load() != 2 {
			t.Errorf("%d loads after asking again, %v; want 2", loads.Load(), err)
		}
	}
	// A new generation loads again.
	gen.Add(1)
	if _, err := c.Shared(context.Background(), "k", load); err != nil || loads.Load() != 3 {
		t.Errorf("after a write: %d loads, %v; want 3", loads.Load(), err)
	}
}

func TestBoardCacheDoesNotKeepFailures(t *testing.T) {
	var gen atomic.Uint64
	c := New[*hmbv1.Job](16, 1<<20, &gen)
	failing := errors.New("database unavailable")
	var loads int
	load := func(context.Context) (*hmbv1.Job, error) {
		loads++
		if loads == 1 {
			return nil, failing
		}
		return &hmbv1.Job{}, nil
	}
	if _, err := c.Shared(context.Background(), "k", load); !errors.Is(err, failing) {
		t.Fatalf("first load: %v", err)
	}
	if _, err := c.Shared(context.Background(), "k", load); err != nil || loads != 2 {
		t.Errorf("second call: %v after %d loads; want a fresh load", err, loads)
	}
}

func TestBoardCacheLoadOutlivesItsCaller(t *testing.T) {
	var gen atomic.Uint64
	c := New[*hmbv1.Job](16, 1<<20, &gen)
	started, release := make(chan struct{}), make(chan struct{})
	load := func(ctx context.Context) (*hmbv1.Job, error) {
		close(started)
		<-release
		return &hmbv1.Job{}, ctx.Err()
	}
	first, leave := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Shared(first, "k", load); done <- err }()
	<-started
	second := make(chan error, 1)
	go func() { _, err := c.Shared(context.Background(), "k", load); second <- err }()
	time.Sleep(20 * time.Millisecond)
	leave()
	close(release)
	if err := <-second; err != nil {
		t.Errorf("the caller who stayed got %v, because the one who started the load left", err)
	}
	<-done
}

func TestBoardCacheKeepsOnlyWhatIsAskedAgainAndSmall(t *testing.T) {
	var gen atomic.Uint64
	c := New[*hmbv1.Job](16, 512, &gen)
	var loads int
	small := func(context.Context) (*hmbv1.Job, error) { loads++; return &hmbv1.Job{Title: "Deckhand"}, nil }
	big := func(context.Context) (*hmbv1.Job, error) {
		loads++
		return &hmbv1.Job{Description: strings.Repeat("x", 1024)}, nil
	}
	c.Shared(context.Background(), "once", small)
	if c.entries.Len() != 0 {
		t.Error("an answer asked for once was kept")
	}
	c.Shared(context.Background(), "once", small)
	c.Shared(context.Background(), "once", small)
	if loads != 2 || c.entries.Len() != 1 {
		t.Errorf("%d loads, %d kept; want 2 loads and the answer kept", loads, c.entries.Len())
	}
	loads = 0
	for range 3 {
		c.Shared(context.Background(), "big", big)
	}
	if loads != 3 || c.entries.Len() != 1 {
		t.Errorf("an answer over the size bound: %d loads, %d kept; want 3 and none", loads, c.entries.Len())
	}
}

func TestBoardCacheServesStaleWhileRefreshing(t *testing.T) {
	var gen atomic.Uint64
	c := New[*hmbv1.Job](16, 1<<20, &gen)
	c.fresh = 50 * time.Millisecond
	var version atomic.Int32
	release := make(chan struct{}, 1)
	load := func(context.Context) (*hmbv1.Job, error) {
		n := version.Add(1)
		if n > 2 {
			<-release // the background refresh waits until told
		}
		return &hmbv1.Job{Title: fmt.Sprint("v", n)}, nil
	}
	c.Shared(context.Background(), "k", load)
	c.Shared(context.Background(), "k", load) // asked again: kept as v2
	time.Sleep(60 * time.Millisecond)
	// Stale: served many times while one refresh runs, which is held until
	// release: a read that waited for it would never end.
	served := make(chan error, 1)
	go func() {
		for range 20 {
			j, err := c.Shared(context.Background(), "k", load)
			if err == nil && j.Title != "v2" {
				err = fmt.Errorf("served %q", j.Title)
			}
			if err != nil {
				served <- err
				return
			}
		}
		served <- nil
	}()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("stale read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stale reads waited for the refresh")
	}
	release <- struct{}{}
	deadline := time.Now().Add(2 * time.Second)
	for {
		j, _ := c.Shared(context.Background(), "k", load)
		if j.Title == "v3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refreshed answer never came: %v", j)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := version.Load(); n != 3 {
		t.Errorf("%d loads; want 3 (one refresh)", n)
	}
}

func TestBoardCacheForgetsOneKey(t *testing.T) {
	c := New[*hmbv1.Job](16, 1<<20, new(atomic.Uint64))
	ctx := context.Background()
	keep := func(key, title string) {
		for range 2 { // asked twice: kept
			if _, ok, at := c.Lookup(ctx, key); !ok {
				c.Add(ctx, at, &hmbv1.Job{Title: title})
			}
		}
	}
	keep("a", "Chef")
	keep("b", "Baker")
	c.Forget("a")
	if _, ok, _ := c.Lookup(ctx, "a"); ok {
		t.Error("a forgotten key is still served")
	}
	if j, ok, _ := c.Lookup(ctx, "b"); !ok || j.Title != "Baker" {
		t.Error("forgetting one key dropped another")
	}
	// An answer read before the write that made it stale is not kept.
	_, _, before := c.Lookup(ctx, "b")
	c.Forget("b")
	c.Add(ctx, before, &hmbv1.Job{Title: "Old Baker"})
	c.Add(ctx, before, &hmbv1.Job{Title: "Old Baker"})
	if j, ok, _ := c.Lookup(ctx, "b"); ok {
		t.Errorf("an answer read before the write was kept: %v", j)
	}
	keep("b", "New Baker")
	if j, ok, _ := c.Lookup(ctx, "b"); !ok || j.Title != "New Baker" {
		t.Errorf("an answer read after the write: %v, %v", j, ok)
	}
}
