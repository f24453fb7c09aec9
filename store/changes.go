package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole/cache"
)

// Table names a table whose writes cached reads follow (ReadCache).
type Table uint8

// The tables pages read. Each announces its writes (migration 0010).
const (
	Deployments Table = iota
	DeploymentSteps
	Services
	Users
	Sessions
	APITokens
	AuditEvents
	numTables
)

var tableNames = [numTables]string{"deployments", "deployment_steps", "services", "users", "sessions", "api_tokens", "audit_events"}

// changeChannel is the channel the tables' triggers notify on.
const changeChannel = "ecsconsole_changes"

// changes counts, per table, the writes this console knows of: its own,
// counted when they commit, and every console's, counted when Postgres
// delivers their notice. A read tagged with the counts it started under is
// current while they have not moved.
type changes struct {
	counts [numTables]atomic.Uint64
	// following is set while the listening connection is up and its
	// probes come back: only then does a count move for every write, so
	// only then may reads be reused.
	following atomic.Bool

	mu    sync.Mutex
	syncs map[string]chan struct{} // Sync's notices, by payload, until heard

	observer Observer // counts ReadCache hits and misses (observer.go)
}

func (c *changes) wrote(tables ...Table) {
	for _, t := range tables {
		c.counts[t].Add(1)
	}
}

func (c *changes) wroteAll() {
	for i := range c.counts {
		c.counts[i].Add(1)
	}
}

func (c *changes) releaseSyncs() {
	c.mu.Lock()
	for marker, ch := range c.syncs {
		close(ch)
		delete(c.syncs, marker)
	}
	c.mu.Unlock()
}

func (c *changes) noticed(payload string) {
	if strings.HasPrefix(payload, probePrefix) {
		return // another console's probe
	}
	if strings.HasPrefix(payload, syncPrefix) {
		c.mu.Lock()
		if ch, ok := c.syncs[payload]; ok {
			close(ch)
			delete(c.syncs, payload)
		}
		c.mu.Unlock()
		return
	}
	for i, name := range tableNames {
		if name == payload {
			c.counts[i].Add(1)
			return
		}
	}
	c.wroteAll() // a table this console does not know: assume the worst
}

// Follow listens for the writes every console on the database announces
// and lets read caches (NewReadCache) reuse reads until their tables
// change. It returns
// when ctx ends. While its connection is down (and until Follow runs),
// every read goes to the database; each reconnection forgets every read
// cached before it, since notices may have been missed meanwhile.
func (s *Store) Follow(ctx context.Context, logger *slog.Logger) {
	delay := 100 * time.Millisecond
	for failures := 0; ; failures++ {
		err := s.listen(ctx)
		if s.changes.following.Load() {
			failures, delay = 0, 100*time.Millisecond // it had worked
		}
		s.changes.following.Store(false)
		s.changes.wroteAll()
		s.changes.releaseSyncs() // nothing is reused until the next listen
		if ctx.Err() != nil {
			return
		}
		// Said once per outage, not at every retry.
		level := slog.LevelDebug
		if failures == 0 {
			level = slog.LevelWarn
		}
		logger.Log(ctx, level, "not following database changes; pages read the database until it is back", "error", err.Error(), "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// syncPrefix marks Sync's notices.
const syncPrefix = "sync:"

// Sync returns once every write committed before it was called, by any
// client of the database, has been heard (Postgres delivers notices in
// commit order, and Sync waits for one of its own): after it, no
// ReadCache returns what such a write changed. For writes made by other
// means than this Store's methods, e.g. SQL in tests; the Store's own are
// heard at once.
func (s *Store) Sync(ctx context.Context) error {
	if !s.changes.following.Load() {
		return nil // nothing is reused
	}
	payload := marker(syncPrefix)
	heard := make(chan struct{})
	c := s.changes
	c.mu.Lock()
	if c.syncs == nil {
		c.syncs = map[string]chan struct{}{}
	}
	c.syncs[payload] = heard
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.syncs, payload)
		c.mu.Unlock()
	}()
	if err := s.notify(ctx, changeChannel, payload); err != nil {
		return fmt.Errorf("syncing with the database's changes: %w", err)
	}
	select {
	case <-heard:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("syncing with the database's changes: %w", ctx.Err())
	}
}

// Following reports whether Follow is listening: whether ReadCaches may
// reuse reads.
func (s *Store) Following() bool { return s.changes.following.Load() }

// followerName is the listening connection's application_name, as
// pg_stat_activity shows it.
const followerName = "ecsconsole changes"

// followCheck is how long the listening connection may stay silent
// before a probe checks that notices still reach it, and how long the
// probe may take. A notice is sent through the pool, as writes are, and
// must come back on the listening connection: a connection that died
// without a word, or a pooler that drops LISTEN (PgBouncer in transaction
// mode), stops the reuse within two checks.
const followCheck = 5 * time.Second

// probePrefix marks Follow's own probes.
const probePrefix = "probe:"

func (s *Store) listen(ctx context.Context) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil // the pool's tracing is for the pool's statements
	cfg.RuntimeParams["application_name"] = followerName
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return err
	}
	// Reads are reused only once a probe has made the round trip.
	probe, err := s.sendProbe(ctx)
	if err != nil {
		return err
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, followCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if probe != "" && n.Payload == probe {
				probe = ""
				if !s.changes.following.Load() {
					s.changes.wroteAll()
					s.changes.following.Store(true)
				}
				continue
			}
			s.changes.noticed(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return err
		}
		if probe != "" {
			return fmt.Errorf("a notice sent %v ago has not come back: notices do not reach this console", followCheck)
		}
		if probe, err = s.sendProbe(ctx); err != nil {
			return err
		}
	}
}

// sendProbe notifies the changes channel through the pool and returns the
// payload to expect back.
func (s *Store) sendProbe(ctx context.Context) (string, error) {
	payload := marker(probePrefix)
	pctx, cancel := context.WithTimeout(ctx, followCheck)
	defer cancel()
	return payload, s.notify(pctx, s.probeChannel, payload)
}

// marker is a notice's payload no other notice has: prefix and 16 random
// hex digits.
func marker(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// notify sends payload on channel through the system pool (NewSplit), to the
// same server as writes' notices, so that requests never delay a probe.
func (s *Store) notify(ctx context.Context, channel, payload string) error {
	_, err := s.system.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload)
	return err
}

// cacheMaxAge bounds how long a read is reused even when no write was
// announced: a bound on what a lost notice could cost.
const cacheMaxAge = time.Minute

// Reads is a set of tables a read depends on. Each query method that a
// cache may keep declares its Reads next to its SQL (DeploymentReads,
// StepReads, ...); a cached page's reads are the union of its queries'.
type Reads uint16

// Of returns the set of tables ts.
func Of(ts ...Table) Reads {
	var r Reads
	for _, t := range ts {
		r |= 1 << t
	}
	return r
}

// Has reports whether r holds t.
func (r Reads) Has(t Table) bool { return r&(1<<t) != 0 }

// stamp is the per-table counts a read started under.
type stamp [numTables]uint64

// ReadCacheOptions configure NewReadCache.
type ReadCacheOptions[K comparable, V any] struct {
	// Budget bounds the bytes kept (cache.Options.Budget).
	Budget int64
	// Reads are the tables the cached reads depend on.
	Reads Reads
	// MaxAge bounds how long a read is reused when no write was announced
	// (at most, and by default, a minute): shorter for values that also
	// hold what the database does not know (AWS's state), or that must
	// not outlive a silent listener for long (sessions and tokens).
	MaxAge time.Duration
	// Depends, when set, narrows Reads by what was read: a finished
	// deployment's page no longer depends on step writes.
	Depends func(K, V) Reads
	// Size measures an entry (cache.Footprint by default).
	Size func(K, V) int64
}

// NewReadCache returns a cache of reads that reuses each until one of the
// tables it depends on is written by any console on the database, for at
// most MaxAge, within Budget bytes. While Follow is not listening it keeps
// nothing and every Get loads.
func NewReadCache[K comparable, V any](s *Store, o ReadCacheOptions[K, V]) *cache.Cache[K, V] {
	if o.MaxAge <= 0 || o.MaxAge > cacheMaxAge {
		o.MaxAge = cacheMaxAge
	}
	return cache.New(cache.Options[K, V]{Budget: o.Budget, TTL: o.MaxAge, Size: o.Size,
		Validity: tableValidity[K, V]{changes: s.changes, reads: o.Reads, depends: o.Depends},
		// The observer is set after the store's own caches are made
		// (SetObserver): read it at each lookup.
		Observe: func(hit bool) { s.changes.observer.CacheLookup(hit) }})
}

// tableValidity is a ReadCache's cache.Validity: a read is current while
// the counts of the tables it depends on have not moved since it started.
type tableValidity[K comparable, V any] struct {
	changes *changes
	reads   Reads
	depends func(K, V) Reads
}

func (t tableValidity[K, V]) Stamp() (any, bool) {
	if !t.changes.following.Load() {
		return nil, false
	}
	var st stamp
	for i := range st {
		st[i] = t.changes.counts[i].Load()
	}
	return st, true
}

func (t tableValidity[K, V]) Current(s any, key K, v V) bool {
	st, ok := s.(stamp)
	if !ok || !t.changes.following.Load() {
		return false
	}
	reads := t.reads
	if t.depends != nil {
		reads &= t.depends(key, v)
	}
	for i := range numTables {
		if reads.Has(i) && t.changes.counts[i].Load() != st[i] {
			return false
		}
	}
	return true
}
