// Package cache keeps values read from somewhere slow (Postgres, AWS) or
// computed at a cost (a rendered page) in memory, within a budget of bytes.
// It is the console's one cache mechanism: every kept value has a byte
// size, a time to live, and optionally a Validity (the store's: the tables
// it was read from have not been written since). Past its budget a cache
// forgets its least recently used values.
package cache

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Options configure a Cache.
type Options[K comparable, V any] struct {
	// Budget bounds, in bytes, what the cache holds: its keys and values
	// as Size measures them plus a fixed overhead per entry. Zero keeps
	// nothing: every Get loads (how a benchmark measures a cache's gain).
	Budget int64
	// TTL is how long a value is reused at most.
	TTL time.Duration
	// ErrorTTL, when positive, keeps a failed load's error that long, so
	// that a failing source is not asked again on every request.
	ErrorTTL time.Duration
	// Size measures an entry in bytes; Footprint by default.
	Size func(K, V) int64
	// Validity, when set, says whether a kept value is still current.
	Validity Validity[K, V]
	// Observe, when set, hears each Get's outcome: a kept value reused
	// (hit) or a load (metrics count them).
	Observe func(hit bool)
}

// Validity tells whether what a load saw still holds: Stamp is taken
// before each load and kept with its value, Current compares it with now.
type Validity[K comparable, V any] interface {
	// Stamp describes the moment before a load; ok is false when nothing
	// may be reused or kept (changes could go unseen).
	Stamp() (stamp any, ok bool)
	// Current reports whether key's value v, loaded after stamp, is current.
	Current(stamp any, key K, v V) bool
}

// entryOverhead is what an entry costs besides its key and value: the
// map slot, the list element, the entry and its stamp.
const entryOverhead = 256

// Cache is a byte-bounded, least-recently-used cache whose concurrent
// misses of one key share one load. Values are shared between callers:
// they must not modify them.
type Cache[K comparable, V any] struct {
	o Options[K, V]

	mu      sync.Mutex
	used    int64
	entries map[K]*list.Element // of *entry[K, V]
	lru     list.List           // most recently used first
	loading map[K]*flight[V]
}

type entry[K comparable, V any] struct {
	key   K
	value V
	err   error
	stamp any
	until time.Time
	size  int64
}

// A flight is a load under way; requests for the same key wait for it
// instead of loading too (a page whose entry just went stale, asked by 32
// people at once, is read once).
type flight[V any] struct {
	done  chan struct{}
	stamp any
	value V
	err   error
	// kept is set when the load's result, an error too, was kept: the
	// waiters share it.
	kept bool
}

// New returns an empty cache.
func New[K comparable, V any](o Options[K, V]) *Cache[K, V] {
	if o.Size == nil {
		o.Size = func(k K, v V) int64 { return Footprint(k) + Footprint(v) }
	}
	return &Cache[K, V]{o: o, entries: make(map[K]*list.Element), loading: make(map[K]*flight[V])}
}

// errUnfinished is a flight's error until its load returns.
var errUnfinished = errors.New("the load did not finish")

// Get returns key's value: kept, when it is younger than its TTL and
// current, else from load, whose result is kept (its error for ErrorTTL).
func (c *Cache[K, V]) Get(ctx context.Context, key K, load func(context.Context) (V, error)) (V, error) {
	if c.o.Budget <= 0 {
		return load(ctx)
	}
	now := time.Now()
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*entry[K, V])
		if now.Before(e.until) && c.current(e.stamp, key, e.value, e.err) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			c.observe(true)
			return e.value, e.err
		}
	}
	c.observe(false)
	// A miss: the stamp is taken now, before the load (a hit needs none).
	var stamp any
	if c.o.Validity != nil {
		var ok bool
		if stamp, ok = c.o.Validity.Stamp(); !ok {
			c.mu.Unlock()
			return load(ctx)
		}
	}
	if f, ok := c.loading[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.kept && c.current(f.stamp, key, f.value, f.err) {
				return f.value, f.err
			}
			// Its error may be its own (a request gone), or a write
			// landed since it started: load for ourselves.
			return load(ctx)
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	f := &flight[V]{done: make(chan struct{}), stamp: stamp, err: errUnfinished}
	c.loading[key] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.loading, key)
		c.mu.Unlock()
		close(f.done)
	}()
	f.value, f.err = load(ctx)
	v, err := f.value, f.err
	ttl := c.o.TTL
	if err != nil {
		ttl = c.o.ErrorTTL
		if ctx.Err() != nil {
			ttl = 0 // the caller left: its cancelled load says nothing
		}
	}
	if ttl > 0 {
		// Kept with the stamp from before the load: a change that landed
		// during it has moved already, and the entry is then never used.
		c.keep(&entry[K, V]{key: key, value: v, err: err, stamp: stamp, until: now.Add(ttl)})
		f.kept = true
	}
	return v, err
}

func (c *Cache[K, V]) current(stamp any, key K, v V, err error) bool {
	return c.o.Validity == nil || err != nil || c.o.Validity.Current(stamp, key, v)
}

// keep adds e, forgetting the least recently used entries past the budget.
// An entry larger than the whole budget is not kept.
func (c *Cache[K, V]) keep(e *entry[K, V]) {
	e.size = entryOverhead + c.o.Size(e.key, e.value)
	if e.err != nil {
		e.size += int64(len(e.err.Error()))
	}
	if e.size > c.o.Budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[e.key]; ok {
		c.remove(old)
	}
	for c.used+e.size > c.o.Budget {
		c.remove(c.lru.Back())
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.used += e.size
}

func (c *Cache[K, V]) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry[K, V])
	delete(c.entries, e.key)
	c.used -= e.size
}

// Used is the bytes the cache holds by its own count, and its entries.
func (c *Cache[K, V]) Used() (bytes int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.entries)
}

// observe tells Options.Observe whether a Get reused a kept value.
func (c *Cache[K, V]) observe(hit bool) {
	if c.o.Observe != nil {
		c.o.Observe(hit)
	}
}
