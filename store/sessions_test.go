package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// rowVersion is a row's xmin: it changes exactly when the row is written.
func rowVersion(t *testing.T, s *store.Store, sql string, arg any) string {
	t.Helper()
	var v string
	if err := s.Pool().QueryRow(context.Background(), sql, arg).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSessionStoreIdleClockIsCoarse(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	ss := s.Sessions(2 * time.Hour)
	if ss.IdleResolution != 12*time.Minute {
		t.Fatalf("IdleResolution = %v, want a tenth of the idle timeout", ss.IdleResolution)
	}
	deadline := time.Now().Add(12 * time.Hour)
	if err := ss.CommitCtx(ctx, "tok", []byte("data"), deadline); err != nil {
		t.Fatal(err)
	}
	expiry := func() time.Duration {
		var left time.Duration
		if err := s.Pool().QueryRow(ctx, `SELECT expiry - now() FROM sessions WHERE token_hash = sha256('tok')`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left
	}
	if left := expiry(); left < 119*time.Minute || left > 2*time.Hour {
		t.Errorf("after commit the session ends in %v, want the idle timeout", left)
	}

	version := rowVersion(t, s, `SELECT xmin::text FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, "tok")
	for range 20 {
		b, found, err := ss.FindCtx(ctx, "tok")
		if err != nil || !found || string(b) != "data" {
			t.Fatalf("Find = %q, %v, %v", b, found, err)
		}
	}
	if v := rowVersion(t, s, `SELECT xmin::text FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, "tok"); v != version {
		t.Errorf("20 reads of a fresh session rewrote its row (xmin %s → %s)", version, v)
	}

	// The idle clock was last recorded 13 minutes ago: a read records it.
	write(t, s, `UPDATE sessions SET expiry = now() + interval '107 minutes' WHERE token_hash = sha256('tok')`)
	if _, found, err := ss.FindCtx(ctx, "tok"); err != nil || !found {
		t.Fatalf("Find stale = %v, %v", found, err)
	}
	if left := expiry(); left < 119*time.Minute {
		t.Errorf("a read of a session idle for 13 minutes left it ending in %v, want the idle timeout again", left)
	}
	// 11 minutes: within the resolution, nothing is written.
	write(t, s, `UPDATE sessions SET expiry = now() + interval '109 minutes' WHERE token_hash = sha256('tok')`)
	version = rowVersion(t, s, `SELECT xmin::text FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, "tok")
	if _, found, err := ss.FindCtx(ctx, "tok"); err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	if v := rowVersion(t, s, `SELECT xmin::text FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, "tok"); v != version {
		t.Error("a read within the idle resolution rewrote the session")
	}

	// Idle past the timeout: gone.
	write(t, s, `UPDATE sessions SET expiry = now() - interval '1 second' WHERE token_hash = sha256('tok')`)
	if _, found, err := ss.FindCtx(ctx, "tok"); err != nil || found {
		t.Errorf("an idle-expired session was found (%v, %v)", found, err)
	}
}

func TestSessionStoreNeverOutlivesDeadline(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	ss := s.Sessions(2 * time.Hour)
	deadline := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Microsecond)
	if err := ss.CommitCtx(ctx, "tok", []byte("data"), deadline); err != nil {
		t.Fatal(err)
	}
	// An hour-old idle clock would move past the deadline: it stops there.
	write(t, s, `UPDATE sessions SET expiry = now() + interval '5 minutes' WHERE token_hash = sha256('tok')`)
	if _, found, err := ss.FindCtx(ctx, "tok"); err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	var expiry time.Time
	if err := s.Pool().QueryRow(ctx, `SELECT expiry FROM sessions WHERE token_hash = sha256('tok')`).Scan(&expiry); err != nil {
		t.Fatal(err)
	}
	if !expiry.Equal(deadline) {
		t.Errorf("expiry = %v, want the deadline %v", expiry, deadline)
	}

	if err := ss.DeleteCtx(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := ss.FindCtx(ctx, "tok"); err != nil || found {
		t.Errorf("a deleted session was found (%v, %v)", found, err)
	}
}

func TestTokenUseRecordedCoarsely(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	u, err := s.CreateUser(ctx, "ci", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.CreateToken(ctx, u.ID, "pipeline")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByID(ctx, tok.ID)
	if err != nil || got.LastUsedAt == nil {
		t.Fatalf("first use not recorded: %+v, %v", got, err)
	}
	version := rowVersion(t, s, `SELECT xmin::text FROM api_tokens WHERE id = $1`, tok.ID)
	for range 20 {
		if got, err := s.UserByToken(ctx, secret); err != nil || got.ID != u.ID {
			t.Fatalf("UserByToken = %+v, %v", got, err)
		}
	}
	if v := rowVersion(t, s, `SELECT xmin::text FROM api_tokens WHERE id = $1`, tok.ID); v != version {
		t.Error("20 uses within the resolution rewrote the token's row")
	}

	write(t, s, `UPDATE api_tokens SET last_used_at = now() - interval '6 minutes' WHERE id = $1`, tok.ID)
	if _, err := s.UserByToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TokenByID(ctx, tok.ID); got.LastUsedAt == nil || time.Since(*got.LastUsedAt) > time.Minute {
		t.Errorf("a use 6 minutes after the last was not recorded: %v", got.LastUsedAt)
	}

	// Disabling the user or revoking the token works at the next request,
	// whatever the recorded use.
	if err := s.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, secret); err != store.ErrInvalidCredentials {
		t.Errorf("a disabled user's token: %v, want ErrInvalidCredentials", err)
	}
	if err := s.SetDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, secret); err != store.ErrInvalidCredentials {
		t.Errorf("a revoked token: %v, want ErrInvalidCredentials", err)
	}
}

func TestSessionPrefetchReadsItsUser(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	u, err := s.CreateUser(ctx, "ada", store.RoleAdmin, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	ss := s.Sessions(2 * time.Hour)
	ss.UserOf = func([]byte) int64 { return u.ID }
	if err := ss.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	pctx, got, err := ss.Prefetch(ctx, "tok")
	if err != nil || got == nil || got.ID != u.ID || got.Username != "ada" || got.Role != store.RoleAdmin || got.Disabled {
		t.Fatalf("Prefetch = %+v, %v", got, err)
	}
	if err := s.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := ss.Prefetch(ctx, "tok"); got == nil || !got.Disabled {
		t.Errorf("a disabled user prefetched as %+v", got)
	}
	// The prefetched session is what FindCtx gives on that context, without
	// asking the database again; elsewhere the row decides.
	if err := ss.DeleteCtx(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if b, found, err := ss.FindCtx(pctx, "tok"); err != nil || !found || string(b) != "data" {
		t.Errorf("FindCtx on the prefetched context = %q, %v, %v", b, found, err)
	}
	if _, found, _ := ss.FindCtx(ctx, "tok"); found {
		t.Error("a deleted session was found")
	}
	if _, got, err := ss.Prefetch(ctx, "tok"); err != nil || got != nil {
		t.Errorf("Prefetch of a deleted session = %+v, %v", got, err)
	}
}

// write runs sql as another client of the database would (not through the
// store) and waits until the store has heard of it (Store.Sync).
func write(t *testing.T, s *store.Store, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}
