package handlers

import (
	"maps"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// memoCodec is scs's gob codec remembering what it decoded lately. A page
// view decodes its session's bytes, the same bytes on every request until
// the session changes, and gob compiles a decoder for each decode: about a
// sixth of the CPU of a page served from memory. Each Decode returns a copy
// of the remembered values (scs changes the map it is given); the values
// themselves are scalars (a user id, a flash message).
type memoCodec struct {
	scs.GobCodec
	mu sync.Mutex
	m  map[string]decodedSession
}

type decodedSession struct {
	deadline time.Time
	values   map[string]any
}

// memoCodecSize bounds the sessions remembered: far more than the people
// signed in to one console at once.
const memoCodecSize = 10000

func (c *memoCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	c.mu.Lock()
	d, ok := c.m[string(b)]
	c.mu.Unlock()
	if ok {
		return d.deadline, maps.Clone(d.values), nil
	}
	deadline, values, err := c.GobCodec.Decode(b)
	if err != nil {
		return deadline, values, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= memoCodecSize {
		c.m = map[string]decodedSession{}
	}
	c.m[string(b)] = decodedSession{deadline: deadline, values: maps.Clone(values)}
	c.mu.Unlock()
	return deadline, values, nil
}
