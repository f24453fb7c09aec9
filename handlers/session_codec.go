package handlers

import (
	"maps"
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
	decoded memo[string, decodedSession]
}

func newMemoCodec() *memoCodec {
	return &memoCodec{decoded: memo[string, decodedSession]{size: memoCodecSize}}
}

type decodedSession struct {
	deadline time.Time
	values   map[string]any
}

// memoCodecSize bounds the sessions remembered: far more than the people
// signed in to one console at once.
const memoCodecSize = 10000

func (c *memoCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if d, ok := c.decoded.get(string(b)); ok {
		return d.deadline, maps.Clone(d.values), nil
	}
	deadline, values, err := c.GobCodec.Decode(b)
	if err != nil {
		return deadline, values, err
	}
	c.decoded.put(string(b), decodedSession{deadline: deadline, values: maps.Clone(values)})
	return deadline, values, nil
}
