package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionStore keeps signed-in sessions in the sessions table for
// alexedwards/scs (it is an scs.CtxStore) and enforces the idle timeout
// itself, so that a page view does not write.
//
// scs enforces an idle timeout by rewriting the session row on every
// request. Here the row's expiry is the idle deadline, recorded coarsely:
// Find moves it forward only when the last recording is more than
// IdleResolution old. A session therefore ends between IdleTimeout −
// IdleResolution and IdleTimeout after its last request: sooner, never
// later, than configured, and never after its absolute deadline (the scs
// lifetime). The session manager using it must leave its own IdleTimeout
// at zero.
type SessionStore struct {
	store *Store
	// IdleTimeout ends a session after this long without requests.
	IdleTimeout time.Duration
	// IdleResolution is how stale the recorded idle clock may get before a
	// request records it again: a tenth of IdleTimeout, so one write per
	// session per 12 minutes of activity with the default 2 hours.
	IdleResolution time.Duration
}

// Sessions returns the session store with the given idle timeout.
func (s *Store) Sessions(idle time.Duration) *SessionStore {
	return &SessionStore{store: s, IdleTimeout: idle, IdleResolution: idle / 10}
}

// FindCtx returns a live session's data, recording the idle clock when the
// recorded one is stale.
func (ss *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	var stale bool
	err := ss.store.pool.QueryRow(ctx, `SELECT data,
			expiry < least(coalesce(deadline, expiry), now() + $2 * interval '1 microsecond') - $3 * interval '1 microsecond'
		FROM sessions WHERE token = $1 AND expiry > now()`,
		token, ss.IdleTimeout.Microseconds(), ss.IdleResolution.Microseconds()).Scan(&data, &stale)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading session: %w", err)
	}
	if stale {
		// A session without a deadline (stored before this store) keeps its
		// expiry: it ends at most an idle timeout after the upgrade.
		if _, err := ss.store.pool.Exec(ctx, `UPDATE sessions
			SET expiry = least(coalesce(deadline, expiry), now() + $2 * interval '1 microsecond')
			WHERE token = $1 AND expiry > now()`, token, ss.IdleTimeout.Microseconds()); err != nil {
			return nil, false, fmt.Errorf("recording session activity: %w", err)
		}
	}
	return data, true, nil
}

// CommitCtx stores a session's data; deadline is its absolute end (scs's
// lifetime). The idle clock starts now.
func (ss *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, deadline time.Time) error {
	_, err := ss.store.pool.Exec(ctx, `INSERT INTO sessions (token, data, deadline, expiry)
		VALUES ($1, $2, $3, least($3, now() + $4 * interval '1 microsecond'))
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, deadline = EXCLUDED.deadline, expiry = EXCLUDED.expiry`,
		token, data, deadline, ss.IdleTimeout.Microseconds())
	if err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	return nil
}

// DeleteCtx ends a session: every console on the database stops accepting
// its cookie at once, because each request reads the row.
func (ss *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	if _, err := ss.store.pool.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}

// Find is FindCtx without a context (scs.Store).
func (ss *SessionStore) Find(token string) ([]byte, bool, error) {
	return ss.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context (scs.Store).
func (ss *SessionStore) Commit(token string, data []byte, deadline time.Time) error {
	return ss.CommitCtx(context.Background(), token, data, deadline)
}

// Delete is DeleteCtx without a context (scs.Store).
func (ss *SessionStore) Delete(token string) error {
	return ss.DeleteCtx(context.Background(), token)
}
