package handlers

import (
	"context"
	"maps"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/ecsconsole/ecsconsole/cache"
)

// memoCodec is scs's gob codec remembering what it decoded lately. A page
// view decodes its session's bytes, the same bytes on every request until
// the session changes, and gob compiles a decoder for each decode: about a
// sixth of the CPU of a page served from memory. Each Decode returns a copy
// of the remembered values (scs changes the map it is given); the values
// themselves are scalars (a user id, a flash message).
type memoCodec struct {
	scs.GobCodec
	decoded *cache.Cache[string, decodedSession]
}

// newMemoCodec remembers decoded sessions within budget bytes, each for at
// most a session's idle timeout (the bytes of a live session change at
// least that often: the store rewrites them as its idle clock moves).
func newMemoCodec(budget int64, ttl time.Duration) *memoCodec {
	return &memoCodec{decoded: cache.New(cache.Options[string, decodedSession]{Budget: budget, TTL: ttl})}
}

type decodedSession struct {
	deadline time.Time
	values   map[string]any
}

// Decode decodes b, or returns a copy of what b decoded to last time.
func (c *memoCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	d, err := c.decoded.Get(context.Background(), string(b), func(context.Context) (decodedSession, error) {
		deadline, values, err := c.GobCodec.Decode(b)
		return decodedSession{deadline: deadline, values: values}, err
	})
	if err != nil {
		return d.deadline, d.values, err
	}
	return d.deadline, maps.Clone(d.values), nil
}
