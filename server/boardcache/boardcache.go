package server

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"
	"google.golang.org/protobuf/proto"
)

// boardCache keeps the board's public answers (open jobs, the job list and
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
type boardCache[V proto.Message] struct {
	entries  *expirable.LRU[string, cached[V]]
	seen     *expirable.LRU[string, struct{}]
	changed  *expirable.LRU[string, time.Time] // keys forgotten, and when
	flights  singleflight.Group
	gen      *atomic.Uint64
	maxBytes int
	fresh    time.Duration // boardTTL; shorter in tests
}

// cached is an answer and its REST forms, which live and die together.
type cached[V proto.Message] struct {
	v          V
	forms      *restForms
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

func newBoardCache[V proto.Message](size, maxBytes int, gen *atomic.Uint64) *boardCache[V] {
	return &boardCache[V]{
		entries: expirable.NewLRU[string, cached[V]](size, nil, boardTTL+boardStale),
		seen:    expirable.NewLRU[string, struct{}](8*size, nil, boardSeen),
		changed: expirable.NewLRU[string, time.Time](4096, nil, refreshTimeout+boardTTL),
		gen:     gen, maxBytes: maxBytes, fresh: boardTTL,
	}
}

// slot is where an answer is to be added: its key under the generation
// current before the answer was read, and when that was, so that an answer
// read before a write is never served after it.
type slot struct {
	key string
	at  time.Time
}

func (c *boardCache[V]) slotFor(key string) slot {
	return slot{key: strconv.FormatUint(c.gen.Load(), 36) + "/" + key, at: time.Now()}
}

// lookup returns the fresh cached answer for key, or the slot under which
// to add one.
func (c *boardCache[V]) lookup(ctx context.Context, key string) (v V, ok bool, at slot) {
	at = c.slotFor(key)
	e, ok := c.entries.Get(at.key)
	if ok && at.at.Before(e.freshUntil) {
		shareReply(ctx, e.v, e.forms)
		return e.v, true, at
	}
	return v, false, at
}

// forget drops key's answer after a write that changed it alone; an answer
// being read meanwhile is not kept.
func (c *boardCache[V]) forget(key string) {
	k := c.slotFor(key).key
	c.changed.Add(k, time.Now())
	c.entries.Remove(k)
}

// add caches v, the answer to ctx's request, if it is small enough and its
// key was asked for before.
func (c *boardCache[V]) add(ctx context.Context, at slot, v V) {
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
	e := cached[V]{v: v, forms: &restForms{}, freshUntil: time.Now().Add(c.fresh), refreshing: new(atomic.Bool)}
	c.entries.Add(at.key, e)
	shareReply(ctx, v, e.forms)
}

// shared returns the cached answer for key, or computes it with load once
// for all concurrent callers. Only for answers that do not depend on who
// asks. A load that fails is not cached.
//
// An answer past its freshness but not yet discarded is served as it is
// while one background load replaces it.
func (c *boardCache[V]) shared(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	at := c.slotFor(key)
	if e, ok := c.entries.Get(at.key); ok {
		if at.at.After(e.freshUntil) && e.refreshing.CompareAndSwap(false, true) {
			go c.refresh(key, load)
		}
		shareReply(ctx, e.v, e.forms)
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
		shareReply(ctx, v, e.forms)
	}
	return v, nil
}

// refreshTimeout bounds a background refresh, which has no caller's
// deadline to keep.
const refreshTimeout = 10 * time.Second

// refresh replaces a stale answer. If the load fails, the stale answer is
// served until it is discarded, and the next request after that loads it.
func (c *boardCache[V]) refresh(key string, load func(context.Context) (V, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	_, _ = c.loadAndKeep(ctx, c.slotFor(key), load)
}

// loadAndKeep runs load once for all concurrent callers of the slot and
// adds what it returns.
func (c *boardCache[V]) loadAndKeep(ctx context.Context, at slot, load func(context.Context) (V, error)) (any, error) {
	got, err, _ := c.flights.Do(at.key, func() (any, error) {
		v, err := load(ctx)
		if err == nil {
			c.add(ctx, at, v)
		}
		return v, err
	})
	return got, err
}

// restForms is one answer's REST forms, each made when first needed.
type restForms struct {
	mu    sync.Mutex
	json  []byte
	tag   string
	coded map[string][]byte
}

// marshal returns the JSON, made with marshal the first time.
func (enc *restForms) marshal(marshal func() ([]byte, error)) ([]byte, error) {
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if enc.json == nil {
		b, err := marshal()
		if err != nil {
			return nil, err
		}
		enc.json = b
	}
	return enc.json, nil
}

// forBody returns the ETag and the compressed form in coding ("" for none)
// of body, if body is this answer's JSON; ok is false otherwise.
func (enc *restForms) forBody(body []byte, coding string) (tag string, coded []byte, ok bool) {
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if enc.json == nil || !bytes.Equal(enc.json, body) {
		return "", nil, false
	}
	if enc.tag == "" {
		enc.tag = entityTag(body)
	}
	if coding == "" {
		return enc.tag, nil, true
	}
	if c, found := enc.coded[coding]; found {
		return enc.tag, c, true
	}
	var buf bytes.Buffer
	if err := compress(&buf, coding, body); err != nil {
		return "", nil, false
	}
	if enc.coded == nil {
		enc.coded = map[string][]byte{}
	}
	enc.coded[coding] = buf.Bytes()
	return enc.tag, enc.coded[coding], true
}

// encoded stands, for the gateway's marshaler, for a shared answer whose
// JSON is remembered.
type encoded struct{ *sharedAnswer }

// reuseEncoding is the gateway's response rewriter: an answer the service
// shared is encoded once.
func reuseEncoding(ctx context.Context, resp proto.Message) (any, error) {
	if a := sharedReply(ctx); a != nil {
		return encoded{a}, nil
	}
	return resp, nil
}

// memoMarshaler encodes as its Marshaler does, and a shared answer once.
type memoMarshaler struct{ gwruntime.Marshaler }

func (m memoMarshaler) Marshal(v any) ([]byte, error) {
	e, ok := v.(encoded)
	if !ok {
		return m.Marshaler.Marshal(v)
	}
	return e.forms.marshal(func() ([]byte, error) { return m.Marshaler.Marshal(e.msg) })
}

// ContentType is that of the answer encoded.
func (m memoMarshaler) ContentType(v any) string {
	if e, ok := v.(encoded); ok {
		v = e.msg
	}
	return m.Marshaler.ContentType(v)
}
