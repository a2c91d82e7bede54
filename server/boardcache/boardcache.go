// Package boardcache keeps the board's public answers for a few seconds,
// fresh, then stale while one load replaces them, each loaded once however
// many callers ask at once. It knows nothing of HTTP: with each answer it
// keeps a memo in which the REST edge stores the answer's encodings.
package boardcache

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"
	"google.golang.org/protobuf/proto"

	"github.com/hiremebahamas/api/server/rpc"
)

// Cache keeps the board's public answers (open jobs, the job list and
// its searches) for a few seconds. They are the same for every visitor, and
// a popular search ranks thousands of rows: computing it once per interval,
// however many visitors ask at once, keeps the database free for the rest.
//
// A write through this instance either forgets the one key it changed or
// starts a new generation of all of them, so the instance that took a write
// never serves what it replaced. Other instances do the same when the
// database tells them of the write (store.WatchJobs), within milliseconds
// when they listen and a poll interval when they poll; should word never
// come, an answer is still at most boardTTL+boardStale old, well inside
// what the public Cache-Control already lets a CDN keep. Cached values are
// shared and must only be read.
//
// Memory is bounded: at most size answers, none larger than maxBytes, and an
// answer is kept only when its key is asked for a second time within
// boardSeen, so that one-off searches do not push out the popular ones.
type Cache[V proto.Message] struct {
	entries  *expirable.LRU[string, cached[V]]
	seen     *expirable.LRU[string, struct{}]
	changed  *expirable.LRU[string, time.Time] // keys forgotten, and when
	flights  singleflight.Group
	gen      *atomic.Uint64
	maxBytes int
	fresh    time.Duration // boardTTL; shorter in tests
}

// cached is an answer and the memo of its encodings, which live and die
// together.
type cached[V proto.Message] struct {
	v          V
	memo       *rpc.Memo
	freshUntil time.Time
	refreshing *atomic.Bool
}

const (
	// boardTTL is how long a public answer is served as it is.
	boardTTL = 5 * time.Second
	// boardStale is how much longer a shared answer may be served while
	// one request's worth of work replaces it in the background, so that
	// nobody waits when a popular answer expires.
	boardStale = 5 * time.Second
	// boardSeen is how long a key asked for once is remembered.
	boardSeen = time.Minute
)

// New returns a cache of at most size answers of at most maxBytes each,
// whose generation is gen: adding one to it forgets every answer.
func New[V proto.Message](size, maxBytes int, gen *atomic.Uint64) *Cache[V] {
	return &Cache[V]{
		entries: expirable.NewLRU[string, cached[V]](size, nil, boardTTL+boardStale),
		seen:    expirable.NewLRU[string, struct{}](8*size, nil, boardSeen),
		changed: expirable.NewLRU[string, time.Time](4096, nil, refreshTimeout+boardTTL),
		gen:     gen, maxBytes: maxBytes, fresh: boardTTL,
	}
}

// Slot is where an answer is to be added: its key under the generation
// current before the answer was read, and when that was, so that an answer
// read before a write is never served after it.
type Slot struct {
	key string
	at  time.Time
}

func (c *Cache[V]) slotFor(key string) Slot {
	return Slot{key: strconv.FormatUint(c.gen.Load(), 36) + "/" + key, at: time.Now()}
}

// Lookup returns the fresh cached answer for key, or the slot under which
// to add one.
func (c *Cache[V]) Lookup(ctx context.Context, key string) (v V, ok bool, at Slot) {
	at = c.slotFor(key)
	e, ok := c.entries.Get(at.key)
	if ok && at.at.Before(e.freshUntil) {
		rpc.ShareReply(ctx, e.v, e.memo)
		return e.v, true, at
	}
	return v, false, at
}

// Forget drops key's answer after a write that changed it alone; an answer
// being read meanwhile is not kept.
func (c *Cache[V]) Forget(key string) {
	k := c.slotFor(key).key
	c.changed.Add(k, time.Now())
	c.entries.Remove(k)
}

// Add caches v, the answer to ctx's request, if it is small enough and its
// key was asked for before.
func (c *Cache[V]) Add(ctx context.Context, at Slot, v V) {
	if when, ok := c.changed.Get(at.key); ok && !when.Before(at.at) {
		return // changed while it was read
	}
	if _, again := c.seen.Get(at.key); !again {
		c.seen.Add(at.key, struct{}{})
		return
	}
	if proto.Size(v) > c.maxBytes {
		return
	}
	e := cached[V]{v: v, memo: &rpc.Memo{}, freshUntil: time.Now().Add(c.fresh), refreshing: new(atomic.Bool)}
	c.entries.Add(at.key, e)
	rpc.ShareReply(ctx, v, e.memo)
}

// Shared returns the cached answer for key, or computes it with load once
// for all concurrent callers. Only for answers that do not depend on who
// asks. A load that fails is not cached.
//
// An answer past its freshness but not yet discarded is served as it is
// while one background load replaces it.
func (c *Cache[V]) Shared(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	at := c.slotFor(key)
	if e, ok := c.entries.Get(at.key); ok {
		if at.at.After(e.freshUntil) && e.refreshing.CompareAndSwap(false, true) {
			go c.refresh(key, load)
		}
		rpc.ShareReply(ctx, e.v, e.memo)
		return e.v, nil
	}
	// The shared load must not end because the caller who started it left;
	// it keeps that caller's deadline.
	loadCtx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		loadCtx, cancel = context.WithDeadline(loadCtx, deadline)
		defer cancel()
	}
	got, err := c.loadAndKeep(loadCtx, at, load)
	if err != nil {
		var zero V
		return zero, err
	}
	v := got.(V)
	if e, ok := c.entries.Peek(at.key); ok && proto.Message(e.v) == proto.Message(v) {
		rpc.ShareReply(ctx, v, e.memo)
	}
	return v, nil
}

// refreshTimeout bounds a background refresh, which has no caller's
// deadline to keep.
const refreshTimeout = 10 * time.Second

// refresh replaces a stale answer. If the load fails, the stale answer is
// served until it is discarded, and the next request after that loads it.
func (c *Cache[V]) refresh(key string, load func(context.Context) (V, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	_, _ = c.loadAndKeep(ctx, c.slotFor(key), load)
}

// loadAndKeep runs load once for all concurrent callers of the Slot and
// adds what it returns.
func (c *Cache[V]) loadAndKeep(ctx context.Context, at Slot, load func(context.Context) (V, error)) (any, error) {
	got, err, _ := c.flights.Do(at.key, func() (any, error) {
		v, err := load(ctx)
		if err == nil {
			c.Add(ctx, at, v)
		}
		return v, err
	})
	return got, err
}
