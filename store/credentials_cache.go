package store

import (
	"time"

	"github.com/ecsconsole/ecsconsole/cache"
)

// RevocationBound is the longest a console accepts a session or an API
// token after it was signed out, revoked, or its user disabled or given
// another role, on another console: the age past which a kept session or
// token is read again, whether or not the change's notice arrived. On the
// console that made the change, and on every console whose listener
// (Follow) is healthy, it takes effect at once; this bounds what a
// listener that stalls without a word (found out only by its probes, up to
// 2 × 5 s later) can let in.
const RevocationBound = 2 * time.Second

// credentialCacheBytes bounds each credential cache: a kept session or
// token costs well under 1 KiB (its data is a few scalars), so 4 MiB keeps
// thousands, more than the people signed in to one console at once.
const credentialCacheBytes = 4 << 20

// newCredentialCache keeps who a session or token belongs to, read from
// reads, for at most RevocationBound.
func newCredentialCache[K comparable, V any](s *Store, reads Reads) *cache.Cache[K, V] {
	return NewReadCache(s, ReadCacheOptions[K, V]{Budget: credentialCacheBytes, Reads: reads, MaxAge: RevocationBound})
}
