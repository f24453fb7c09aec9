package handlers

import (
	"context"
	"sync"
	"time"
)

// ttlCache keeps what AWS said for a few seconds, so that a page of
// services refreshed by several people costs one set of AWS reads per
// service per TTL, not one per view. Errors are cached too, so a failing
// AWS is not asked again on every refresh.
type ttlCache[V any] struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	val V
	err error
	at  time.Time
}

// maxCacheEntries bounds a cache; past it, expired entries are dropped.
const maxCacheEntries = 10_000

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, entries: map[string]ttlEntry[V]{}}
}

// get returns key's value, read by read at most ttl ago.
func (c *ttlCache[V]) get(ctx context.Context, key string, read func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.ttl {
		return e.val, e.err
	}
	val, err := read(ctx)
	if ctx.Err() != nil {
		return val, err // the visitor left: do not cache a cancelled read
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		for k, old := range c.entries {
			if time.Since(old.at) >= c.ttl {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = ttlEntry[V]{val: val, err: err, at: time.Now()}
	return val, err
}
