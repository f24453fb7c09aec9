// Package store is the console's Postgres persistence. SQL lives here and
// nowhere else; every method takes a context first.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/cache"
)

// Store wraps the connection pools: pool serves requests and the engine's
// steps; system is the job queue's, the health check's and the change
// probes', so that no number of requests can take the connections those
// need (NewSplit).
type Store struct {
	pool    *pgxpool.Pool
	system  *pgxpool.Pool
	changes *changes
	tokens  *cache.Cache[string, tokenUse]
	// probeChannel is where Follow sends its probes: changeChannel, but
	// for a test of probes that never come back.
	probeChannel string
	// freezeAfterRollback: a rollback by a person freezes its service
	// (SetFreezeAfterRollback, freezes.go).
	freezeAfterRollback bool
	// enqueueDeliveries enqueues webhook deliveries (SetDeliveryEnqueuer,
	// webhooks.go); nil: deployment events notify no one.
	enqueueDeliveries EnqueueDeliveries
	// observer hears of deployments, steps and cache lookups, for metrics
	// (SetObserver, observer.go).
	observer Observer
}

// New returns a Store on pool, which also serves the job queue, the health
// check and the change probes (a CLI's, a test's). Its ReadCaches reuse
// nothing until Follow runs.
func New(pool *pgxpool.Pool) *Store { return NewSplit(pool, pool) }

// NewSplit returns a Store whose requests use pool and whose job queue
// (Pool), health check (Ping) and change probes use system: a console
// serving many slow requests still fetches jobs, elects its leader,
// answers /readyz and hears other consoles' writes.
func NewSplit(pool, system *pgxpool.Pool) *Store {
	s := &Store{pool: pool, system: system, changes: &changes{observer: nopObserver{}}, probeChannel: changeChannel, observer: nopObserver{}}
	s.tokens = newCredentialCache[string, tokenUse](s, Of(APITokens, Users))
	return s
}

// Pool is the pool of the job queue (River), which shares the database.
func (s *Store) Pool() *pgxpool.Pool { return s.system }

// Ping checks the database answers, through the system pool: a request
// pool busy to its last connection is not a database that is down.
func (s *Store) Ping(ctx context.Context) error { return s.system.Ping(ctx) }

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// SQLSTATE codes the store maps to its own errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// isUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// notFound wraps ErrNotFound with what was looked for.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ecsconsole.ErrNotFound)
}
