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
// A job written through this instance starts a new generation, so the
// instance that took a write never serves what it replaced. Other instances
// may serve an answer up to boardTTL old, well inside what the public
// Cache-Control already lets a CDN keep. Cached values are shared and must
// only be read.
type boardCache[V proto.Message] struct {
	entries *expirable.LRU[string, V]
	flights singleflight.Group
	gen     *atomic.Uint64
	encoded *encodings
}

// boardTTL is how long a public answer is reused.
const boardTTL = 5 * time.Second

func newBoardCache[V proto.Message](size int, gen *atomic.Uint64, encoded *encodings) *boardCache[V] {
	return &boardCache[V]{entries: expirable.NewLRU[string, V](size, nil, boardTTL), gen: gen, encoded: encoded}
}

// lookup returns the cached answer for key, or the slot under which to add
// one: the slot names the generation current before the answer was read,
// so an answer read before a write is never served after it.
func (c *boardCache[V]) lookup(ctx context.Context, key string) (v V, ok bool, slot string) {
	slot = strconv.FormatUint(c.gen.Load(), 36) + "/" + key
	if v, ok = c.entries.Get(slot); ok {
		shareReply(ctx, v)
	}
	return v, ok, slot
}

// add caches v, the answer to ctx's request.
func (c *boardCache[V]) add(ctx context.Context, slot string, v V) {
	c.encoded.mark(v)
	c.entries.Add(slot, v)
	shareReply(ctx, v)
}

// shared returns the cached answer for key, or computes it with load once
// for all concurrent callers. Only for answers that do not depend on who
// asks. A load that fails is not cached.
func (c *boardCache[V]) shared(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	v, ok, slot := c.lookup(ctx, key)
	if ok {
		return v, nil
	}
	// The shared load must not end because the caller who started it left;
	// it keeps that caller's deadline.
	loadCtx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		loadCtx, cancel = context.WithDeadline(loadCtx, deadline)
		defer cancel()
	}
	got, err, _ := c.flights.Do(slot, func() (any, error) {
		v, err := load(loadCtx)
		if err == nil {
			c.add(loadCtx, slot, v)
		}
		return v, err
	})
	if err != nil {
		var zero V
		return zero, err
	}
	v = got.(V)
	shareReply(ctx, v)
	return v, nil
}

// encodings remembers how the board cache's answers, which do not change
// once cached, go out over REST: their JSON, its ETag and its compressed
// forms. Encoding and compressing a page of twenty jobs costs far more than
// finding it. Only messages the board cache marked are remembered.
type encodings struct {
	byMessage *expirable.LRU[proto.Message, *restForms]
}

// restForms is one answer's REST forms, each made when first needed.
type restForms struct {
	mu    sync.Mutex
	json  []byte
	tag   string
	coded map[string][]byte
}

func newEncodings() *encodings {
	return &encodings{byMessage: expirable.NewLRU[proto.Message, *restForms](8192, nil, 2*boardTTL)}
}

// mark notes that m is shared and read-only from now on.
func (e *encodings) mark(m proto.Message) {
	if e != nil {
		e.byMessage.Add(m, &restForms{})
	}
}

// of returns what is remembered of m, or nil.
func (e *encodings) of(m proto.Message) *restForms {
	if e == nil || m == nil {
		return nil
	}
	enc, _ := e.byMessage.Get(m)
	return enc
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
type encoded struct{ msg proto.Message }

// reuseEncoding is the gateway's response rewriter: an answer the service
// shared is encoded once.
func reuseEncoding(ctx context.Context, resp proto.Message) (any, error) {
	if m := sharedReply(ctx); m != nil {
		return encoded{m}, nil
	}
	return resp, nil
}

// memoMarshaler encodes as its Marshaler does, and an encoded answer once
// while it is remembered.
type memoMarshaler struct {
	gwruntime.Marshaler
	memo *encodings
}

func (m memoMarshaler) Marshal(v any) ([]byte, error) {
	e, ok := v.(encoded)
	if !ok {
		return m.Marshaler.Marshal(v)
	}
	enc := m.memo.of(e.msg)
	if enc == nil {
		return m.Marshaler.Marshal(e.msg)
	}
	return enc.marshal(func() ([]byte, error) { return m.Marshaler.Marshal(e.msg) })
}

// ContentType is that of the answer encoded.
func (m memoMarshaler) ContentType(v any) string {
	if e, ok := v.(encoded); ok {
		v = e.msg
	}
	return m.Marshaler.ContentType(v)
}
