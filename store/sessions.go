package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole/cache"
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
//
// The table holds the SHA-256 of each token (the cookie value), never the
// token: a copy of it signs no one in. The in-memory cache is keyed by the
// hash too, so that it holds no more than the table does.
type SessionStore struct {
	store *Store
	// IdleTimeout ends a session after this long without requests.
	IdleTimeout time.Duration
	// IdleResolution is how stale the recorded idle clock may get before a
	// request records it again: a tenth of IdleTimeout, so one write per
	// session per 12 minutes of activity with the default 2 hours.
	IdleResolution time.Duration
	// UserOf, when set, names the user a session's data belongs to (0 for
	// none). Commit records it beside the data, so that Prefetch reads a
	// session and its user in one query.
	UserOf func(data []byte) int64

	cache *cache.Cache[[sha256.Size]byte, sessionRow] // by token hash
}

// tokenHash is how a session's token is kept: its SHA-256, as bytes (the
// sessions.token_hash column) and as the cache's key. A token is 32 random
// bytes (scs), so an unsalted fast hash cannot be reversed by guessing.
// Migration 0011 hashed the tokens stored before it the same way.
func tokenHash(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token))
}

// hashBytes is tokenHash as a slice, for a query.
func hashBytes(token string) []byte { return hashArg(tokenHash(token)) }

// hashArg is h as a slice of its own, for a query: slicing h itself would
// move it to the heap on every read, cache hits included.
func hashArg(h [sha256.Size]byte) []byte { return h[:] }

// prefetchedSession is a session Prefetch read, for FindCtx.
type prefetchedSession struct {
	token string
	data  []byte
	found bool
}

type prefetchKey struct{}

// sessionRow is a live session as read, with its user when it names one.
type sessionRow struct {
	data     []byte
	expiry   time.Time  // the idle deadline as last recorded
	deadline *time.Time // the absolute one; nil for sessions stored before it was kept
	user     *User
}

// stale reports whether the recorded idle clock is more than
// IdleResolution behind what a request now would record.
func (ss *SessionStore) stale(row sessionRow, now time.Time) bool {
	want := now.Add(ss.IdleTimeout)
	if row.deadline != nil && row.deadline.Before(want) {
		want = *row.deadline
	}
	return row.expiry.Before(want.Add(-ss.IdleResolution))
}

// read returns token's live session, reused from earlier requests while no
// console has written a session or a user since (ReadCache): a page view
// does not ask Postgres who is asking. Signing out, disabling a user or
// changing a role is such a write, so it takes effect at once here and, as
// soon as Postgres delivers its notice, on every other console. It records
// the idle clock when the recorded one is stale.
func (ss *SessionStore) read(ctx context.Context, token string) (sessionRow, bool, error) {
	h := tokenHash(token)
	row, err := ss.cache.Get(ctx, h, func(ctx context.Context) (sessionRow, error) {
		var row sessionRow
		var id *int64
		var u User
		err := ss.store.pool.QueryRow(ctx, `SELECT s.data, s.expiry, s.deadline,
				u.id, coalesce(u.username, ''), coalesce(u.role, ''), coalesce(u.disabled, true), coalesce(u.created_at, now())
			FROM sessions s LEFT JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = $1 AND s.expiry > now()`, hashArg(h)).
			Scan(&row.data, &row.expiry, &row.deadline, &id, &u.Username, &u.Role, &u.Disabled, &u.CreatedAt)
		if id != nil {
			u.ID = *id
			row.user = &u
		}
		return row, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return sessionRow{}, false, nil
	}
	if err != nil {
		return sessionRow{}, false, fmt.Errorf("reading session: %w", err)
	}
	now := time.Now()
	if !row.expiry.After(now) {
		return sessionRow{}, false, nil
	}
	if ss.stale(row, now) {
		if err := ss.touch(ctx, hashArg(h)); err != nil {
			return sessionRow{}, false, err
		}
	}
	return row, true, nil
}

// Prefetch reads token's session and its user in one query, recording the
// idle clock as FindCtx does, and returns ctx carrying the session so that
// FindCtx of the same token on it does not query again. The user is nil
// when the session is not found, has no user, or was stored without one
// (the caller then looks the user up itself); it may be disabled.
func (ss *SessionStore) Prefetch(ctx context.Context, token string) (context.Context, *User, error) {
	row, found, err := ss.read(ctx, token)
	if err != nil {
		return ctx, nil, err
	}
	ctx = context.WithValue(ctx, prefetchKey{}, &prefetchedSession{token: token, data: row.data, found: found})
	if row.user == nil {
		return ctx, nil, nil
	}
	u := *row.user
	return ctx, &u, nil
}

// Sessions returns the session store with the given idle timeout.
func (s *Store) Sessions(idle time.Duration) *SessionStore {
	return &SessionStore{store: s, IdleTimeout: idle, IdleResolution: idle / 10,
		cache: newCredentialCache[[sha256.Size]byte, sessionRow](s, Of(Sessions, Users))}
}

// FindCtx returns a live session's data, recording the idle clock when the
// recorded one is stale.
func (ss *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if p, ok := ctx.Value(prefetchKey{}).(*prefetchedSession); ok && p.token == token {
		return p.data, p.found, nil
	}
	row, found, err := ss.read(ctx, token)
	return row.data, found, err
}

// touch records the idle clock of a live session. A session without a
// deadline (stored before this store) keeps its expiry: it ends at most an
// idle timeout after the upgrade.
func (ss *SessionStore) touch(ctx context.Context, hash []byte) error {
	defer ss.store.changes.wrote(Sessions)
	if _, err := ss.store.pool.Exec(ctx, `UPDATE sessions
		SET expiry = least(coalesce(deadline, expiry), now() + $2 * interval '1 microsecond')
		WHERE token_hash = $1 AND expiry > now()`, hash, ss.IdleTimeout.Microseconds()); err != nil {
		return fmt.Errorf("recording session activity: %w", err)
	}
	return nil
}

// CommitCtx stores a session's data; deadline is its absolute end (scs's
// lifetime). The idle clock starts now.
func (ss *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, deadline time.Time) error {
	var userID int64
	if ss.UserOf != nil {
		userID = ss.UserOf(data)
	}
	defer ss.store.changes.wrote(Sessions)
	_, err := ss.store.pool.Exec(ctx, `INSERT INTO sessions (token_hash, data, deadline, expiry, user_id)
		VALUES ($1, $2, $3, least($3, now() + $4 * interval '1 microsecond'), NULLIF($5, 0))
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, deadline = EXCLUDED.deadline,
			expiry = EXCLUDED.expiry, user_id = EXCLUDED.user_id`,
		hashBytes(token), data, deadline, ss.IdleTimeout.Microseconds(), userID)
	if err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	return nil
}

// DeleteCtx ends a session: this console stops accepting its cookie at
// once, every other console on the database as soon as the delete's notice
// reaches it (read).
func (ss *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	defer ss.store.changes.wrote(Sessions)
	if _, err := ss.store.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashBytes(token)); err != nil {
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
