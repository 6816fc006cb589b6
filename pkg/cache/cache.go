package cache

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// Outcome says how Do found its answer.
type Outcome int

const (
	// Computed means this call ran fn.
	Computed Outcome = iota
	// Hit means the answer was stored and still fresh.
	Hit
	// Shared means another caller was already computing the answer, and this call waited for it.
	Shared
)

func (o Outcome) String() string {
	switch o {
	case Hit:
		return "hit"
	case Shared:
		return "shared"
	default:
		return "computed"
	}
}

// Cache holds at most a fixed number of answers, each until its own expiry, and evicts the
// least recently used answer when full. Errors are never stored. The zero value is not usable;
// call New.
type Cache[K comparable, V any] struct {
	size int
	now  func() time.Time

	mu       sync.Mutex
	entries  map[K]*list.Element // of *entry[K, V]
	lru      *list.List          // front is most recently used
	inflight map[K]*call[V]
}

type entry[K comparable, V any] struct {
	key     K
	val     V
	expires time.Time
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// New returns a cache of at most size answers. now is the clock (time.Now when nil).
func New[K comparable, V any](size int, now func() time.Time) (*Cache[K, V], error) {
	if size < 1 {
		return nil, fmt.Errorf("cache size %d: must be at least 1", size)
	}
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{size: size, now: now, entries: map[K]*list.Element{}, lru: list.New(), inflight: map[K]*call[V]{}}, nil
}

// Do returns the fresh answer stored for key, or waits for the computation already running
// for key, or runs fn. fn returns the answer and how long it may be kept (zero or less: not
// kept); an error is returned to every waiting caller and never kept.
//
// fn runs on a context that callers giving up does not cancel, so that one impatient caller
// cannot fail all the others merged with it, and so that a late answer is still kept for the
// next caller: fn must bound its own running time. Do itself returns when ctx is done.
func (c *Cache[K, V]) Do(ctx context.Context, key K, fn func(context.Context) (V, time.Duration, error)) (V, Outcome, error) {
	c.mu.Lock()
	if v, ok := c.lookup(key); ok {
		c.mu.Unlock()
		return v, Hit, nil
	}
	outcome := Shared
	cl, running := c.inflight[key]
	if !running {
		outcome = Computed
		cl = &call[V]{done: make(chan struct{})}
		c.inflight[key] = cl
		go c.run(context.WithoutCancel(ctx), key, cl, fn)
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.val, outcome, cl.err
	case <-ctx.Done():
		var zero V
		return zero, outcome, ctx.Err()
	}
}

func (c *Cache[K, V]) run(ctx context.Context, key K, cl *call[V], fn func(context.Context) (V, time.Duration, error)) {
	var ttl time.Duration
	defer func() {
		if p := recover(); p != nil {
			cl.err = fmt.Errorf("computing a cached answer: panic: %v", p)
		}
		c.mu.Lock()
		delete(c.inflight, key)
		if cl.err == nil && ttl > 0 {
			c.store(key, cl.val, ttl)
		}
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.val, ttl, cl.err = fn(ctx)
}

// lookup returns the fresh answer for key, dropping it if stale. c.mu must be held.
func (c *Cache[K, V]) lookup(key K) (V, bool) {
	var zero V
	el, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[K, V])
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.entries, key)
		return zero, false
	}
	c.lru.MoveToFront(el)
	return e.val, true
}

// store keeps val for ttl, evicting the least recently used answers beyond the size. c.mu must be held.
func (c *Cache[K, V]) store(key K, val V, ttl time.Duration) {
	e := &entry[K, V]{key: key, val: val, expires: c.now().Add(ttl)}
	if el, ok := c.entries[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*entry[K, V]).key)
	}
}

// Get returns the fresh answer stored for key, if any.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookup(key)
}

// Set stores val for key for ttl (zero or less: not stored).
func (c *Cache[K, V]) Set(key K, val V, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(key, val, ttl)
}

// Len returns how many answers are stored, fresh or not yet found stale.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
