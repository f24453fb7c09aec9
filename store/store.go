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
)

// Store wraps the connection pool.
type Store struct {
	pool    *pgxpool.Pool
	changes *changes
	tokens  *ReadCache[string, tokenUse]
	// probeChannel is where Follow sends its probes: changeChannel, but
	// for a test of probes that never come back.
	probeChannel string
}

// New returns a Store on pool. Its ReadCaches reuse nothing until Follow
// runs.
func New(pool *pgxpool.Pool) *Store {
	s := &Store{pool: pool, changes: &changes{}, probeChannel: changeChannel}
	s.tokens = NewReadCache[string, tokenUse](s, tokenCacheSize, APITokens, Users)
	return s
}

// Pool is the underlying pool, for the job queue and session store that
// share the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

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
